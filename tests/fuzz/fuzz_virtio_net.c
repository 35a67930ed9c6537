/*
 * fuzz_virtio_net.c - virtio-net's userspace data path (devices/virtio_net.c
 * on devices/virtio_dev.c): receive and transmit queues laid out in guest
 * RAM by the input (fuzz_ring.h), on one of two host ends: one defined here
 * through the net_io interface (devices/net_io.h), whose recv returns the
 * packets the input hands it and whose sendv reads every byte the device
 * sends (so that AddressSanitizer checks each iovec), either of which can be
 * made to fail; or the tap back end of vmm/tap.c on an AF_UNIX
 * SOCK_SEQPACKET socketpair (one packet per read and write, as a tap with
 * IFF_VNET_HDR), whose other end the harness writes packets into and drains.
 *
 * Input: a header, then ops.
 *   offloads:u8  VIRTIO_NET_TAP_* the host end supports (low 5 bits); bit 7:
 *                the tap back end on a socketpair
 *   qsize:u8     queue size 1 << (qsize % 16) (too big for RAM: not started)
 *   drop:u32     feature bits 0-31 not negotiated (VERSION_1 always is)
 *   pairs:u8     virtio_net_set_max_pairs(1 + pairs % 4)
 * Ops (opcode mod OP_COUNT), besides the shared ring ops (queue 0 rx, 1 tx):
 *   TX len:u16 nseg:u8 ctl:u8 hdr[4]   a transmit chain: the 12-byte header
 *                 (flags, gso_type, hdr_len from hdr) and len % 9000 frame
 *                 bytes, in nseg % 8 + 1 pieces; ctl bit 0 indirect, bit 1
 *                 the header alone first, bit 2 a device-writable tail, bit
 *                 3 short of the header
 *   RXBUF len:u16 nseg:u8 ctl:u8       a receive chain of 2 * len % 70000
 *                 bytes in nseg % 8 + 1 pieces (ctl bit 0 indirect, bit 1 a
 *                 readable piece first, bit 2 less room than a header)
 *   PKT len:u16 fill:u8   a packet for recv of 2 * len % 70000 bytes (at
 *                 most the largest frame): a zero header, then fill bytes;
 *                 64 wait at most
 *   KICK q:u8     virtio_net_kick
 *   RX            virtio_net_rx (the tap is readable)
 *   RESET         virtio_net_reset; START q:u8 starts queue q again
 *   HOST m:u8     bit 0 sendv fails, bit 1 recv fails (EIO), bit 2 recv
 *                 reads end of file, bit 3 configure fails (on the
 *                 socketpair: bit 0 the far end stops reading, bit 2 stops
 *                 writing, for good)
 *   CONFIG off:u8 len:u8   virtio_net_config_read
 * Checked: used rings as in fuzz_ring.h; each packet received is one the
 * host end handed over, in order, with a header saying how many chains it
 * took (one without MRG_RXBUF); each packet sent is the chain built, byte
 * for byte (on the socketpair: its frame bytes); interrupts as fuzz_ring.h
 * says; a broken queue is reported with its own number, and a broken
 * receive queue stops the device watching the tap.
 */
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define FZ_RAM_SIZE (1u << 20)   /* room for 64 KiB packets and their buffers */

#include "devices/virtio_net.h"
#include "fuzz_ring.h"
#include "vmm/tap.h"

#define QBASE 2
#define NPKT 64
#define PKT_MAX (VIRTIO_NET_HDR_BYTES + VIRTIO_NET_MAX_FRAME)

enum { OP_TX = FZ_OP_FIRST_OWN, OP_RXBUF, OP_PKT, OP_KICK, OP_RX, OP_RESET, OP_START,
       OP_HOST, OP_CONFIG, OP_COUNT };

static struct virtio_net net;
static struct fz_q qs[2];
static struct virtq vqs[2];
static int started[2];
static uint64_t features;
static unsigned int broken_seen;
static int polling;

/* The host end. */
static struct {
	uint32_t len[NPKT];
	uint8_t fill[NPKT];
	unsigned int head, n;
	uint8_t mode;
	uint64_t sent;
} host;
static uint8_t sink[PKT_MAX + 4096];

/*
 * The books on packets: what recv handed the device, in order (while
 * rx_off is clear), the receive chains built and the transmit chains built
 * with what they hold, by head.
 */
