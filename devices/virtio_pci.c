/* virtio_pci.c - see virtio_pci.h. Register layout: virtio 1.x, 4.1.4. */
#include "devices/virtio_pci.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define VIRTIO_PCI_VENDOR   0x1af4
#define VIRTIO_PCI_DEVICE0  0x1040  /* + device type */
#define VIRTIO_PCI_SUBSYS   0x1100

/* BAR 0 layout. */
#define BAR_SIZE      0x8000
#define COMMON_OFF    0x0000
#define COMMON_LEN    0x38
#define ISR_OFF       0x1000
#define DEVCFG_OFF    0x2000
#define DEVCFG_LEN    0x1000
#define NOTIFY_OFF    0x3000
#define NOTIFY_MULT   4
#define MSIX_TBL_OFF  0x4000
#define MSIX_PBA_OFF  0x5000

_Static_assert(MSIX_TBL_OFF + 16 * VIRTIO_PCI_MAX_VECTORS <= MSIX_PBA_OFF &&
	       MSIX_PBA_OFF + 8 * VIRTIO_PCI_PBA_WORDS <= BAR_SIZE,
	       "the MSI-X table and PBA fit BAR 0");

/* Capability types. */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };
#define PCI_CAP_ID_VNDR  0x09
#define PCI_CAP_ID_MSIX  0x11
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_ENTRY_MASKED 0x1

/* Common configuration field offsets. */
enum {
	CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0c,
	CC_MSIX_CONFIG = 0x10, CC_NUM_QUEUES = 0x12, CC_STATUS = 0x14,
	CC_CFG_GEN = 0x15, CC_Q_SELECT = 0x16, CC_Q_SIZE = 0x18, CC_Q_MSIX = 0x1a,
	CC_Q_ENABLE = 0x1c, CC_Q_NOTIFY_OFF = 0x1e, CC_Q_DESC = 0x20,
	CC_Q_DRIVER = 0x28, CC_Q_DEVICE = 0x30,
};

struct vcap {
	uint8_t id, next, len, cfg_type, bar, cap_id, pad[2];
	uint32_t offset, length;
	uint32_t notify_mult;   /* only in the notify capability */
} __attribute__((packed));

static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int add_vcap(struct virtio_pci *vp, uint8_t type, uint32_t off, uint32_t len)
{
	struct vcap c = { .id = PCI_CAP_ID_VNDR, .cfg_type = type, .bar = 0,
			  .offset = off, .length = len, .notify_mult = NOTIFY_MULT };

	c.len = type == CAP_NOTIFY ? sizeof(c) : sizeof(c) - 4;
	return pci_function_add_cap(&vp->pci, &c, c.len);
}

/* ---- interrupts ---- */

static int msix_enabled(const struct virtio_pci *vp)
{
	return rd16(&vp->pci.cfg[vp->msix_cap + 2]) & MSIX_CTRL_ENABLE;
}

static int vector_masked(const struct virtio_pci *vp, unsigned int v)
{
	return (rd16(&vp->pci.cfg[vp->msix_cap + 2]) & MSIX_CTRL_MASKALL) ||
	       (vp->table[v].ctrl & MSIX_ENTRY_MASKED);
}

/*
 * Keep vector v's eventfd in step with its table entry. While the vector is
 * unmasked the eventfd is attached to a GSI carrying the entry's message;
 * while it is masked (entry, function mask or MSI-X off) the eventfd is
 * detached, so a signal from vhost-net (which writes the eventfd itself)
 * waits there and KVM delivers it when the eventfd is attached again on
 * unmask. The route is only reprogrammed while unmasked, so the half-written
 * entry a driver leaves between its address and data writes never carries
 * an interrupt.
 */
