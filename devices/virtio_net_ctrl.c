/* virtio_net_ctrl.c - see virtio_net_ctrl.h. */
#include "devices/virtio_net_ctrl.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define CTRL_HDR 2u       /* class, command */
#define CTRL_DATA_MAX 8u  /* the most command data read */

int virtio_net_ctrl_init(struct virtio_net_ctrl *c, unsigned int max_pairs,
			 virtio_net_ctrl_pairs_fn *set_pairs,
			 virtio_net_ctrl_notify_fn *notify, void *ctx)
{
	memset(c, 0, sizeof(*c));
	if (max_pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
	    max_pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX)
		return -EINVAL;
	c->chain = malloc(sizeof(*c->chain));
	if (!c->chain)
		return -ENOMEM;
	c->max_pairs = max_pairs;
	c->pairs = 1;
	c->set_pairs = set_pairs;
	c->notify = notify;
	c->ctx = ctx;
	return 0;
}

void virtio_net_ctrl_destroy(struct virtio_net_ctrl *c)
{
	free(c->chain);
	c->chain = NULL;
}

void virtio_net_ctrl_start(struct virtio_net_ctrl *c, struct virtq *vq)
{
	c->vq = vq;
	c->pairs = 1;
}

void virtio_net_ctrl_reset(struct virtio_net_ctrl *c)
{
	c->vq = NULL;
	c->pairs = 1;
}

/* Copy up to len readable bytes of ch from offset off into buf; the count. */
static uint64_t chain_read(const struct virtq_chain *ch, uint64_t off, void *buf,
			   uint64_t len)
{
	struct iovec iov[VIRTQ_MAX_SEGS];
	uint8_t *out = buf;
	uint64_t got = 0;
	unsigned int i, k;

	if (off >= ch->readable)
		return 0;
	if (len > ch->readable - off)
		len = ch->readable - off;
	k = virtq_chain_iov(ch, 0, ch->nreadable, off, len, iov);
	for (i = 0; i < k; i++) {
		memcpy(out + got, iov[i].iov_base, iov[i].iov_len);
		got += iov[i].iov_len;
	}
	return got;
}

/* The ack for one command: class and command, data (len bytes of it). */
static uint8_t run_command(struct virtio_net_ctrl *c, uint8_t cls, uint8_t cmd,
			   const uint8_t *data, uint64_t len)
{
	uint16_t pairs;

	if (cls != VIRTIO_NET_CTRL_MQ || cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
	    len < sizeof(pairs))
		return VIRTIO_NET_ERR;
	memcpy(&pairs, data, sizeof(pairs));
	pairs = le16toh(pairs);
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > c->max_pairs)
		return VIRTIO_NET_ERR;
	if (c->set_pairs && c->set_pairs(c->ctx, pairs) < 0)
		return VIRTIO_NET_ERR;
	c->pairs = pairs;
	return VIRTIO_NET_OK;
}

int virtio_net_ctrl_kick(struct virtio_net_ctrl *c)
{
	struct virtq *vq = c->vq;
	struct virtq_chain *ch = c->chain;
	uint8_t hdr[CTRL_HDR], data[CTRL_DATA_MAX], ack;
	uint64_t len;
	int done = 0, r = 0;

	if (!vq)
		return -EINVAL;
	if (vq->broken)
		return -EIO;
	do {
		virtq_disable_notify(vq);
		for (;;) {
			r = virtq_pop(vq, ch);
			if (r == 0)
				break;
			if (r < 0)
				goto out;
			if (ch->readable < CTRL_HDR || ch->writable < 1) {
				vq->broken = 1;   /* no command or nowhere for the ack */
				r = -EIO;
				goto out;
			}
			chain_read(ch, 0, hdr, CTRL_HDR);
			len = chain_read(ch, CTRL_HDR, data, sizeof(data));
			ack = run_command(c, hdr[0], hdr[1], data, len);
			/* The ack is the first device-writable byte. */
			memcpy(ch->seg[ch->nreadable].host, &ack, 1);
			c->commands++;
			if (ack != VIRTIO_NET_OK)
				c->errors++;
			if (virtq_push(vq, ch->head, 1) < 0) {
				vq->broken = 1;
				r = -EIO;
				goto out;
			}
			done++;
		}
	} while (virtq_enable_notify(vq));
out:
	if (done && c->notify && virtq_needs_notify(vq))
		c->notify(c->ctx);
	return r < 0 ? -EIO : done;
}
