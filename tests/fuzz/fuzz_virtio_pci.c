/*
 * fuzz_virtio_pci.c - the virtio-pci transport (devices/virtio_pci.c) with a
 * small device behind it: an echo device built on devices/virtio_dev.c that
 * copies each chain's readable bytes into its writable ones, or holds chains
 * to complete them later (so that a reset finds requests in flight). The
 * transport sits on an attached PCI bus (config writes reach the MSI-X
 * capability, BAR 0 can be moved and its doorbells follow), with a fake MSI
 * host that checks what the transport asks of it (an eventfd is attached to
 * a GSI at most once and only detached where attached, doorbells bound once
 * per address and unbound where bound, everything released at the end) and
 * a fake INTx line. Guest RAM and rings as in fuzz_ring.h.
 *
 * Input: a header, then ops.
 *   nq:u8       queues: 1 + nq % 64
 *   qmax:u8     largest queue size: 1 << (qmax % 16)
 *   offer:u64   the device's features (VERSION_1 is always offered)
 *   flags:u8    bit 0 no MSI host, bit 1 no INTx line, bit 2 the MSI host
 *               refuses routes, bit 3 it refuses irqfds
 * Ops (opcode mod OP_COUNT); the shared ring ops (fuzz_ring.h) work on the
 * first four queues where the transport has them placed:
 *   BARW off:u16 ctl:u8 val:u64 / BARR off:u16 ctl:u8
 *                        a BAR 0 access (ctl bits 0-1 log2 of the size,
 *                        bit 2 through the MMIO bus at BAR 0's address)
 *   CC field:u8 val:u64  one common configuration field, at its width
 *   MSIX vec:u8 field:u8 val:u32   an MSI-X table entry dword
 *   CFGW off:u8 ctl:u8 val:u32 / CFGR off:u8 ctl:u8   PCI config space
 *   MSIXCTL v:u16        the MSI-X message control word (enable, mask)
 *   KICK q:u8            ring the doorbell, then what the I/O thread does
 *   COMPLETE             the device pushes the chains it holds
 *   MODE m:u8            bit 0 hold chains, bit 1 stop after each chain,
 *                        bit 2 a chain whose first byte is 0xbb breaks
 *   BREAK q:u8           the device reports queue q broken
 *   SETUP fmask:u64 ctl:u8 sizes:u8[4]
 *                        what a driver does: reset, negotiate offer & fmask,
 *                        place up to four queues (ctl bits 0-1: count - 1;
 *                        size 1 << (sizes[i] % 11)) with vectors, DRIVER_OK;
 *                        ctl bit 2: then enable MSI-X and unmask its vectors
 *   CHAIN q:u8 rlen:u16 wlen:u16 ctl:u8   a chain on q: rlen readable and
 *                        wlen writable bytes, ctl bits 0-2 segments each,
 *                        bit 3 indirect
 *   MAP v:u16 cmd:u8     move BAR 0 (4 KiB steps in the window) and set the
 *                        command register
 *   ISR                  read the ISR (clears it and the INTx line)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "base/log.h"
#include "devices/iobus.h"
#include "devices/pci.h"
#include "devices/virtio_dev.h"
#include "devices/virtio_pci.h"
#include "fuzz_ring.h"

#define WIN_BASE 0xc0000000ULL
#define WIN_END  0xd0000000ULL
#define HOLD 64
#define NGSI 512
#define NIOEV VIRTIO_PCI_MAX_QUEUES

enum { OP_BARW = FZ_OP_FIRST_OWN, OP_BARR, OP_CC, OP_MSIX, OP_CFGW, OP_CFGR, OP_MSIXCTL,
       OP_KICK, OP_COMPLETE, OP_MODE, OP_BREAK, OP_SETUP, OP_CHAIN, OP_MAP, OP_ISR,
       OP_COUNT };

/* Common configuration fields: offset and width. */
static const struct { uint8_t off, len; } cc_field[] = {
	{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 }, { 0x10, 2 }, { 0x12, 2 },
	{ 0x14, 1 }, { 0x15, 1 }, { 0x16, 2 }, { 0x18, 2 }, { 0x1a, 2 }, { 0x1c, 2 },
	{ 0x1e, 2 }, { 0x20, 8 }, { 0x28, 8 }, { 0x30, 8 }, { 0x20, 4 }, { 0x24, 4 },
	{ 0x28, 4 }, { 0x2c, 4 }, { 0x30, 4 }, { 0x34, 4 },
};

