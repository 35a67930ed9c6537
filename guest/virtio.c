/* virtio.c - see virtio.h. Register layout: virtio 1.x, 4.1.4. */
#include "virtio.h"
#include "platform.h"
#include "runtime.h"

#define PCI_CAP_ID_VNDR   0x09
#define DEVICE_ID_MODERN  0x1040   /* + device type */
#define NO_VECTOR         0xffff
#define RESET_WAIT_NS     1000000000ull
#define CFG_TRIES         16

/* Vendor capability: cfg_type and where in which BAR. */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };
#define CAP_TYPE   3
#define CAP_BAR    4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_MULT   16      /* notify only: notify_off_multiplier */

/* Common configuration. */
enum {
	CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0c,
	CC_MSIX_CONFIG = 0x10, CC_NUM_QUEUES = 0x12, CC_STATUS = 0x14,
	CC_CFG_GEN = 0x15, CC_Q_SELECT = 0x16, CC_Q_SIZE = 0x18, CC_Q_MSIX = 0x1a,
	CC_Q_ENABLE = 0x1c, CC_Q_NOTIFY_OFF = 0x1e, CC_Q_DESC = 0x20,
	CC_Q_DRIVER = 0x28, CC_Q_DEVICE = 0x30, CC_LEN = 0x38,
};

static uint8_t cc_r8(const struct virtio_dev *vd, unsigned int off)
{
	return vd->common[off];
}

static uint16_t cc_r16(const struct virtio_dev *vd, unsigned int off)
{
	return *(volatile uint16_t *)(vd->common + off);
}

static uint32_t cc_r32(const struct virtio_dev *vd, unsigned int off)
{
	return *(volatile uint32_t *)(vd->common + off);
}

static void cc_w8(struct virtio_dev *vd, unsigned int off, uint8_t v)
{
	vd->common[off] = v;
}

static void cc_w16(struct virtio_dev *vd, unsigned int off, uint16_t v)
{
	*(volatile uint16_t *)(vd->common + off) = v;
}

static void cc_w32(struct virtio_dev *vd, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(vd->common + off) = v;
}

/* 64-bit fields as two 32-bit writes, low half first (4.1.3.1). */
static void cc_w64(struct virtio_dev *vd, unsigned int off, uint64_t v)
{
	cc_w32(vd, off, (uint32_t)v);
	cc_w32(vd, off + 4, (uint32_t)(v >> 32));
}

static void set_status_bits(struct virtio_dev *vd, uint8_t bits)
{
	cc_w8(vd, CC_STATUS, (uint8_t)(cc_r8(vd, CC_STATUS) | bits));
}

struct match_ctx {
	uint16_t type;
};

/* A virtio function of the wanted type: modern ID, or the transitional
 * one (0x1000 net, 0x1001 block) whose capabilities are checked later. */
static int is_virtio(const struct pci_dev *d, void *opaque)
{
	const struct match_ctx *m = opaque;
	uint16_t transitional = m->type == VIRTIO_ID_NET ? 0x1000 :
				m->type == VIRTIO_ID_BLOCK ? 0x1001 : 0;

	return d->vendor == VIRTIO_PCI_VENDOR &&
	       (d->device == DEVICE_ID_MODERN + m->type ||
		(transitional && d->device == transitional));
}

/* BARs decoded on first use (sizing touches the device, so only once). */
struct bar_cache {
	struct pci_bar bar[PCI_NUM_BARS];
	uint8_t done[PCI_NUM_BARS];
};

/* Map len bytes at off in BAR bar; NULL when that is not possible. */
static volatile uint8_t *map_region(struct virtio_dev *vd, struct bar_cache *bc,
				    unsigned int bar, uint32_t off, uint32_t len)
{
	const struct pci_bar *b;
	uint64_t pa;

	if (bar >= PCI_NUM_BARS)
		return 0;
	if (!bc->done[bar]) {
		if (pci_bar_decode(&vd->pci, bar, &bc->bar[bar]))
			bc->bar[bar].size = 0;
		bc->done[bar] = 1;
	}
	b = &bc->bar[bar];
	if (b->io || !b->size || !b->addr || (uint64_t)off + len > b->size)
		return 0;
	pa = b->addr + off;
	if (len && mm_map_io(pa, len)) {
		con_printf("# %s: BAR %u at %#llx lies beyond what the guest can map (512 GiB)\n",
			   vd->tag, bar, (unsigned long long)b->addr);
		return 0;
	}
	return (volatile uint8_t *)(uintptr_t)pa;
}

