/* virtio_net.c - see virtio_net.h. Formats: virtio 1.x, 5.1. */
#include "devices/virtio_net.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define HDR VIRTIO_NET_HDR_BYTES
#define PKT_MAX (HDR + VIRTIO_NET_MAX_FRAME)
#define BIT(n) VIRTIO_DEV_BIT(n)
#define NUM_BUFFERS_OFF 10   /* offsetof(struct virtio_net_hdr_v1, num_buffers) */

/* Offload features that need the matching checksum feature. */
#define GUEST_OFFLOADS (BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | \
			BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO))
#define HOST_OFFLOADS (BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) | \
		       BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_HOST_UFO))

/* ---- set-up ---- */

static uint64_t offered(unsigned int off)
{
	uint64_t f = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_EVENT_IDX) |
		     BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_NET_F_MAC) |
		     BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MRG_RXBUF);

	if (!(off & VIRTIO_NET_TAP_CSUM))
		return f;
	/*
	 * The tap takes partial checksums and GSO frames from us whatever its
	 * TUNSETOFFLOAD says (that only governs what it hands us), so the HOST_
	 * side follows the GUEST_ side that the kernel showed it can do.
	 */
	f |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM);
	if (off & VIRTIO_NET_TAP_TSO4)
		f |= BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO4);
	if (off & VIRTIO_NET_TAP_TSO6)
		f |= BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_HOST_TSO6);
	if (off & VIRTIO_NET_TAP_ECN)
		f |= BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_HOST_ECN);
	if (off & VIRTIO_NET_TAP_UFO)
		f |= BIT(VIRTIO_NET_F_GUEST_UFO) | BIT(VIRTIO_NET_F_HOST_UFO);
	return f;
}

int virtio_net_init(struct virtio_net *n, struct net_io io, const uint8_t mac[6],
		    unsigned int offloads, struct kvmini_error *err)
{
	int r;

	memset(n, 0, sizeof(*n));
	if (!io.ops || !io.ops->recv || !io.ops->sendv)
		return set_err(err, EINVAL, "a network device needs a host end");
	r = virtio_dev_init(&n->vdev, VIRTIO_NET_NQUEUES, offered(offloads));
	n->io = io;
	n->offloads = offloads;
	memcpy(n->cfg.mac, mac, 6);
	n->cfg.status = htole16(VIRTIO_NET_S_LINK_UP);
	n->cfg.max_virtqueue_pairs = htole16(1);
	n->first = malloc(sizeof(*n->first));
	n->iov = calloc(VIRTQ_MAX_SEGS, sizeof(*n->iov));
	n->pkt = malloc(PKT_MAX);
	n->rx_heads = calloc(VIRTQ_MAX_SIZE, sizeof(*n->rx_heads));
	n->rx_lens = calloc(VIRTQ_MAX_SIZE, sizeof(*n->rx_lens));
	if (r || !n->first || !n->iov || !n->pkt || !n->rx_heads || !n->rx_lens) {
		virtio_net_destroy(n);
		return set_err(err, ENOMEM, "out of memory for a network device");
	}
	return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
	virtio_dev_destroy(&n->vdev);
	free(n->first);
	free(n->iov);
	free(n->pkt);
	free(n->rx_heads);
	free(n->rx_lens);
	n->first = NULL;
	n->iov = NULL;
	n->pkt = NULL;
	n->rx_heads = NULL;
	n->rx_lens = NULL;
}

uint64_t virtio_net_features(const struct virtio_net *n)
{
	return n->vdev.features;
}

int virtio_net_set_max_pairs(struct virtio_net *n, unsigned int pairs)
{
	if (pairs < 1 || pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX)
		return -EINVAL;
	n->cfg.max_virtqueue_pairs = htole16((uint16_t)pairs);
	if (pairs > 1)
		n->vdev.features |= BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ);
	else
		n->vdev.features &= ~(BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ));
	return 0;
}

void virtio_net_config_read(const struct virtio_net *n, uint64_t off, void *data,
			    unsigned int len)
{
	virtio_dev_config_read(&n->cfg, sizeof(n->cfg), off, data, len);
}