/* ---- the echo device ---- */

struct echo {
	struct virtio_dev vdev;
	uint64_t offer;
	uint8_t cfg[24];
	struct { uint16_t head; uint8_t q; uint32_t len; } held[HOLD];
	unsigned int nheld;
	uint8_t mode;
};

static struct virtio_pci vp;
static struct echo dev;
static uint8_t bounce[4096];

static int initialising;   /* virtio_pci_init resets the device: no other caller yet */

static void check_locked(void)
{
	int r;

	if (initialising)
		return;
	r = pthread_mutex_trylock(&vp.lock);
	if (r == 0)
		pthread_mutex_unlock(&vp.lock);
	FZ_CHECK(r == EBUSY);   /* the transport calls the device with its lock held */
}

static uint64_t echo_features(void *d)
{
	return ((struct echo *)d)->offer;
}

static void echo_config_read(void *d, uint64_t off, void *data, unsigned int len)
{
	struct echo *e = d;

	check_locked();
	FZ_CHECK(len >= 1 && len <= 8 && off < 0x1000 && len <= 0x1000 - off);
	virtio_dev_config_read(e->cfg, sizeof(e->cfg), off, data, len);
}

static void echo_config_write(void *d, uint64_t off, const void *data, unsigned int len)
{
	struct echo *e = d;

	check_locked();
	FZ_CHECK(len >= 1 && len <= 8 && off < 0x1000 && len <= 0x1000 - off);
	if (off < sizeof(e->cfg))
		memcpy(e->cfg + off, data, len < sizeof(e->cfg) - off ? len : sizeof(e->cfg) - off);
}

static int echo_queue_start(void *d, unsigned int q, struct virtq *vq, uint64_t f)
{
	struct echo *e = d;

	check_locked();
	/* Only negotiated features (offered, VERSION_1), each queue once per reset. */
	FZ_CHECK(!(f & ~e->offer) && (f & VIRTIO_DEV_BIT(VIRTIO_F_VERSION_1)));
	FZ_CHECK(q < vp.nqueues && vq == &vp.q[q].vq && !vq->broken);
	FZ_CHECK(q >= e->vdev.nqueues || !e->vdev.vq[q]);
	if (virtio_dev_check_features(&e->vdev, f))
		return -EINVAL;
	return virtio_dev_queue_start(&e->vdev, q, vq, f);
}

static int echo_chain(void *ctx, unsigned int q, struct virtq_chain *c)
{
	struct echo *e = ctx;
	uint64_t n = c->readable < sizeof(bounce) ? c->readable : sizeof(bounce);
	uint8_t first = 0;

	if ((e->mode & 4) && virtq_chain_read(c, 0, &first, 1) == 1 && first == 0xbb)
		return -EIO;
	if ((e->mode & 1) && e->nheld < HOLD) {
		n = c->writable < 16 ? c->writable : 16;
		virtq_chain_write(c, 0, "held chain data.", n);
		e->held[e->nheld].head = c->head;
		e->held[e->nheld].q = (uint8_t)q;
		e->held[e->nheld].len = (uint32_t)n;
		e->nheld++;
	} else {
		n = virtq_chain_read(c, 0, bounce, n);
		n = virtq_chain_write(c, 0, bounce, n);
		if (virtio_dev_push(&e->vdev, q, c->head, (uint32_t)n) < 0)
			return -EIO;
	}
	return (e->mode & 2) ? VIRTIO_DEV_STOP : VIRTIO_DEV_NEXT;
}

static int echo_kick(void *d, unsigned int q)
{
	struct echo *e = d;
	int r;

	check_locked();
	FZ_CHECK(q < vp.nqueues && vp.q[q].started);
	if (q >= e->vdev.nqueues)
		return -EINVAL;
	FZ_CHECK(e->vdev.vq[q] == &vp.q[q].vq);
	r = virtio_dev_drain(&e->vdev, q, echo_chain, e);
	virtio_dev_signal(&e->vdev);
	return r < 0 ? r : 0;
}