/* Walk the vendor capabilities and map the first usable region of each kind. */
static int map_caps(struct virtio_dev *vd)
{
	const struct pci_dev *d = &vd->pci;
	struct bar_cache bc = { 0 };
	uint32_t common_len = 0;
	unsigned int pos = 0;

	vd->common = vd->isr = vd->device = vd->notify = 0;
	while ((pos = pci_cap_next(d, PCI_CAP_ID_VNDR, pos)) != 0) {
		uint8_t type = pci_read8(d, pos + CAP_TYPE), bar = pci_read8(d, pos + CAP_BAR);
		uint32_t off = pci_read32(d, pos + CAP_OFFSET), len = pci_read32(d, pos + CAP_LENGTH);
		volatile uint8_t *p;

		if (type == CAP_COMMON && !vd->common && len >= CC_LEN &&
		    (p = map_region(vd, &bc, bar, off, len)) != 0) {
			vd->common = p;
			common_len = len;
		} else if (type == CAP_NOTIFY && !vd->notify && pci_read8(d, pos + 2) >= 20 &&
			   (p = map_region(vd, &bc, bar, off, len)) != 0) {
			vd->notify = p;
			vd->notify_len = len;
			vd->notify_mult = pci_read32(d, pos + CAP_MULT);
		} else if (type == CAP_ISR && !vd->isr && len >= 1 &&
			   (p = map_region(vd, &bc, bar, off, len)) != 0) {
			vd->isr = p;
		} else if (type == CAP_DEVICE && !vd->device &&
			   (p = map_region(vd, &bc, bar, off, len)) != 0) {
			vd->device = p;
			vd->device_len = len;
		}
	}
	return vd->common && common_len >= CC_LEN && vd->notify ? 0 : -PLAT_ENODEV;
}

int virtio_find(uint16_t type, const char *tag, struct virtio_dev *vd)
{
	struct match_ctx m = { .type = type };
	unsigned int skip;

	vd->tag = tag;
	for (skip = 0; pci_find(is_virtio, &m, skip, &vd->pci) == 0; skip++) {
		if (map_caps(vd) == 0) {
			pci_enable(&vd->pci, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
					     PCI_COMMAND_INTX_OFF);
			return 0;
		}
		con_printf("# %s: %04x:%04x at 00:%02x.%u has no usable virtio 1.x interface "
			   "(common and notify capabilities in an assigned memory BAR); skipped\n",
			   tag, vd->pci.vendor, vd->pci.device, vd->pci.slot, vd->pci.fn);
	}
	return -PLAT_ENODEV;
}

int virtio_open_begin(int *state, uint16_t type, const char *tag, const char *what,
		      struct virtio_dev *vd)
{
	if (*state == 1)
		return 1;
	if (*state < 0)
		return -PLAT_ENODEV;
	if (virtio_find(type, tag, vd)) {
		con_printf("# %s: no %s PCI device\n", tag, what);
		return -PLAT_ENODEV;
	}
	return 0;
}

uint8_t virtio_status(const struct virtio_dev *vd)
{
	return cc_r8(vd, CC_STATUS);
}

int virtio_reset(struct virtio_dev *vd)
{
	uint64_t t0 = plat_time_ns();

	cc_w8(vd, CC_STATUS, 0);
	while (cc_r8(vd, CC_STATUS) != 0) {
		if (plat_time_ns() - t0 > RESET_WAIT_NS) {
			con_printf("# %s: device reset did not finish within 1 s (status %#x)\n",
				   vd->tag, cc_r8(vd, CC_STATUS));
			return -PLAT_EIO;
		}
		__asm__ volatile("pause");
	}
	return 0;
}

void virtio_fail(struct virtio_dev *vd)
{
	set_status_bits(vd, VIRTIO_S_FAILED);
}

int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
	uint64_t offered, want = wanted | 1ull << VIRTIO_F_VERSION_1;

	if (virtio_reset(vd))
		return -PLAT_ENODEV;
	set_status_bits(vd, VIRTIO_S_ACKNOWLEDGE);
	set_status_bits(vd, VIRTIO_S_DRIVER);
	cc_w32(vd, CC_DFSELECT, 0);
	offered = cc_r32(vd, CC_DF);
	cc_w32(vd, CC_DFSELECT, 1);
	offered |= (uint64_t)cc_r32(vd, CC_DF) << 32;
	if (!(offered & 1ull << VIRTIO_F_VERSION_1)) {
		con_printf("# %s: device offers no VIRTIO_F_VERSION_1 (features %#llx); "
			   "only virtio 1.x devices are driven\n",
			   vd->tag, (unsigned long long)offered);
		goto fail;
	}
	vd->features = offered & want;
	cc_w32(vd, CC_GFSELECT, 0);
	cc_w32(vd, CC_GF, (uint32_t)vd->features);
	cc_w32(vd, CC_GFSELECT, 1);
	cc_w32(vd, CC_GF, (uint32_t)(vd->features >> 32));
	set_status_bits(vd, VIRTIO_S_FEATURES_OK);
	if (!(cc_r8(vd, CC_STATUS) & VIRTIO_S_FEATURES_OK)) {
		con_printf("# %s: device refused features %#llx (offered %#llx)\n", vd->tag,
			   (unsigned long long)vd->features, (unsigned long long)offered);
		goto fail;
	}
	cc_w16(vd, CC_MSIX_CONFIG, NO_VECTOR);
	return 0;
