/* virtio_net.c - see virtio_net.h. Formats: virtio 1.x, 5.1. */
#include "devices/virtio_net.h"

#include <endian.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define HDR VIRTIO_NET_HDR_BYTES
#define PKT_MAX (HDR + VIRTIO_NET_MAX_FRAME)
#define BIT(n) (1ULL << (n))
#define NUM_BUFFERS_OFF 10   /* offsetof(struct virtio_net_hdr_v1, num_buffers) */

/* Offload features that need the matching checksum feature. */
#define GUEST_OFFLOADS (BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | \
			BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO))
#define HOST_OFFLOADS (BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) | \
		       BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_HOST_UFO))

_Static_assert(VIRTIO_NET_TAP_CSUM == TUN_F_CSUM && VIRTIO_NET_TAP_TSO4 == TUN_F_TSO4 &&
	       VIRTIO_NET_TAP_TSO6 == TUN_F_TSO6 && VIRTIO_NET_TAP_ECN == TUN_F_TSO_ECN &&
	       VIRTIO_NET_TAP_UFO == TUN_F_UFO, "tap offload bits");

/* ---- set-up ---- */

unsigned int virtio_net_tap_probe(int fd, int *is_tap)
{
	static const unsigned int extra[] = { TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN, TUN_F_UFO };
	struct ifreq ifr;
	unsigned int got = 0, i;

	memset(&ifr, 0, sizeof(ifr));
	if (is_tap)
		*is_tap = 0;
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return 0;
	if (is_tap)
		*is_tap = 1;
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0)
		return 0;
	got = TUN_F_CSUM;
	/* TSO_ECN is only accepted next to TSO4/6: probe cumulatively. */
	for (i = 0; i < ARRAY_SIZE(extra); i++)
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(got | extra[i])) == 0)
			got |= extra[i];
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
		/* the tap keeps the offloads: harmless until configure_tap */
	}
	return got;
}

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

int virtio_net_init(struct virtio_net *n, int tap_fd, const uint8_t mac[6],
		    unsigned int offloads, struct kvmini_error *err)
{
	memset(n, 0, sizeof(*n));
	n->tap_fd = tap_fd;
	if (ioctl(tap_fd, TUNGETIFF, &(struct ifreq){ 0 }) == 0)
		n->is_tap = 1;
	n->offloads = offloads;
	n->features = offered(offloads);
	memcpy(n->cfg.mac, mac, 6);
	n->cfg.status = htole16(VIRTIO_NET_S_LINK_UP);
	n->cfg.max_virtqueue_pairs = htole16(1);
	n->chain = malloc(sizeof(*n->chain));
	n->pkt = malloc(PKT_MAX);
	n->rx_heads = calloc(VIRTQ_MAX_SIZE, sizeof(*n->rx_heads));
	n->rx_lens = calloc(VIRTQ_MAX_SIZE, sizeof(*n->rx_lens));
	if (!n->chain || !n->pkt || !n->rx_heads || !n->rx_lens) {
		virtio_net_destroy(n);
		return set_err(err, ENOMEM, "out of memory for a network device");
	}
	return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
	free(n->chain);
	free(n->pkt);
	free(n->rx_heads);
	free(n->rx_lens);
	n->chain = NULL;
	n->pkt = NULL;
	n->rx_heads = NULL;
	n->rx_lens = NULL;
}

uint64_t virtio_net_features(const struct virtio_net *n)
{
	return n->features;
}

int virtio_net_set_max_pairs(struct virtio_net *n, unsigned int pairs)
{
	if (pairs < 1 || pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX)
		return -EINVAL;
	n->cfg.max_virtqueue_pairs = htole16((uint16_t)pairs);
	if (pairs > 1)
		n->features |= BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ);
	else
		n->features &= ~(BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ));
	return 0;
}

void virtio_net_config_read(const struct virtio_net *n, uint64_t off, void *data,
			    unsigned int len)
{
	const uint8_t *cfg = (const uint8_t *)&n->cfg;
	uint8_t *out = data;
	unsigned int i;

	for (i = 0; i < len; i++)
		out[i] = off < sizeof(n->cfg) && i < sizeof(n->cfg) - off ? cfg[off + i] : 0;
}