static void echo_reset(void *d)
{
	struct echo *e = d;

	check_locked();
	virtio_dev_reset(&e->vdev);
	e->nheld = 0;   /* what was in flight is dropped */
}

static const struct virtio_device_ops echo_ops = {
	.device_id = 0x1f, .class_code = 0xff0000, .features = echo_features,
	.config_read = echo_config_read, .config_write = echo_config_write,
	.queue_start = echo_queue_start, .kick = echo_kick, .reset = echo_reset,
};

/* ---- the machine: MSI host and INTx ---- */

static struct {
	int next_gsi;
	int bound[NGSI];              /* eventfd attached to gsi, or -1 */
	uint64_t ioev_addr[NIOEV];
	int ioev_fd[NIOEV], nioev;
	int refuse_route, refuse_irqfd;
	int intx;
} host;

static int host_route(void *ctx, int *gsi, uint64_t addr, uint32_t data)
{
	(void)ctx, (void)data;
	FZ_CHECK(addr != 0);
	if (*gsi < 0) {
		if (host.refuse_route || host.next_gsi == NGSI)
			return -ENOSPC;
		*gsi = host.next_gsi++;
	}
	FZ_CHECK(*gsi < host.next_gsi);
	return 0;
}

static int host_irqfd(void *ctx, int gsi, int fd, int assign)
{
	(void)ctx;
	FZ_CHECK(gsi >= 0 && gsi < host.next_gsi && fd >= 0);
	if (assign) {
		FZ_CHECK(host.bound[gsi] < 0);   /* attached twice */
		if (host.refuse_irqfd)
			return -EINVAL;
		host.bound[gsi] = fd;
	} else {
		FZ_CHECK(host.bound[gsi] == fd); /* detached where not attached */
		host.bound[gsi] = -1;
	}
	return 0;
}

static int host_ioeventfd(void *ctx, uint64_t addr, unsigned int len, int fd, int assign)
{
	int i;

	(void)ctx, (void)len;
	FZ_CHECK(fd >= 0);
	for (i = 0; i < host.nioev && host.ioev_addr[i] != addr; i++)
		;
	if (assign) {
		FZ_CHECK(i == host.nioev && host.nioev < NIOEV);   /* bound twice */
		host.ioev_addr[host.nioev] = addr;
		host.ioev_fd[host.nioev++] = fd;
	} else {
		FZ_CHECK(i < host.nioev && host.ioev_fd[i] == fd); /* unbound unbound */
		host.nioev--;
		host.ioev_addr[i] = host.ioev_addr[host.nioev];
		host.ioev_fd[i] = host.ioev_fd[host.nioev];
	}
	return 0;
}

static void host_intx(void *ctx, unsigned int irq, int level)
{
	(void)ctx;
	FZ_CHECK(irq == 11 && (level == 0 || level == 1));
	host.intx = level;
}

/* ---- the driver ---- */

static struct pci_bus bus;
static struct iobus pio, mmio;
static int slot;
static unsigned int msix_cap;
static struct fz_q qs[FZ_MAXQ];
static int was_started[FZ_MAXQ];

static void bar_rw(uint64_t off, void *val, unsigned int len, int write, int via_bus)
{
	uint64_t base = pci_bar_address(&vp.pci, 0);

	if (via_bus) {
		if (base)
			(void)iobus_access(&mmio, base + off, val, len, write);
		return;
	}
	if (off >= 0x8000 || len > 0x8000 - off)
		return;
	if (write)
		vp.pci.ops->bar_write(vp.pci.opaque, 0, off, val, len);
	else
		vp.pci.ops->bar_read(vp.pci.opaque, 0, off, val, len);
}

static void cc_write(unsigned int off, uint64_t v, unsigned int len)
{
	bar_rw(off, &v, len, 1, 0);
}

static uint64_t cc_read(unsigned int off, unsigned int len)
{
	uint64_t v = 0;

	bar_rw(off, &v, len, 0, 0);
	return v;
}