static void vector_sync(struct virtio_pci *vp, unsigned int v)
{
	const struct virtio_pci_msix *e = &vp->table[v];
	uint64_t addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;

	if (!vp->msi.route || !vp->msi.irqfd || vp->vec_fd[v] < 0)
		return;
	if (vector_masked(vp, v) || !msix_enabled(vp) || !addr) {
		if (vp->vec_bound[v] &&
		    vp->msi.irqfd(vp->msi.ctx, vp->vec_gsi[v], vp->vec_fd[v], 0) == 0)
			vp->vec_bound[v] = 0;
		return;
	}
	if (vp->msi.route(vp->msi.ctx, &vp->vec_gsi[v], addr, e->data))
		return;
	if (!vp->vec_bound[v] &&
	    vp->msi.irqfd(vp->msi.ctx, vp->vec_gsi[v], vp->vec_fd[v], 1) == 0)
		vp->vec_bound[v] = 1;
}

/* The pending bit of vector v (v < nvec). */
static int pending(const struct virtio_pci *vp, unsigned int v)
{
	return (vp->pba[v / 64] >> (v % 64)) & 1;
}

static void set_pending(struct virtio_pci *vp, unsigned int v, int on)
{
	if (on)
		vp->pba[v / 64] |= 1ULL << (v % 64);
	else
		vp->pba[v / 64] &= ~(1ULL << (v % 64));
}

static void fire_vector(struct virtio_pci *vp, unsigned int v)
{
	uint64_t one = 1;

	if (v >= vp->nvec)
		return;
	if (vector_masked(vp, v) || !vp->vec_bound[v]) {
		set_pending(vp, v, 1);
		return;
	}
	vp->interrupts++;
	if (write(vp->vec_fd[v], &one, sizeof(one)) < 0) {
		/* an eventfd write only fails at its 2^64-2 limit */
	}
}

static void raise_irq(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (msix_enabled(vp)) {
		fire_vector(vp, vector);
	} else {
		vp->isr |= isr_bit;
		irq_line_set(&vp->intx, 1);
	}
}

void virtio_pci_notify(struct virtio_pci *vp, unsigned int q)
{
	if (q < vp->nqueues)
		raise_irq(vp, vp->q[q].msix_vector, 1);
}

int virtio_pci_queue_irqfd(struct virtio_pci *vp, unsigned int q)
{
	uint16_t v;

	if (q >= vp->nqueues || !msix_enabled(vp) || !vp->msi.irqfd)
		return -1;
	v = vp->q[q].msix_vector;
	return v < vp->nvec ? vp->vec_fd[v] : -1;
}