void virtio_net_set_irq(struct virtio_net *n, struct virtio_irq irq)
{
	virtio_dev_set_irq(&n->vdev, irq);
}

void virtio_net_set_poll(struct virtio_net *n, virtio_net_poll_fn *poll, void *ctx)
{
	n->poll = poll;
	n->poll_ctx = ctx;
}

int virtio_net_check_features(const struct virtio_net *n, uint64_t f)
{
	if (virtio_dev_check_features(&n->vdev, f))
		return -EINVAL;
	if ((f & GUEST_OFFLOADS) && !(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return -EINVAL;
	if ((f & HOST_OFFLOADS) && !(f & BIT(VIRTIO_NET_F_CSUM)))
		return -EINVAL;
	if ((f & BIT(VIRTIO_NET_F_MQ)) && !(f & BIT(VIRTIO_NET_F_CTRL_VQ)))
		return -EINVAL;
	return 0;
}

int virtio_net_configure_backend(struct virtio_net *n, uint64_t f)
{
	unsigned int off = 0;

	if (!n->io.ops->configure)
		return 0;
	if (f & BIT(VIRTIO_NET_F_GUEST_CSUM))
		off |= VIRTIO_NET_TAP_CSUM;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO4))
		off |= VIRTIO_NET_TAP_TSO4;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO6))
		off |= VIRTIO_NET_TAP_TSO6;
	if ((f & BIT(VIRTIO_NET_F_GUEST_ECN)) &&
	    (off & (VIRTIO_NET_TAP_TSO4 | VIRTIO_NET_TAP_TSO6)))
		off |= VIRTIO_NET_TAP_ECN;
	if (f & BIT(VIRTIO_NET_F_GUEST_UFO))
		off |= VIRTIO_NET_TAP_UFO;
	return n->io.ops->configure(n->io.ctx, HDR, off);
}

static void set_polling(struct virtio_net *n, int on)
{
	if (n->polling == on)
		return;
	n->polling = on;
	if (n->poll)
		n->poll(n->poll_ctx, on);
}

int virtio_net_queue_start(struct virtio_net *n, unsigned int q, struct virtq *vq,
			   uint64_t features)
{
	if (q >= VIRTIO_NET_NQUEUES || !vq || virtio_net_check_features(n, features))
		return -EINVAL;
	if (virtio_net_configure_backend(n, features))
		return -EINVAL;
	if (virtio_dev_queue_start(&n->vdev, q, vq, features))
		return -EINVAL;
	if (q == VIRTIO_NET_RXQ)
		set_polling(n, 1);
	return 0;
}

void virtio_net_reset(struct virtio_net *n)
{
	virtio_dev_reset(&n->vdev);
	n->pkt_pending = 0;
	set_polling(n, 0);
}

/* ---- receive ---- */

enum { PLACED, NO_ROOM, DROPPED, BROKEN };

/* Give back the chains taken for a packet that is not delivered now. */
static int give_back(struct virtq *vq, unsigned int taken, int why)
{
	virtq_unpop(vq, (uint16_t)taken);
	return why;
}

/*
 * Copy the pending packet into receive chains. The header goes into the
 * first chain last, once num_buffers is known; the chains are pushed only
 * when the whole packet is in.
 */
static int place_packet(struct virtio_net *n, struct virtq *vq)
{
	int mrg = !!(n->vdev.acked & BIT(VIRTIO_NET_F_MRG_RXBUF));
	unsigned int taken = 0, i;
	uint64_t done = 0;
	uint16_t nbuf;
	int r;

	while (done < n->pkt_len) {
		/* The first chain is kept for the header; the others are scratch. */
		struct virtq_chain *c = taken ? n->vdev.chain : n->first;
		uint64_t take, skip = taken ? 0 : HDR;

		if (taken == vq->size)   /* bigger than the whole ring */
			return give_back(vq, taken, DROPPED);
		r = virtq_pop(vq, c);
		if (r < 0)
			return BROKEN;
		if (r == 0)
			return give_back(vq, taken, NO_ROOM);
		if (c->nreadable || c->writable < skip)
			return BROKEN;     /* not a receive buffer */
		if (taken == 0)
			done = HDR;        /* the header is written at the end */
		take = n->pkt_len - done;
		if (take > c->writable - skip)
			take = c->writable - skip;
		virtq_chain_write(c, skip, n->pkt + done, take);
		done += take;
		n->rx_heads[taken] = c->head;
		n->rx_lens[taken] = (uint32_t)(skip + take);
		taken++;
		if (!mrg && done < n->pkt_len)
			return give_back(vq, taken, DROPPED);
	}
	nbuf = htole16((uint16_t)taken);
	memcpy(n->pkt + NUM_BUFFERS_OFF, &nbuf, sizeof(nbuf));
	virtq_chain_write(n->first, 0, n->pkt, HDR);
	for (i = 0; i < taken; i++)
		if (virtio_dev_push(&n->vdev, VIRTIO_NET_RXQ, n->rx_heads[i], n->rx_lens[i]) < 0)
			return BROKEN;
	return PLACED;
}