/* Which ring addresses the transport has for the first queues. */
static void sync_queues(void)
{
	unsigned int i;

	for (i = 0; i < FZ_MAXQ && i < vp.nqueues; i++) {
		qs[i].size = vp.q[i].size;
		qs[i].desc = vp.q[i].desc;
		qs[i].avail = vp.q[i].avail;
		qs[i].used = vp.q[i].used;
	}
}

/*
 * The interrupt state hangs together: the INTx line is up exactly while
 * the ISR has a bit; an eventfd is attached only while its vector may
 * fire (MSI-X on, neither the function nor the entry masked) and exactly
 * where the host has it; nothing waits in the PBA that could be delivered
 * now, and the PBA has no bits past the last vector.
 */
static void check_irqs(void)
{
	uint16_t ctl = (uint16_t)(vp.pci.cfg[msix_cap + 2] | vp.pci.cfg[msix_cap + 3] << 8);
	int on = (ctl & 0x8000) && !(ctl & 0x4000);
	unsigned int v;

	if (vp.intx.set)
		FZ_CHECK(host.intx == (vp.isr != 0));
	for (v = 0; v < VIRTIO_PCI_MAX_VECTORS; v++) {
		int pend = (vp.pba[v / 64] >> (v % 64)) & 1;
		int may = on && v < vp.nvec && !(vp.table[v].ctrl & 1);

		if (v >= vp.nvec) {
			FZ_CHECK(!pend && !vp.vec_bound[v]);
			continue;
		}
		if (vp.vec_bound[v]) {
			FZ_CHECK(may);
			FZ_CHECK(vp.vec_gsi[v] >= 0 && host.bound[vp.vec_gsi[v]] == vp.vec_fd[v]);
		}
		FZ_CHECK(!(pend && may && vp.vec_bound[v]));
	}
	FZ_CHECK(!(vp.pba[VIRTIO_PCI_PBA_WORDS - 1] >> (VIRTIO_PCI_MAX_VECTORS % 64)));
}

/* What the device pushed: checked against the queue it was started on. */
static void check_queues(void)
{
	unsigned int i;

	check_irqs();
	for (i = 0; i < FZ_MAXQ && i < vp.nqueues; i++) {
		if (vp.q[i].started && !was_started[i]) {
			qs[i].used_seen = 0;      /* virtq_init started it afresh */
			qs[i].pushed_seen = 0;
		}
		was_started[i] = vp.q[i].started;
		if (vp.q[i].started)
			fz_check_used(&qs[i], &vp.q[i].vq);
	}
}

static void do_setup(struct fz_in *in)
{
	uint64_t fmask = fz_u64(in), f = (dev.offer & fmask) | VIRTIO_DEV_BIT(VIRTIO_F_VERSION_1);
	uint8_t ctl = fz_u8(in), sizes[FZ_MAXQ];
	unsigned int i, n = (ctl & 3) + 1, v;
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	for (i = 0; i < FZ_MAXQ; i++)
		sizes[i] = fz_u8(in);
	cc_write(0x14, 0, 1);
	cc_write(0x14, s, 1);
	cc_write(0x08, 0, 4);
	cc_write(0x0c, (uint32_t)f, 4);
	cc_write(0x08, 1, 4);
	cc_write(0x0c, f >> 32, 4);
	s |= VIRTIO_STATUS_FEATURES_OK;
	cc_write(0x14, s, 1);
	for (i = 0; i < n && i < vp.nqueues; i++) {
		uint16_t size = (uint16_t)(1u << (sizes[i] % 11));

		if (size > vp.q[i].max_size)
			size = vp.q[i].max_size;
		fz_q_layout(&qs[i], i, size);
		memset(fz_ram + qs[i].desc, 0, qs[i].used + VIRTQ_USED_BYTES(size) - qs[i].desc);
		cc_write(0x16, i, 2);
		cc_write(0x18, size, 2);
		cc_write(0x1a, i + 1, 2);
		cc_write(0x20, qs[i].desc, 8);
		cc_write(0x28, qs[i].avail, 8);
		cc_write(0x30, qs[i].used, 8);
		cc_write(0x1c, 1, 2);
	}
	cc_write(0x10, 0, 2);
	cc_write(0x14, s | VIRTIO_STATUS_DRIVER_OK, 1);
	if (ctl & 4) {
		pci_config_write(&bus, (unsigned int)slot, 0, msix_cap + 2, 2, 0x8000);
		for (v = 0; v <= n && v < vp.nvec; v++) {
			uint32_t e[4] = { 0xfee00000u, 0, 0x40 + v, 0 };
			unsigned int k;

			for (k = 0; k < 4; k++)
				cc_write(0x4000 + 16 * v + 4 * k, e[k], 4);
		}
	}
	sync_queues();
	for (i = 0; i < FZ_MAXQ; i++)
		fz_q_restart(&qs[i]);
}