fail:
	virtio_fail(vd);
	return -PLAT_ENODEV;
}

int virtio_queue_setup(struct virtio_dev *vd, unsigned int idx, uint16_t max_size,
		       struct vring *r)
{
	uint16_t dev_max, size = 1, noff;
	uint64_t at;
	int err;

	if (idx >= cc_r16(vd, CC_NUM_QUEUES)) {
		con_printf("# %s: device has %u queues, queue %u needed\n", vd->tag,
			   cc_r16(vd, CC_NUM_QUEUES), idx);
		return -PLAT_ENODEV;
	}
	cc_w16(vd, CC_Q_SELECT, (uint16_t)idx);
	dev_max = cc_r16(vd, CC_Q_SIZE);
	if (!dev_max || cc_r16(vd, CC_Q_ENABLE)) {
		con_printf("# %s: queue %u unavailable (size %u, enabled %u)\n", vd->tag, idx,
			   dev_max, cc_r16(vd, CC_Q_ENABLE));
		return -PLAT_ENODEV;
	}
	while ((unsigned int)size * 2 <= dev_max && (unsigned int)size * 2 <= max_size &&
	       size * 2u <= VRING_MAX)
		size = (uint16_t)(size * 2);
	err = vring_init(r, size);
	if (err) {
		con_printf("# %s: no memory for queue %u (%u entries)\n", vd->tag, idx, size);
		return err;
	}
	noff = cc_r16(vd, CC_Q_NOTIFY_OFF);
	at = (uint64_t)noff * vd->notify_mult;
	if (at + 2 > vd->notify_len) {
		con_printf("# %s: queue %u doorbell at notify offset %#llx is outside the "
			   "notification area (%u bytes)\n", vd->tag, idx,
			   (unsigned long long)at, vd->notify_len);
		return -PLAT_ENODEV;
	}
	r->qidx = (uint16_t)idx;
	r->doorbell = (volatile uint16_t *)(vd->notify + at);
	cc_w16(vd, CC_Q_SIZE, size);
	cc_w16(vd, CC_Q_MSIX, NO_VECTOR);
	cc_w64(vd, CC_Q_DESC, r->desc_pa);
	cc_w64(vd, CC_Q_DRIVER, r->avail_pa);
	cc_w64(vd, CC_Q_DEVICE, r->used_pa);
	cc_w16(vd, CC_Q_ENABLE, 1);
	return 0;
}

int virtio_driver_ok(struct virtio_dev *vd)
{
	uint8_t s;

	set_status_bits(vd, VIRTIO_S_DRIVER_OK);
	s = cc_r8(vd, CC_STATUS);
	if ((s & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FAILED)) || !(s & VIRTIO_S_DRIVER_OK)) {
		con_printf("# %s: device did not accept DRIVER_OK (status %#x)\n", vd->tag, s);
		virtio_fail(vd);
		return -PLAT_ENODEV;
	}
	return 0;
}

/* One access of width bytes (1, 2 or 4) at off in the device configuration. */
static uint32_t cfg_access(const struct virtio_dev *vd, unsigned int off, unsigned int width)
{
	const volatile uint8_t *p = vd->device + off;

	if (width == 1)
		return *p;
	if (width == 2)
		return *(const volatile uint16_t *)p;
	return *(const volatile uint32_t *)p;
}

int virtio_cfg_read(const struct virtio_dev *vd, unsigned int off, unsigned int width,
		    uint64_t *val)
{
	unsigned int tries;

	if (!vd->device || (width != 1 && width != 2 && width != 4 && width != 8) ||
	    (off & (width - 1)) || (uint64_t)off + width > vd->device_len)
		return -PLAT_EIO;
	for (tries = 0; tries < CFG_TRIES; tries++) {
		uint8_t gen = cc_r8(vd, CC_CFG_GEN);
		uint64_t v;

		if (width == 8)
			v = cfg_access(vd, off, 4) | (uint64_t)cfg_access(vd, off + 4, 4) << 32;
		else
			v = cfg_access(vd, off, width);
		if (cc_r8(vd, CC_CFG_GEN) == gen) {
			*val = v;
			return 0;
		}
	}
	return -PLAT_EIO;
}
