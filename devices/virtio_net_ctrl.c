/* virtio_net_ctrl.c - see virtio_net_ctrl.h. */
#include "devices/virtio_net_ctrl.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#define CTRL_HDR 2u       /* class, command */
#define CTRL_DATA_MAX 8u  /* the most command data read */

int virtio_net_ctrl_init(struct virtio_net_ctrl *c, unsigned int max_pairs,
			 virtio_net_ctrl_pairs_fn *set_pairs, void *ctx)
{
	int r;

	memset(c, 0, sizeof(*c));
	if (max_pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
	    max_pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX)
		return -EINVAL;
	r = virtio_dev_init(&c->vdev, 1, 0);
	if (r)
		return r;
	c->max_pairs = max_pairs;
	c->pairs = 1;
	c->set_pairs = set_pairs;
	c->ctx = ctx;
	return 0;
}

void virtio_net_ctrl_destroy(struct virtio_net_ctrl *c)
{
	virtio_dev_destroy(&c->vdev);
}

void virtio_net_ctrl_set_irq(struct virtio_net_ctrl *c, struct virtio_irq irq)
{
	virtio_dev_set_irq(&c->vdev, irq);
}

void virtio_net_ctrl_start(struct virtio_net_ctrl *c, struct virtq *vq)
{
	if (virtio_dev_queue_start(&c->vdev, 0, vq, 0) == 0)
		c->pairs = 1;
}

void virtio_net_ctrl_reset(struct virtio_net_ctrl *c)
{
	virtio_dev_reset(&c->vdev);
	c->pairs = 1;
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

/* One command chain: run it and write the ack (its first writable byte). */
static int answer(void *ctx, unsigned int q, struct virtq_chain *ch)
{
	struct virtio_net_ctrl *c = ctx;
	uint8_t hdr[CTRL_HDR], data[CTRL_DATA_MAX], ack;
	uint64_t len;

	if (ch->readable < CTRL_HDR || ch->writable < 1)
		return -EIO;              /* no command or nowhere for the ack */
	virtq_chain_read(ch, 0, hdr, CTRL_HDR);
	len = virtq_chain_read(ch, CTRL_HDR, data, sizeof(data));
	ack = run_command(c, hdr[0], hdr[1], data, len);
	virtq_chain_write(ch, 0, &ack, 1);
	c->commands++;
	if (ack != VIRTIO_NET_OK)
		c->errors++;
	return virtio_dev_push(&c->vdev, q, ch->head, 1) < 0 ? -EIO : VIRTIO_DEV_NEXT;
}

int virtio_net_ctrl_kick(struct virtio_net_ctrl *c)
{
	int r = virtio_dev_drain(&c->vdev, 0, answer, c);

	virtio_dev_signal(&c->vdev);
	return r;
}