void virtio_net_set_callbacks(struct virtio_net *n, virtio_net_notify_fn *notify,
			      virtio_net_poll_fn *poll, void *ctx)
{
	n->notify = notify;
	n->poll = poll;
	n->cb_ctx = ctx;
}

int virtio_net_check_features(const struct virtio_net *n, uint64_t f)
{
	if ((f & ~n->features) || !(f & BIT(VIRTIO_F_VERSION_1)))
		return -EINVAL;
	if ((f & GUEST_OFFLOADS) && !(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return -EINVAL;
	if ((f & HOST_OFFLOADS) && !(f & BIT(VIRTIO_NET_F_CSUM)))
		return -EINVAL;
	if ((f & BIT(VIRTIO_NET_F_MQ)) && !(f & BIT(VIRTIO_NET_F_CTRL_VQ)))
		return -EINVAL;
	return 0;
}

int virtio_net_configure_tap(struct virtio_net *n, uint64_t f)
{
	unsigned int off = 0;
	int hdr = (int)HDR;

	if (!n->is_tap)
		return 0;
	if (f & BIT(VIRTIO_NET_F_GUEST_CSUM))
		off |= TUN_F_CSUM;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	if ((f & BIT(VIRTIO_NET_F_GUEST_ECN)) && (off & (TUN_F_TSO4 | TUN_F_TSO6)))
		off |= TUN_F_TSO_ECN;
	if (f & BIT(VIRTIO_NET_F_GUEST_UFO))
		off |= TUN_F_UFO;
	if (ioctl(n->tap_fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(n->tap_fd, TUNSETOFFLOAD, (unsigned long)off) < 0)
		return -errno;
	return 0;
}

static void set_polling(struct virtio_net *n, int on)
{
	if (n->polling == on)
		return;
	n->polling = on;
	if (n->poll)
		n->poll(n->cb_ctx, on);
}

int virtio_net_queue_start(struct virtio_net *n, unsigned int q, struct virtq *vq,
			   uint64_t features)
{
	if (q >= VIRTIO_NET_NQUEUES || !vq || virtio_net_check_features(n, features))
		return -EINVAL;
	if (virtio_net_configure_tap(n, features))
		return -EINVAL;
	n->acked = features;
	n->vq[q] = vq;
	if (q == VIRTIO_NET_RXQ)
		set_polling(n, 1);
	return 0;
}

void virtio_net_reset(struct virtio_net *n)
{
	memset(n->vq, 0, sizeof(n->vq));
	n->pkt_pending = 0;
	n->acked = 0;
	set_polling(n, 0);
}

static void signal_queue(struct virtio_net *n, unsigned int q)
{
	if (n->vq[q] && virtq_needs_notify(n->vq[q]) && n->notify) {
		n->notify(n->cb_ctx, q);
		n->notifications++;
	}
}

/* ---- receive ---- */

/* Copy len bytes from src into the writable segments of c, skip bytes in. */
static void chain_write(const struct virtq_chain *c, uint64_t skip, const uint8_t *src,
			uint64_t len)
{
	struct iovec iov[VIRTQ_MAX_SEGS];
	unsigned int i, k = virtq_chain_iov(c, c->nreadable, c->nsegs, skip, len, iov);

	for (i = 0; i < k; i++) {
		memcpy(iov[i].iov_base, src, iov[i].iov_len);
		src += iov[i].iov_len;
	}
}

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
	int mrg = !!(n->acked & BIT(VIRTIO_NET_F_MRG_RXBUF));
	struct virtq_seg first[HDR];
	unsigned int nfirst = 0, taken = 0, i;
	uint64_t done = 0;
	uint16_t nbuf;
	int r;

	while (done < n->pkt_len) {
		uint64_t room, take, skip = 0;

		if (taken == vq->size)   /* bigger than the whole ring */
			return give_back(vq, taken, DROPPED);
		r = virtq_pop(vq, n->chain);
		if (r < 0)
			return BROKEN;
		if (r == 0)
			return give_back(vq, taken, NO_ROOM);
		if (n->chain->nreadable || (taken == 0 && n->chain->writable < HDR)) {
			vq->broken = 1;    /* not a receive buffer */
			return BROKEN;
		}
		room = n->chain->writable;
		if (taken == 0) {
			/* Keep where the header goes; fill the rest now. */
			uint64_t need = HDR;

			for (i = n->chain->nreadable; i < n->chain->nsegs && need; i++) {
				first[nfirst] = n->chain->seg[i];
				if (first[nfirst].len > need)
					first[nfirst].len = (uint32_t)need;
				need -= first[nfirst++].len;
			}
			skip = HDR;
			done = HDR;
		}
		take = n->pkt_len - done;
		if (take > room - skip)
			take = room - skip;
		chain_write(n->chain, skip, n->pkt + done, take);
		done += take;
		n->rx_heads[taken] = n->chain->head;
		n->rx_lens[taken] = (uint32_t)(skip + take);
		taken++;
		if (!mrg && done < n->pkt_len)
			return give_back(vq, taken, DROPPED);
	}
	nbuf = htole16((uint16_t)taken);
	memcpy(n->pkt + NUM_BUFFERS_OFF, &nbuf, sizeof(nbuf));
	for (i = 0, done = 0; i < nfirst; i++) {
		memcpy(first[i].host, n->pkt + done, first[i].len);
		done += first[i].len;
	}
	for (i = 0; i < taken; i++)
		if (virtq_push(vq, n->rx_heads[i], n->rx_lens[i]) < 0) {
			vq->broken = 1;
			return BROKEN;
		}
	return PLACED;
}

int virtio_net_rx(struct virtio_net *n)
{
	struct virtq *vq = n->vq[VIRTIO_NET_RXQ];
	int delivered = 0, ret = 0, budget = VIRTIO_NET_RX_BUDGET;

	if (!vq || vq->broken) {
		set_polling(n, 0);
		return vq ? -EIO : 0;
	}
	virtq_disable_notify(vq);
	while (budget-- > 0) {
		if (!n->pkt_pending) {
			ssize_t got = read(n->tap_fd, n->pkt, PKT_MAX);

			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				break;          /* drained */
			if (got <= 0) {
				/* End of file or a dead backend: stop watching it. */
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
			ret = -EIO;
			set_polling(n, 0);
			goto out;
		}
	}
	set_polling(n, 1);
out:
	signal_queue(n, VIRTIO_NET_RXQ);
	return ret < 0 ? ret : delivered;
}

/* ---- transmit ---- */

static int tx_drain(struct virtio_net *n, struct virtq *vq)
{
	struct iovec iov[VIRTQ_MAX_SEGS];
	int sent = 0, r;
	unsigned int i;

	do {
		virtq_disable_notify(vq);
		for (;;) {
			struct virtq_chain *c = n->chain;

			r = virtq_pop(vq, c);
			if (r == 0)
				break;
			if (r < 0)
				goto broken;
			if (c->readable < HDR) {
				vq->broken = 1;   /* no room for even the header */
				goto broken;
			}
			for (i = 0; i < c->nreadable; i++)
				iov[i] = (struct iovec){ .iov_base = c->seg[i].host,
							 .iov_len = c->seg[i].len };
			if (writev(n->tap_fd, iov, (int)c->nreadable) < 0) {
				n->tx_dropped++;
			} else {
				n->tx_packets++;
				n->tx_bytes += c->readable - HDR;
				sent++;
			}
			if (virtq_push(vq, c->head, 0) < 0) {
				vq->broken = 1;
				goto broken;
			}
		}
	} while (virtq_enable_notify(vq));
	signal_queue(n, VIRTIO_NET_TXQ);
	return sent;
broken:
	signal_queue(n, VIRTIO_NET_TXQ);
	return -EIO;
}

int virtio_net_kick(struct virtio_net *n, unsigned int q)
{
	if (q >= VIRTIO_NET_NQUEUES || !n->vq[q])
		return -EINVAL;
	if (q == VIRTIO_NET_TXQ)
		return tx_drain(n, n->vq[q]);
	/* New receive buffers: place what waits and watch the tap again. */
	return virtio_net_rx(n);
}