#define LOG 1024
#define REC_SEGS 16
static struct { uint32_t len; uint8_t fill; } rx_log[LOG];
static unsigned int rx_logged, rx_cursor;
static int rx_off;
static struct { struct fz_seg seg[REC_SEGS]; unsigned int nseg; } rx_rec[FZ_TRACK];
/* The packet being checked: entries still to come, bytes so far, its fill. */
static unsigned int rx_left, rx_nbuf;
static uint64_t rx_total;
static int rx_fill;
static struct { uint32_t total; uint8_t hdr[VIRTIO_NET_HDR_BYTES]; } tx_rec[FZ_TRACK];
static uint8_t scratch[PKT_MAX];

static ssize_t host_recv(void *ctx, void *buf, size_t len)
{
	uint32_t n;

	FZ_CHECK(ctx == &host && len >= PKT_MAX);
	if (host.mode & 2)
		return -EIO;
	if (host.mode & 4)
		return 0;
	if (!host.n)
		return -EAGAIN;
	n = host.len[host.head];
	memset(buf, host.fill[host.head], n);
	if (n >= VIRTIO_NET_HDR_BYTES)
		memset(buf, 0, VIRTIO_NET_HDR_BYTES);
	if (rx_logged < LOG) {
		rx_log[rx_logged].len = n;
		rx_log[rx_logged++].fill = host.fill[host.head];
	} else {
		rx_off = 1;
	}
	host.head = (host.head + 1) % NPKT;
	host.n--;
	return n;
}

static ssize_t host_sendv(void *ctx, const struct iovec *iov, unsigned int iovcnt)
{
	uint64_t total = 0;
	unsigned int i;
	uint16_t h;

	FZ_CHECK(ctx == &host && iovcnt <= VIRTQ_MAX_SEGS);
	for (i = 0; i < iovcnt; i++) {
		FZ_CHECK(fz_in_ram(iov[i].iov_base, iov[i].iov_len));
		/* Read every byte, as the kernel would. */
		memcpy(sink + total % 4096, iov[i].iov_base,
		       iov[i].iov_len < sizeof(sink) - 4096 ? iov[i].iov_len : sizeof(sink) - 4096);
		total += iov[i].iov_len;
	}
	FZ_CHECK(total >= VIRTIO_NET_HDR_BYTES);
	/* The chain as it was built, byte for byte: its header, then the frame. */
	h = net.vdev.chain->head;   /* the chain tx is sending */
	if (!fz_dirty && fz_q_tracked(&qs[VIRTIO_NET_TXQ]) && h < FZ_TRACK &&
	    qs[VIRTIO_NET_TXQ].known[h]) {
		uint64_t at = 0, j;

		FZ_CHECK(total == tx_rec[h].total);
		for (i = 0; i < iovcnt; i++)
			for (j = 0; j < iov[i].iov_len; j++, at++)
				FZ_CHECK(((const uint8_t *)iov[i].iov_base)[j] ==
					 (at < VIRTIO_NET_HDR_BYTES ? tx_rec[h].hdr[at] : 0x45));
	}
	if (host.mode & 1)
		return -ENOBUFS;
	host.sent++;
	return (ssize_t)total;
}

static int host_configure(void *ctx, unsigned int hdr_len, unsigned int offloads)
{
	FZ_CHECK(ctx == &host && hdr_len == VIRTIO_NET_HDR_BYTES);
	FZ_CHECK(!(offloads & ~(VIRTIO_NET_TAP_CSUM | VIRTIO_NET_TAP_TSO4 | VIRTIO_NET_TAP_TSO6 |
				VIRTIO_NET_TAP_ECN | VIRTIO_NET_TAP_UFO)));
	return (host.mode & 8) ? -EINVAL : 0;
}

static const struct net_io_ops host_ops = {
	.recv = host_recv, .sendv = host_sendv, .configure = host_configure,
};

/* The tap back end on a socketpair: [0] the device's "tap", [1] the network. */
static struct tap_backend tb;
static int sp[2] = { -1, -1 };
static uint8_t pktbuf[PKT_MAX];

/* Hand the device a packet through the socketpair (dropped if it is full). */
static void sp_send(uint32_t len, uint8_t fill)
{
	memset(pktbuf, fill, len);
	memset(pktbuf, 0, len < VIRTIO_NET_HDR_BYTES ? len : VIRTIO_NET_HDR_BYTES);
	if (send(sp[1], pktbuf, len, MSG_DONTWAIT) == (ssize_t)len) {
		if (rx_logged < LOG) {
			rx_log[rx_logged].len = len;
			rx_log[rx_logged++].fill = fill;
		} else {
			rx_off = 1;
		}
	}
}