void virtio_pci_queue_broken(struct virtio_pci *vp, unsigned int q)
{
	if (q < vp->nqueues)
		vp->broken_queues |= 1ULL << q;
	if (vp->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	vp->config_gen++;
	raise_irq(vp, vp->msix_config, 2);
}

static void irq_notify(void *ctx, unsigned int q)
{
	virtio_pci_notify(ctx, q);
}

static void irq_broken(void *ctx, unsigned int q)
{
	virtio_pci_queue_broken(ctx, q);
}

struct virtio_irq virtio_pci_irq(struct virtio_pci *vp, unsigned int qbase)
{
	return (struct virtio_irq){ .notify = irq_notify, .broken = irq_broken, .ctx = vp,
				    .qbase = qbase };
}

/* Deliver what became pending while masked. */
static void deliver_pending(struct virtio_pci *vp)
{
	unsigned int v;

	for (v = 0; v < vp->nvec; v++) {
		if (pending(vp, v) && !vector_masked(vp, v) && vp->vec_bound[v]) {
			set_pending(vp, v, 0);
			fire_vector(vp, v);
		}
	}
}

/* ---- doorbells ---- */

static void bind_doorbells(struct virtio_pci *vp)
{
	uint64_t base = pci_bar_address(&vp->pci, 0);
	uint64_t want = base ? base + NOTIFY_OFF : 0;
	unsigned int q;

	if (!vp->msi.ioeventfd || want == vp->notify_addr)
		return;
	for (q = 0; q < vp->nqueues; q++) {
		if (vp->notify_addr)
			vp->msi.ioeventfd(vp->msi.ctx, vp->notify_addr + NOTIFY_MULT * q, 0,
					  vp->q[q].kick_fd, 0);
		if (want)
			vp->msi.ioeventfd(vp->msi.ctx, want + NOTIFY_MULT * q, 0,
					  vp->q[q].kick_fd, 1);
	}
	vp->notify_addr = want;
}

int virtio_pci_kick_fd(struct virtio_pci *vp, unsigned int q)
{
	return q < vp->nqueues ? vp->q[q].kick_fd : -1;
}

void virtio_pci_kick_ready(struct virtio_pci *vp, unsigned int q)
{
	uint64_t n;

	if (q >= vp->nqueues || read(vp->q[q].kick_fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&vp->lock);
	if (vp->q[q].started && (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
	    !(vp->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) &&
	    vp->ops->kick(vp->dev, q) < 0)
		virtio_pci_queue_broken(vp, q);
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_lock(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
}

void virtio_pci_unlock(struct virtio_pci *vp)
{
	pthread_mutex_unlock(&vp->lock);
}

/* ---- common configuration ---- */

static void reset(struct virtio_pci *vp)
{
	unsigned int i;

	vp->ops->reset(vp->dev);
	vp->status = 0;
	vp->isr = 0;
	vp->drv_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	vp->msix_config = VIRTIO_PCI_NO_VECTOR;
	vp->broken_queues = 0;
	vp->config_gen++;
	for (i = 0; i < vp->nqueues; i++) {
		struct virtio_pci_queue *q = &vp->q[i];

		q->size = q->max_size;
		q->msix_vector = VIRTIO_PCI_NO_VECTOR;
		q->enabled = 0;
		q->started = 0;
		q->desc = q->avail = q->used = 0;
	}
	irq_line_set(&vp->intx, 0);
}

static void start_queues(struct virtio_pci *vp)
{
	int event_idx = !!(vp->drv_features & VIRTIO_FEATURE_BIT(VIRTIO_F_EVENT_IDX_BIT));
	int indirect = !!(vp->drv_features & VIRTIO_FEATURE_BIT(VIRTIO_F_INDIRECT_DESC_BIT));
	unsigned int i;

	for (i = 0; i < vp->nqueues; i++) {
		struct virtio_pci_queue *q = &vp->q[i];

		if (!q->enabled || q->started)
			continue;
		if (virtq_init(&q->vq, vp->mem, q->size, q->desc, q->avail, q->used,
			       event_idx, indirect) ||
		    vp->ops->queue_start(vp->dev, i, &q->vq, vp->drv_features)) {
			virtio_pci_queue_broken(vp, i);
			return;
		}
		q->started = 1;
	}
}

static void set_status(struct virtio_pci *vp, uint8_t s)
{
	if (s == 0) {
		reset(vp);
		return;
	}
	if ((s & VIRTIO_STATUS_FEATURES_OK) && !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
		/* Refuse features we did not offer, and drivers without VERSION_1. */
		if ((vp->drv_features & ~vp->dev_features) ||
		    !(vp->drv_features & VIRTIO_FEATURE_BIT(VIRTIO_F_VERSION_1_BIT)))
			s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	vp->status = (uint8_t)(s | (vp->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	if ((s & VIRTIO_STATUS_DRIVER_OK) && (s & VIRTIO_STATUS_FEATURES_OK))
		start_queues(vp);
}

static void common_image(struct virtio_pci *vp, uint8_t *img)
{
	const struct virtio_pci_queue *q =
		vp->queue_select < vp->nqueues ? &vp->q[vp->queue_select] : NULL;

	memset(img, 0, COMMON_LEN);
	wr32(img + CC_DFSELECT, vp->dfselect);
	wr32(img + CC_DF, vp->dfselect < 2 ? (uint32_t)(vp->dev_features >> (32 * vp->dfselect)) : 0);
	wr32(img + CC_GFSELECT, vp->gfselect);
	wr32(img + CC_GF, vp->gfselect < 2 ? (uint32_t)(vp->drv_features >> (32 * vp->gfselect)) : 0);
	wr16(img + CC_MSIX_CONFIG, vp->msix_config);
	wr16(img + CC_NUM_QUEUES, (uint16_t)vp->nqueues);
	img[CC_STATUS] = vp->status;
	img[CC_CFG_GEN] = vp->config_gen;
	wr16(img + CC_Q_SELECT, vp->queue_select);
	if (q) {
		wr16(img + CC_Q_SIZE, q->size);
		wr16(img + CC_Q_MSIX, q->msix_vector);
		wr16(img + CC_Q_ENABLE, q->enabled);
		wr16(img + CC_Q_NOTIFY_OFF, (uint16_t)vp->queue_select);
		wr64(img + CC_Q_DESC, q->desc);
		wr64(img + CC_Q_DRIVER, q->avail);
		wr64(img + CC_Q_DEVICE, q->used);
	}
}

static int touched(uint64_t off, unsigned int len, unsigned int field, unsigned int flen)
{
	return off < field + flen && field < off + len;
}

static uint16_t valid_vector(const struct virtio_pci *vp, uint16_t v)
{
	return v < vp->nvec ? v : VIRTIO_PCI_NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, uint64_t off, const void *data,
			 unsigned int len)
{
	struct virtio_pci_queue *q =
		vp->queue_select < vp->nqueues ? &vp->q[vp->queue_select] : NULL;
	int live = q && (vp->status & VIRTIO_STATUS_DRIVER_OK);
	uint8_t img[COMMON_LEN];

	common_image(vp, img);
	memcpy(img + off, data, len);
	if (touched(off, len, CC_DFSELECT, 4))
		vp->dfselect = rd32(img + CC_DFSELECT);
	if (touched(off, len, CC_GFSELECT, 4))
		vp->gfselect = rd32(img + CC_GFSELECT);
	if (touched(off, len, CC_GF, 4) && vp->gfselect < 2 &&
	    !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
		unsigned int sh = 32 * vp->gfselect;

		vp->drv_features = (vp->drv_features & ~(0xffffffffULL << sh)) |
				   (uint64_t)rd32(img + CC_GF) << sh;
	}
	if (touched(off, len, CC_MSIX_CONFIG, 2))
		vp->msix_config = valid_vector(vp, rd16(img + CC_MSIX_CONFIG));
	if (touched(off, len, CC_Q_SELECT, 2))
		vp->queue_select = rd16(img + CC_Q_SELECT);
	if (q && !live) {
		uint16_t size = rd16(img + CC_Q_SIZE);

		if (touched(off, len, CC_Q_SIZE, 2) && size && size <= q->max_size &&
		    !(size & (size - 1)))
			q->size = size;
		if (touched(off, len, CC_Q_MSIX, 2))
			q->msix_vector = valid_vector(vp, rd16(img + CC_Q_MSIX));
		if (touched(off, len, CC_Q_ENABLE, 2) && rd16(img + CC_Q_ENABLE) == 1)
			q->enabled = 1;
		if (touched(off, len, CC_Q_DESC, 8))
			q->desc = rd64(img + CC_Q_DESC);
		if (touched(off, len, CC_Q_DRIVER, 8))
			q->avail = rd64(img + CC_Q_DRIVER);
		if (touched(off, len, CC_Q_DEVICE, 8))
			q->used = rd64(img + CC_Q_DEVICE);
	} else if (q && touched(off, len, CC_Q_MSIX, 2)) {
		q->msix_vector = valid_vector(vp, rd16(img + CC_Q_MSIX));
	}
	if (touched(off, len, CC_STATUS, 1))
		set_status(vp, img[CC_STATUS]);
}

/* ---- MSI-X table ---- */

static void msix_write(struct virtio_pci *vp, uint64_t off, const void *data,
		       unsigned int len)
{
	unsigned int v = (unsigned int)(off / 16), field = (unsigned int)(off % 16);
	uint32_t *e, val;

	if (v >= vp->nvec || len != 4 || (field & 3))
		return;
	e = &vp->table[v].addr_lo + field / 4;
	memcpy(&val, data, 4);
	*e = val;
	if (field == 12)
		vp->table[v].ctrl &= MSIX_ENTRY_MASKED;
	vector_sync(vp, v);
	deliver_pending(vp);
}

static void msix_read(struct virtio_pci *vp, uint64_t off, void *data, unsigned int len)
{
	unsigned int v = (unsigned int)(off / 16), field = (unsigned int)(off % 16);

	memset(data, 0, len);
	if (v < vp->nvec && len == 4 && !(field & 3))
		memcpy(data, &vp->table[v].addr_lo + field / 4, 4);
}

/* ---- BAR 0 ---- */

static void bar_read(void *opaque, int bar, uint64_t off, void *data, unsigned int len)
{
	struct virtio_pci *vp = opaque;

	memset(data, 0, len);
	if (bar != 0)
		return;
	pthread_mutex_lock(&vp->lock);
	if (off + len <= COMMON_OFF + COMMON_LEN) {
		uint8_t img[COMMON_LEN];

		common_image(vp, img);
		memcpy(data, img + off, len);
	} else if (off == ISR_OFF) {
		*(uint8_t *)data = vp->isr;   /* reading clears it */
		vp->isr = 0;
		irq_line_set(&vp->intx, 0);
	} else if (off >= DEVCFG_OFF && off + len <= DEVCFG_OFF + DEVCFG_LEN) {
		vp->ops->config_read(vp->dev, off - DEVCFG_OFF, data, len);
	} else if (off >= MSIX_TBL_OFF && off < MSIX_TBL_OFF + 16ULL * vp->nvec) {
		msix_read(vp, off - MSIX_TBL_OFF, data, len);
	} else if (off >= MSIX_PBA_OFF && off + len <= MSIX_PBA_OFF + sizeof(vp->pba)) {
		uint8_t pba[sizeof(vp->pba)];   /* little-endian: bit v is byte v / 8 */

		memcpy(pba, vp->pba, sizeof(pba));
		memcpy(data, pba + (off - MSIX_PBA_OFF), len);
	}
	pthread_mutex_unlock(&vp->lock);
}

static void bar_write(void *opaque, int bar, uint64_t off, const void *data,
		      unsigned int len)
{
	struct virtio_pci *vp = opaque;

	if (bar != 0)
		return;
	if (off >= NOTIFY_OFF && off < NOTIFY_OFF + NOTIFY_MULT * (uint64_t)vp->nqueues) {
		/* A doorbell that did not go to an ioeventfd: hand it on. */
		uint64_t one = 1;
		unsigned int q = (unsigned int)((off - NOTIFY_OFF) / NOTIFY_MULT);

		vp->kicks_in_userspace++;
		if (write(vp->q[q].kick_fd, &one, sizeof(one)) < 0) {
			/* cannot fail below the eventfd limit */
		}
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (off + len <= COMMON_OFF + COMMON_LEN)
		common_write(vp, off, data, len);
	else if (off >= DEVCFG_OFF && off + len <= DEVCFG_OFF + DEVCFG_LEN &&
		 vp->ops->config_write)
		vp->ops->config_write(vp->dev, off - DEVCFG_OFF, data, len);
	else if (off >= MSIX_TBL_OFF && off < MSIX_TBL_OFF + 16ULL * vp->nvec)
		msix_write(vp, off - MSIX_TBL_OFF, data, len);
	pthread_mutex_unlock(&vp->lock);
}

static void config_written(void *opaque, unsigned int off, unsigned int len)
{
	struct virtio_pci *vp = opaque;

	if (off < (unsigned int)vp->msix_cap + 4 && (unsigned int)vp->msix_cap + 2 < off + len) {
		unsigned int v;

		pthread_mutex_lock(&vp->lock);
		for (v = 0; v < vp->nvec; v++)
			vector_sync(vp, v);
		deliver_pending(vp);
		pthread_mutex_unlock(&vp->lock);
	}
}

static void mapping_changed(void *opaque)
{
	struct virtio_pci *vp = opaque;

	pthread_mutex_lock(&vp->lock);
	bind_doorbells(vp);
	pthread_mutex_unlock(&vp->lock);
}

static const struct pci_function_ops virtio_pci_fops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
	.config_written = config_written,
	.mapping_changed = mapping_changed,
};

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_device_ops *ops, void *dev,
		    const struct guest_mem *mem, struct msi_host msi, struct irq_line intx,
		    unsigned int nqueues, uint16_t max_queue_size)
{
	uint8_t msix[12] = { PCI_CAP_ID_MSIX, 0 };
	unsigned int i;
	int r;

	memset(vp, 0, sizeof(*vp));
	if (nqueues == 0 || nqueues > VIRTIO_PCI_MAX_QUEUES || !max_queue_size ||
	    (max_queue_size & (max_queue_size - 1)))
		return -EINVAL;
	vp->ops = ops;
	vp->dev = dev;
	vp->mem = mem;
	vp->msi = msi;
	vp->intx = intx;
	vp->nqueues = nqueues;
	vp->nvec = nqueues + 1;
	vp->dev_features = ops->features(dev);
	for (i = 0; i < VIRTIO_PCI_MAX_VECTORS; i++) {
		vp->vec_gsi[i] = -1;
		vp->vec_fd[i] = -1;
	}
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->q[i].kick_fd = -1;
	pthread_mutex_init(&vp->lock, NULL);

	pci_function_init(&vp->pci, "virtio", VIRTIO_PCI_VENDOR,
			  (uint16_t)(VIRTIO_PCI_DEVICE0 + ops->device_id), ops->class_code,
			  VIRTIO_PCI_VENDOR, VIRTIO_PCI_SUBSYS);
	vp->pci.cfg[PCI_REVISION_ID] = 1;
	vp->pci.cfg[PCI_INTERRUPT_PIN] = 1;
	vp->pci.ops = &virtio_pci_fops;
	vp->pci.opaque = vp;
	if ((r = pci_function_set_bar(&vp->pci, 0, BAR_SIZE)) ||
	    (r = add_vcap(vp, CAP_COMMON, COMMON_OFF, COMMON_LEN)) < 0 ||
	    (r = add_vcap(vp, CAP_NOTIFY, NOTIFY_OFF, NOTIFY_MULT * nqueues)) < 0 ||
	    (r = add_vcap(vp, CAP_ISR, ISR_OFF, 1)) < 0 ||
	    (r = add_vcap(vp, CAP_DEVICE, DEVCFG_OFF, DEVCFG_LEN)) < 0)
		goto fail;
	wr16(&msix[2], (uint16_t)(vp->nvec - 1));
	wr32(&msix[4], MSIX_TBL_OFF);   /* BIR 0 */
	wr32(&msix[8], MSIX_PBA_OFF);
	r = pci_function_add_cap(&vp->pci, msix, sizeof(msix));
	if (r < 0)
		goto fail;
	vp->msix_cap = r;
	wr16(&vp->pci.wmask[r + 2], MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);

	for (i = 0; i < nqueues; i++) {
		vp->q[i].max_size = max_queue_size;
		vp->q[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->q[i].kick_fd < 0)
			goto fail_errno;
	}
	for (i = 0; i < vp->nvec; i++) {
		vp->table[i].ctrl = MSIX_ENTRY_MASKED;
		vp->vec_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->vec_fd[i] < 0)
			goto fail_errno;
	}
	reset(vp);
	return 0;
fail_errno:
	r = -errno;
fail:
	virtio_pci_destroy(vp);
	return r < 0 ? r : -EINVAL;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	unsigned int i;

	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
		if (vp->q[i].kick_fd < 0)
			continue;
		if (vp->notify_addr && vp->msi.ioeventfd)
			vp->msi.ioeventfd(vp->msi.ctx, vp->notify_addr + NOTIFY_MULT * i, 0,
					  vp->q[i].kick_fd, 0);
		close(vp->q[i].kick_fd);
		vp->q[i].kick_fd = -1;
	}
	for (i = 0; i < VIRTIO_PCI_MAX_VECTORS; i++) {
		if (vp->vec_fd[i] < 0)
			continue;
		if (vp->vec_bound[i])
			vp->msi.irqfd(vp->msi.ctx, vp->vec_gsi[i], vp->vec_fd[i], 0);
		vp->vec_bound[i] = 0;
		close(vp->vec_fd[i]);
		vp->vec_fd[i] = -1;
	}
	vp->notify_addr = 0;
	pthread_mutex_destroy(&vp->lock);
}
