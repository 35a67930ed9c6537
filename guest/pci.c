/* pci.c - see pci.h. */
#include "pci.h"
#include "platform.h"
#include "x86.h"

#define CFG_ADDR     0xcf8
#define CFG_DATA     0xcfc
#define CFG_ENABLE   0x80000000u
#define MAX_SLOTS    32
#define MAX_FNS      8
#define HDR_MULTI_FN 0x80
#define MAX_CAPS     48     /* (256 - 64) / 4: more means a loop */
#define BAR_IO       0x1u
#define BAR_TYPE_64  0x4u

static struct pci_dev listed[PCI_MAX_LISTED];
static unsigned int nr_listed;
static int use_listed;   /* search listed[] instead of scanning bus 0 */

static void select_reg(const struct pci_dev *d, unsigned int off)
{
	outl(CFG_ADDR, CFG_ENABLE | (uint32_t)d->slot << 11 | (uint32_t)d->fn << 8 |
		       (off & 0xfc));
}

uint32_t pci_read32(const struct pci_dev *d, unsigned int off)
{
	select_reg(d, off);
	return inl(CFG_DATA);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned int off)
{
	return (uint16_t)(pci_read32(d, off) >> (8 * (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *d, unsigned int off)
{
	return (uint8_t)(pci_read32(d, off) >> (8 * (off & 3)));
}

void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v)
{
	select_reg(d, off);
	outl(CFG_DATA, v);
}

void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v)
{
	select_reg(d, off);
	outw((uint16_t)(CFG_DATA + (off & 2)), v);
}

unsigned int pci_use_list(const struct pci_dev *list, unsigned int n)
{
	unsigned int i;

	use_listed = 1;
	nr_listed = 0;
	for (i = 0; i < n; i++) {
		struct pci_dev f = { .slot = list[i].slot, .fn = list[i].fn };
		uint32_t id;

		if (f.slot >= MAX_SLOTS || f.fn >= MAX_FNS) {
			con_printf("# guest: pci: the fdt lists %02x.%x, which cannot exist; "
				   "left out\n", list[i].slot, list[i].fn);
			continue;
		}
		id = pci_read32(&f, PCI_VENDOR_ID);
		f.vendor = (uint16_t)id;
		f.device = (uint16_t)(id >> 16);
		if (f.vendor != list[i].vendor || f.device != list[i].device) {
			con_printf("# guest: pci: the fdt lists 00:%02x.%u as %04x:%04x, but it "
				   "holds %04x:%04x; left out\n", f.slot, f.fn, list[i].vendor,
				   list[i].device, f.vendor, f.device);
			continue;
		}
		if (nr_listed == PCI_MAX_LISTED) {
			con_printf("# guest: pci: more than %u functions listed; the rest left out\n",
				   PCI_MAX_LISTED);
			break;
		}
		listed[nr_listed++] = f;
	}
	return nr_listed;
}

int pci_find(pci_match_fn match, void *ctx, unsigned int skip, struct pci_dev *d)
{
	unsigned int slot, fn, i;

	if (use_listed) {
		for (i = 0; i < nr_listed; i++)
			if (match(&listed[i], ctx) && skip-- == 0) {
				*d = listed[i];
				return 0;
			}
		return -1;
	}

	for (slot = 0; slot < MAX_SLOTS; slot++) {
		for (fn = 0; fn < MAX_FNS; fn++) {
			struct pci_dev f = { .slot = (uint8_t)slot, .fn = (uint8_t)fn };
			uint32_t id = pci_read32(&f, PCI_VENDOR_ID);

			f.vendor = (uint16_t)id;
			f.device = (uint16_t)(id >> 16);
			if (f.vendor != 0xffff && f.vendor != 0 && match(&f, ctx) && skip-- == 0) {
				*d = f;
				return 0;
			}
			/* Functions 1-7 only behind a present multi-function device. */
			if (fn == 0 && (f.vendor == 0xffff ||
					!(pci_read8(&f, PCI_HEADER_TYPE) & HDR_MULTI_FN)))
				break;
		}
	}
	return -1;
}

unsigned int pci_cap_next(const struct pci_dev *d, uint8_t id, unsigned int after)
{
	unsigned int pos, n;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = after ? pci_read8(d, after + 1) : pci_read8(d, PCI_CAP_PTR);
	for (n = 0; n < MAX_CAPS; n++) {
		pos &= 0xfc;
		if (pos < 0x40)
			return 0;
		if (pci_read8(d, pos) == id)
			return pos;
		pos = pci_read8(d, pos + 1);
	}
	return 0;
}

/* Write all ones to register off and read back which bits stuck. */
static uint32_t probe_reg(const struct pci_dev *d, unsigned int off, uint32_t *orig)
{
	uint32_t v;

	*orig = pci_read32(d, off);
	pci_write32(d, off, 0xffffffffu);
	v = pci_read32(d, off);
	pci_write32(d, off, *orig);
	return v;
}

int pci_bar_decode(const struct pci_dev *d, unsigned int idx, struct pci_bar *bar)
{
	unsigned int off = PCI_BAR0 + 4 * idx;
	uint16_t cmd;
	uint32_t lo, hi = 0, mlo, mhi = 0xffffffffu;
	uint64_t mask;

	bar->addr = bar->size = 0;
	bar->io = bar->is64 = 0;
	if (idx >= PCI_NUM_BARS)
		return -1;
	cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & (uint16_t)~(PCI_COMMAND_MEMORY | 1u));
	mlo = probe_reg(d, off, &lo);
	if (lo & BAR_IO) {
		bar->io = 1;
		mask = (mlo & ~0x3u) | 0xffff0000u;   /* 16-bit port space */
		bar->addr = lo & ~0x3u & 0xffffu;
		mask |= 0xffffffff00000000ull;
	} else {
		if ((lo & 0x6u) == BAR_TYPE_64) {
			if (idx + 1 >= PCI_NUM_BARS) {
				pci_write16(d, PCI_COMMAND, cmd);
				return -1;
			}
			bar->is64 = 1;
			mhi = probe_reg(d, off + 4, &hi);
		}
		mask = (uint64_t)mhi << 32 | (mlo & ~0xfu);
		bar->addr = (uint64_t)hi << 32 | (lo & ~0xfu);
	}
	pci_write16(d, PCI_COMMAND, cmd);
	bar->size = (mlo == 0 || mlo == 0xffffffffu) && !bar->is64 ? 0 : ~mask + 1;
	if (!bar->size)
		bar->addr = 0;
	return 0;
}

void pci_enable(const struct pci_dev *d, uint16_t bits)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | bits);
}