/* What the device sent through the socketpair: headers and frames built. */
static void sp_drain(void)
{
	ssize_t n;

	while ((n = recv(sp[1], pktbuf, sizeof(pktbuf), MSG_DONTWAIT)) > 0) {
		ssize_t j;

		FZ_CHECK(n >= VIRTIO_NET_HDR_BYTES);
		/* Frames are in the buffer area, which a ring bigger than its slot
		 * overlaps: checked only while the books are sure. */
		for (j = VIRTIO_NET_HDR_BYTES;
		     j < n && !fz_dirty && fz_q_tracked(&qs[VIRTIO_NET_TXQ]); j++)
			FZ_CHECK(pktbuf[j] == 0x45);
		host.sent++;
	}
}

static void on_notify(void *ctx, unsigned int q)
{
	FZ_CHECK(ctx == &net && q >= QBASE && q < QBASE + 2 && started[q - QBASE]);
	qs[q - QBASE].irq_calls++;
}

/* Around every call into the device: see fz_irq_before in fuzz_ring.h. */
static void irq_before(void)
{
	unsigned int q;

	for (q = 0; q < 2; q++)
		if (started[q])
			fz_irq_before(&qs[q], &vqs[q]);
}

static void irq_after(void)
{
	unsigned int q;

	for (q = 0; q < 2; q++)
		if (started[q])
			fz_irq_after(&qs[q], &vqs[q]);
}

static void on_broken(void *ctx, unsigned int q)
{
	FZ_CHECK(ctx == &net && q >= QBASE && q < QBASE + 2);
	broken_seen |= 1u << (q - QBASE);
}

static void on_poll(void *ctx, int on)
{
	FZ_CHECK(ctx == &net && (on == 0 || on == 1) && on != polling);
	polling = on;
}

/* Bytes [off, off+len) of the writable stream of the receive chain at head. */
static void rx_gather(uint16_t head, uint64_t off, uint8_t *dst, uint64_t len)
{
	uint64_t done = 0;
	unsigned int i;

	for (i = 0; i < rx_rec[head].nseg && done < len; i++) {
		const struct fz_seg *g = &rx_rec[head].seg[i];
		uint64_t take;

		if (!g->writes)
			continue;
		if (off >= g->len) {
			off -= g->len;
			continue;
		}
		take = g->len - off < len - done ? g->len - off : len - done;
		memcpy(dst + done, fz_ram + g->gpa + off, take);
		done += take;
		off = 0;
	}
	FZ_CHECK(done == len);
}

/*
 * A used receive entry: a packet's first chain starts with a header that
 * says how many chains it has; every byte after it is the packet's; the
 * packet is one recv handed over (those skipped were dropped).
 */
static void rx_used(struct fz_q *q, uint16_t head, uint32_t len, int known)
{
	struct virtio_net_hdr_v1 h;
	uint64_t skip = 0, j;

	if (q != &qs[VIRTIO_NET_RXQ] || rx_off)
		return;
	if (!known) {
		rx_off = 1;
		return;
	}
	if (!rx_left) {
		FZ_CHECK(len >= VIRTIO_NET_HDR_BYTES);
		rx_gather(head, 0, (uint8_t *)&h, sizeof(h));
		rx_nbuf = rx_left = le16toh(h.num_buffers);
		FZ_CHECK(rx_left >= 1);
		if (!(net.vdev.acked & VIRTIO_DEV_BIT(VIRTIO_NET_F_MRG_RXBUF)))
			FZ_CHECK(rx_left == 1);
		h.num_buffers = 0;
		FZ_CHECK(!memcmp(&h, "\0\0\0\0\0\0\0\0\0\0\0\0", sizeof(h)));
		skip = VIRTIO_NET_HDR_BYTES;
		rx_total = 0;
		rx_fill = -1;
	}
	rx_gather(head, skip, scratch, len - skip);
	for (j = 0; j < len - skip; j++) {
		if (rx_fill < 0)
			rx_fill = scratch[j];
		FZ_CHECK(scratch[j] == rx_fill);
	}
	rx_total += len;
	if (--rx_left)
		return;
	while (rx_cursor < rx_logged &&
	       (rx_log[rx_cursor].len != rx_total ||
		(rx_fill >= 0 && rx_log[rx_cursor].fill != rx_fill)))
		rx_cursor++;
	FZ_CHECK(rx_cursor < rx_logged);   /* a packet nobody sent */
	rx_cursor++;
}