int virtio_net_rx(struct virtio_net *n)
{
	struct virtq *vq = virtio_dev_queue(&n->vdev, VIRTIO_NET_RXQ);
	int delivered = 0, ret = 0, budget = VIRTIO_NET_RX_BUDGET;

	if (!vq || vq->broken) {
		set_polling(n, 0);
		return vq ? -EIO : 0;
	}
	virtq_disable_notify(vq);
	while (budget-- > 0) {
		if (!n->pkt_pending) {
			ssize_t got = n->io.ops->recv(n->io.ctx, n->pkt, PKT_MAX);

			if (got == -EAGAIN || got == -EINTR)
				break;          /* drained */
			if (got <= 0) {
				/* End of file or a dead host end: stop watching it. */
				n->rx_errors++;
				set_polling(n, 0);
				goto out;
			}
			if ((size_t)got <= HDR) {
				n->rx_dropped++;
				continue;
			}
			n->pkt_len = (uint32_t)got;
			n->pkt_pending = 1;
		}
		switch (place_packet(n, vq)) {
		case PLACED:
			n->pkt_pending = 0;
			n->rx_packets++;
			n->rx_bytes += n->pkt_len - HDR;
			delivered++;
			continue;
		case DROPPED:
			n->pkt_pending = 0;
			n->rx_dropped++;
			continue;
		case NO_ROOM:
			/* Ask for a kick when buffers come; wait for it unless they did. */
			if (virtq_enable_notify_more(vq)) {
				virtq_disable_notify(vq);
				continue;
			}
			set_polling(n, 0);
			goto out;
		default:
			ret = virtio_dev_break(&n->vdev, VIRTIO_NET_RXQ);
			set_polling(n, 0);
			goto out;
		}
	}
	set_polling(n, 1);
out:
	virtio_dev_signal(&n->vdev);
	return ret < 0 ? ret : delivered;
}

/* ---- transmit ---- */

/* One transmit chain: its readable part (header and frame) is one packet. */
static int tx_one(void *ctx, unsigned int q, struct virtq_chain *c)
{
	struct virtio_net *n = ctx;
	unsigned int k;

	if (c->readable < HDR)
		return -EIO;              /* no room for even the header */
	k = virtq_chain_iov(c, 0, c->nreadable, 0, c->readable, n->iov);
	if (n->io.ops->sendv(n->io.ctx, n->iov, k) < 0) {
		n->tx_dropped++;
	} else {
		n->tx_packets++;
		n->tx_bytes += c->readable - HDR;
	}
	return virtio_dev_push(&n->vdev, q, c->head, 0) < 0 ? -EIO : VIRTIO_DEV_NEXT;
}

int virtio_net_kick(struct virtio_net *n, unsigned int q)
{
	uint64_t sent = n->tx_packets;
	int r;

	if (!virtio_dev_queue(&n->vdev, q))
		return -EINVAL;
	if (q == VIRTIO_NET_RXQ)   /* new receive buffers: place what waits, watch again */
		return virtio_net_rx(n);
	r = virtio_dev_drain(&n->vdev, q, tx_one, n);
	virtio_dev_signal(&n->vdev);
	return r < 0 ? r : (int)(n->tx_packets - sent);
}