static void do_chain(struct fz_in *in)
{
	struct fz_q *q = &qs[fz_u8(in) % FZ_MAXQ];
	uint16_t rlen = fz_u16(in) % 8192, wlen = fz_u16(in) % 8192;
	uint8_t ctl = fz_u8(in);
	struct fz_seg s[FZ_MAX_SEGS];
	unsigned int k = 0, nseg = (ctl & 7) + 1;
	uint64_t r = fz_alloc(rlen, 8), w = fz_alloc(wlen, 8);

	if (!q->size || (q->size & (q->size - 1u)))
		return;
	memset(fz_ram + r, ctl & 0x10 ? 0xbb : 0x11, rlen);
	if (rlen)
		fz_split(s, &k, r, rlen, nseg, 0);
	if (wlen)
		fz_split(s, &k, w, wlen, nseg, 1);
	if (k)
		fz_chain(q, s, k, !!(ctl & 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int lowest_fd;
	struct fz_in in = { data, size, 0 };
	struct msi_host msi = { host_route, host_irqfd, host_ioeventfd, NULL };
	struct irq_line intx = { host_intx, NULL, 11 };
	unsigned int nq, i, p;
	uint16_t qmax;
	uint8_t flags;
	int fd;

	log_set_level(LOG_ERR);
	lowest_fd = dup(0);   /* the lowest free fd: the same at the end, or one leaked */
	close(lowest_fd);
	fz_ram_reset();
	fz_dirty = 1;   /* the echo device is the harness's: its lengths are not the point */
	nq = 1 + fz_u8(&in) % VIRTIO_PCI_MAX_QUEUES;
	qmax = (uint16_t)(1u << (fz_u8(&in) % 16));
	memset(&dev, 0, sizeof(dev));
	dev.offer = fz_u64(&in) | VIRTIO_DEV_BIT(VIRTIO_F_VERSION_1);
	flags = fz_u8(&in);
	memset(&host, 0, sizeof(host));
	for (i = 0; i < NGSI; i++)
		host.bound[i] = -1;
	host.refuse_route = flags & 4;
	host.refuse_irqfd = flags & 8;
	if (flags & 1)
		msi = (struct msi_host){ 0 };
	if (flags & 2)
		intx = (struct irq_line){ 0 };
	memset(qs, 0, sizeof(qs));
	memset(was_started, 0, sizeof(was_started));
	/* Past VIRTIO_DEV_MAX_QUEUES the device refuses to start a queue. */
	if (virtio_dev_init(&dev.vdev, nq < VIRTIO_DEV_MAX_QUEUES ? nq : VIRTIO_DEV_MAX_QUEUES,
			    dev.offer))
		abort();
	iobus_init(&pio, "pio");
	iobus_init(&mmio, "mmio");
	if (pci_bus_init(&bus, (struct power_sink){ 0 }, WIN_BASE, WIN_END) ||
	    pci_bus_attach(&bus, &pio, &mmio))
		abort();
	initialising = 1;
	if (virtio_pci_init(&vp, &echo_ops, &dev, &fz_mem, msi, intx, nq, qmax))
		abort();
	initialising = 0;
	virtio_dev_set_irq(&dev.vdev, virtio_pci_irq(&vp, 0));
	slot = pci_bus_add(&bus, &vp.pci);
	FZ_CHECK(slot > 0);
	for (msix_cap = 0, p = vp.pci.cfg[PCI_CAP_PTR]; p; p = vp.pci.cfg[p + 1])
		if (vp.pci.cfg[p] == 0x11)
			msix_cap = p;
	FZ_CHECK(msix_cap);

	while (fz_more(&in)) {
		unsigned int op = fz_u8(&in) % OP_COUNT, off, ctl, len;
		uint64_t v = 0;

		sync_queues();
		if (fz_ring_op(&in, op, qs, FZ_MAXQ)) {
			fz_dirty = 1;
			continue;
		}
		switch (op) {
		case OP_BARW:
		case OP_BARR:
			off = fz_u16(&in) & 0x7fff;
			ctl = fz_u8(&in);
			if (op == OP_BARW)
				v = fz_u64(&in);
			bar_rw(off, &v, 1u << (ctl & 3), op == OP_BARW, ctl & 4);
			break;
		case OP_CC:
			i = fz_u8(&in) % ARRAY_SIZE(cc_field);
			v = fz_u64(&in);
			cc_write(cc_field[i].off, v, cc_field[i].len);
			break;
		case OP_MSIX:
			i = fz_u8(&in);
			off = fz_u8(&in);
			cc_write(0x4000 + 16 * (i % (VIRTIO_PCI_MAX_VECTORS + 1)) + (off & 15),
				 fz_u32(&in), 4);
			break;
		case OP_CFGW:
		case OP_CFGR:
			off = fz_u8(&in);
			ctl = fz_u8(&in);
			len = (ctl & 3) == 3 ? 4 : (ctl & 3) + 1;
			if (op == OP_CFGW)
				pci_config_write(&bus, (unsigned int)slot, 0, off, len, fz_u32(&in));
			else
				(void)pci_config_read(&bus, (unsigned int)slot, 0, off, len);
			break;
		case OP_MSIXCTL:
			pci_config_write(&bus, (unsigned int)slot, 0, msix_cap + 2, 2, fz_u16(&in));
			break;
		case OP_KICK:
			i = fz_u8(&in) % nq;
			cc_write(0x3000 + 4 * i, i, 2);
			virtio_pci_kick_ready(&vp, i);
			break;
		case OP_COMPLETE:
			virtio_pci_lock(&vp);
			for (i = 0; i < dev.nheld; i++)
				if (virtio_dev_push(&dev.vdev, dev.held[i].q, dev.held[i].head,
						    dev.held[i].len)) {
					/* the queue is gone or broken: reported */
				}
			dev.nheld = 0;
			virtio_dev_signal(&dev.vdev);
			virtio_pci_unlock(&vp);
			break;
		case OP_MODE:
			dev.mode = fz_u8(&in);
			break;
		case OP_BREAK:
			i = fz_u8(&in) % nq;
			virtio_pci_lock(&vp);
			(void)virtio_dev_break(&dev.vdev, i);
			virtio_pci_unlock(&vp);
			FZ_CHECK(vp.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
			break;
		case OP_SETUP:
			do_setup(&in);
			break;
		case OP_CHAIN:
			do_chain(&in);
			break;
		case OP_MAP:
			v = fz_u16(&in);
			ctl = fz_u8(&in);
			pci_config_write(&bus, (unsigned int)slot, 0, PCI_BAR0, 4,
					 (uint32_t)(WIN_BASE + (v << 12)));
			pci_config_write(&bus, (unsigned int)slot, 0, PCI_BAR0 + 4, 4, 0);
			pci_config_write(&bus, (unsigned int)slot, 0, PCI_COMMAND, 2, ctl);
			break;
		case OP_ISR:
			(void)cc_read(0x1000, 1);
			FZ_CHECK(!vp.isr && host.intx == 0);
			break;
		}
		check_queues();
	}
	virtio_pci_destroy(&vp);
	virtio_dev_destroy(&dev.vdev);
	pci_bus_destroy(&bus);
	iobus_destroy(&pio);
	iobus_destroy(&mmio);
	/* Everything given to the host was taken back, every eventfd closed. */
	FZ_CHECK(host.nioev == 0);
	for (i = 0; i < (unsigned int)host.next_gsi; i++)
		FZ_CHECK(host.bound[i] < 0);
	fd = dup(0);
	FZ_CHECK(fd == lowest_fd);
	close(fd);
	return 0;
}