static void check_all(void)
{
	unsigned int q;

	for (q = 0; q < 2; q++)
		if (started[q])
			fz_check_used(&qs[q], &vqs[q]);
	FZ_CHECK(polling == net.polling);
}

static void start_queue(unsigned int q)
{
	if (q == VIRTIO_NET_RXQ)
		rx_left = 0;
	fz_q_restart(&qs[q]);
	memset(fz_ram + qs[q].desc, 0, FZ_QREGION);
	started[q] = 0;
	if (virtq_init(&vqs[q], &fz_mem, qs[q].size, qs[q].desc, qs[q].avail, qs[q].used,
		       !!(features & VIRTIO_DEV_BIT(VIRTIO_F_EVENT_IDX)),
		       !!(features & VIRTIO_DEV_BIT(VIRTIO_F_INDIRECT_DESC))))
		return;
	started[q] = virtio_net_queue_start(&net, q, &vqs[q], features) == 0;
}

static void do_tx(struct fz_in *in)
{
	uint16_t len = fz_u16(in) % 9000;
	uint8_t nseg = fz_u8(in), ctl = fz_u8(in), hb[4];
	struct virtio_net_hdr_v1 h = { 0 };
	struct fz_seg s[FZ_MAX_SEGS];
	unsigned int k = 0, i;
	uint32_t total;
	uint64_t g;

	for (i = 0; i < 4; i++)
		hb[i] = fz_u8(in);
	h.flags = hb[0];
	h.gso_type = hb[1];
	h.hdr_len = htole16((uint16_t)(hb[2] | hb[3] << 8));
	total = (ctl & 8) ? hb[2] % VIRTIO_NET_HDR_BYTES : VIRTIO_NET_HDR_BYTES + len;
	g = fz_alloc(VIRTIO_NET_HDR_BYTES + len, 8);
	memset(fz_ram + g, 0x45, VIRTIO_NET_HDR_BYTES + len);
	memcpy(fz_ram + g, &h, total < sizeof(h) ? total : sizeof(h));
	if ((ctl & 2) && total > VIRTIO_NET_HDR_BYTES) {
		s[k++] = (struct fz_seg){ g, VIRTIO_NET_HDR_BYTES, 0 };
		fz_split(s, &k, g + VIRTIO_NET_HDR_BYTES, total - VIRTIO_NET_HDR_BYTES,
			 nseg % 8 + 1, 0);
	} else if (total) {
		fz_split(s, &k, g, total, nseg % 8 + 1, 0);
	}
	if (ctl & 4)
		s[k++] = (struct fz_seg){ fz_alloc(64, 8), 64, 1 };
	if (!k)
		return;
	i = fz_chain(&qs[VIRTIO_NET_TXQ], s, k,
		     (ctl & 1) && (features & VIRTIO_DEV_BIT(VIRTIO_F_INDIRECT_DESC)));
	if (fz_q_tracked(&qs[VIRTIO_NET_TXQ]) && qs[VIRTIO_NET_TXQ].known[i]) {
		tx_rec[i].total = total;
		memcpy(tx_rec[i].hdr, fz_ram + g, VIRTIO_NET_HDR_BYTES);
	}
}

static void do_rxbuf(struct fz_in *in)
{
	uint32_t len = fz_u16(in) * 2u % 70000;
	uint8_t nseg = fz_u8(in), ctl = fz_u8(in);
	struct fz_seg s[FZ_MAX_SEGS];
	unsigned int k = 0;

	if (ctl & 4)
		len %= VIRTIO_NET_HDR_BYTES;
	if (ctl & 2)
		s[k++] = (struct fz_seg){ fz_alloc(16, 8), 16, 0 };
	if (len)
		fz_split(s, &k, fz_alloc(len, 8), len, nseg % 8 + 1, 1);
	if (k) {
		uint16_t h = fz_chain(&qs[VIRTIO_NET_RXQ], s, k,
				      (ctl & 1) && (features & VIRTIO_DEV_BIT(VIRTIO_F_INDIRECT_DESC)));

		if (fz_q_tracked(&qs[VIRTIO_NET_RXQ]) && qs[VIRTIO_NET_RXQ].known[h] &&
		    k <= REC_SEGS) {
			memcpy(rx_rec[h].seg, s, k * sizeof(*s));
			rx_rec[h].nseg = k;
		} else {
			rx_off = 1;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct fz_in in = { data, size, 0 };
	struct kvmini_error err = { 0 };
	struct net_io io;
	unsigned int offloads, q;
	uint16_t qsize;
	uint32_t drop;
	uint8_t pairs;
	int r;

	fz_ram_reset();
	offloads = fz_u8(&in);
	qsize = (uint16_t)(1u << (fz_u8(&in) % 16));
	drop = fz_u32(&in);
	pairs = fz_u8(&in);
	memset(&host, 0, sizeof(host));
	rx_logged = rx_cursor = rx_left = 0;
	rx_off = 0;
	fz_on_used = rx_used;
	polling = 0;
	broken_seen = 0;
	if (offloads & 0x80) {
		signal(SIGPIPE, SIG_IGN);   /* the far end may stop reading */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp))
			abort();
		tap_backend_init(&tb, sp[0]);
		FZ_CHECK(!tb.is_tap);
		io = tap_backend_io(&tb);
	} else {
		io = (struct net_io){ &host_ops, &host };
	}
	offloads &= 0x1f;
	if (virtio_net_init(&net, io, mac, offloads, &err))
		abort();
	if (virtio_net_set_max_pairs(&net, 1 + pairs % 4))
		abort();
	virtio_net_set_irq(&net, (struct virtio_irq){ .notify = on_notify, .broken = on_broken,
						      .ctx = &net, .qbase = QBASE });
	virtio_net_set_poll(&net, on_poll, &net);
	features = virtio_net_features(&net) & ~(uint64_t)drop;
	for (q = 0; q < 2; q++) {
		fz_q_layout(&qs[q], q, qsize);
		start_queue(q);
	}
	check_all();
	while (fz_more(&in)) {
		unsigned int op = fz_u8(&in) % OP_COUNT, off, len;
		uint8_t cfg[16];

		if (fz_ring_op(&in, op, qs, 2))
			continue;
		switch (op) {
		case OP_TX:
			do_tx(&in);
			break;
		case OP_RXBUF:
			do_rxbuf(&in);
			break;
		case OP_PKT:
			len = fz_u16(&in) * 2u % 70000;
			off = fz_u8(&in);
			if (sp[0] >= 0) {
				sp_send(len < PKT_MAX ? len : PKT_MAX, (uint8_t)off);
			} else if (host.n < NPKT) {
				unsigned int at = (host.head + host.n) % NPKT;

				host.len[at] = len < PKT_MAX ? len : PKT_MAX;
				host.fill[at] = (uint8_t)off;
				host.n++;
			}
			break;
		case OP_KICK:
			q = fz_u8(&in) % 2;
			irq_before();
			r = virtio_net_kick(&net, q);
			irq_after();
			FZ_CHECK(started[q] ? r >= 0 || r == -EIO : r == -EINVAL);
			if (r == -EIO)
				FZ_CHECK((broken_seen >> q) & 1);
			if (r == -EIO && q == VIRTIO_NET_RXQ)
				FZ_CHECK(!net.polling);
			break;
		case OP_RX:
			irq_before();
			r = virtio_net_rx(&net);
			irq_after();
			FZ_CHECK(r >= 0 || (r == -EIO && (broken_seen & 1) && !net.polling));
			if (!started[VIRTIO_NET_RXQ])
				FZ_CHECK(r == 0 && !net.polling);
			break;
		case OP_RESET:
			virtio_net_reset(&net);
			FZ_CHECK(!net.polling);
			memset(started, 0, sizeof(started));
			broken_seen = 0;
			break;
		case OP_START:
			q = fz_u8(&in) % 2;
			if (!started[q])
				start_queue(q);
			break;
		case OP_HOST:
			host.mode = fz_u8(&in);
			if (sp[0] >= 0 && (host.mode & 1))
				shutdown(sp[1], SHUT_RD);
			if (sp[0] >= 0 && (host.mode & 4))
				shutdown(sp[1], SHUT_WR);
			break;
		case OP_CONFIG:
			off = fz_u8(&in);
			len = 1u << (fz_u8(&in) % 4);
			virtio_net_config_read(&net, off, cfg, len);
			break;
		}
		if (sp[0] >= 0)
			sp_drain();
		check_all();
	}
	virtio_net_reset(&net);
	virtio_net_destroy(&net);
	if (sp[0] >= 0) {
		close(sp[0]);
		close(sp[1]);
		sp[0] = sp[1] = -1;
	}
	return 0;
}
