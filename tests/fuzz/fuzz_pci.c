/*
 * fuzz_pci.c - PCI configuration space through the bus (devices/pci.c) on a
 * port and an MMIO struct iobus (pci_bus_attach), with functions whose BARs
 * and capabilities the input declares, some non-PCI ranges registered on
 * the buses first (so that BARs moved over them are refused), the config
 * ports 0xcf8/0xcfc and direct pci_config_read/_write, BAR sizing and
 * moving, the command register, and accesses to mapped BARs through
 * iobus_access.
 *
 * Input: a header, then ops.
 *   flags:u8      bits 0-1: 0 attach the bus before adding the functions,
 *                 1 after, 2 or 3 never; bits 2-5: which non-PCI ranges to
 *                 register first (see nonpci[]); bit 6: fill the remaining
 *                 slots with BAR-less functions; bit 7: keep the last
 *                 function back for the ADD op
 *   nfn:u8        functions (1 + nfn % MAX_FN), each:
 *     bars[6]:u8  0 none; bit 7 set: I/O BAR of 4 << (b & 7) bytes; else
 *                 a 64-bit memory BAR of 4096 << (b & 63) bytes
 *     caps:u8     bits 0-1 capabilities to add, bits 2-7 their length - 4
 *     fl:u8       bit 0 decoding on before it is added, bit 1 no ops,
 *                 bit 2 capabilities writable
 * Ops (opcode mod OP_COUNT), 'slot' taken modulo 34 (absent slots too):
 *   PIO port:u16 ctl:u8 val:u64   iobus_access on the port bus (ctl: bit 0
 *                                 write, bits 1-2 log2 of the size)
 *   CF8 slot:u8 fn:u8 reg:u8 x:u8 config address (x bit 0 enable off,
 *                                 bit 1 bus 1)
 *   CFC ctl:u8 val:u32            data port 0xcfc + (ctl & 3), bit 2 write,
 *                                 bits 3-4 log2 of the size
 *   CFGW slot:u8 off:u8 ctl:u8 [hi:u32] val:u32 / CFGR (no val)
 *                                 pci_config_write/_read (ctl bits 0-2 the
 *                                 length 0-7, bit 3: hi follows, the offset's
 *                                 upper bits, bits 4-6 the function)
 *   PLACE slot:u8 bar:u8 v:u16 hi:u32  move a BAR: memory at a 4 KiB step
 *                                 around the window, I/O at port v; hi, for
 *                                 a 64-bit BAR when bar bit 7 is set
 *   CMD slot:u8 v:u16             the command register
 *   MMIO sel:u8 off:u32 ctl:u8 val:u64 / IOBAR (the same on ports)
 *                                 an access near a BAR's current address
 *                                 (sel: slot, bit 7: BAR 2 or 4 instead of
 *                                 the first) or, with ctl bit 7, at
 *                                 window base + off
 *   SIZE slot:u8 bar:u8           size a BAR the way an OS does (all-ones,
 *                                 read back, restore), checking the mask
 *   REG bus:u8 off:u32 len:u16 / UNREG n:u8  a non-PCI range comes and goes
 *   ADD                           add the function held back
 *   RESET v:u8                    a byte to 0xcf9
 * Checked after every op: both buses' ranges sorted and disjoint, every BAR
 * range belongs to a BAR whose live address it is, every live BAR is on its
 * bus with its size, inside its window, where its registers and command
 * register say; pci_bar_address agrees; BAR handlers only see accesses
 * inside the BAR.
 */
#include <errno.h>

#include "base/log.h"
#include "devices/iobus.h"
#include "devices/pci.h"
#include "fuzz_ring.h"

#define WIN_BASE 0xc0000000ULL
#define WIN_END  0xd0000000ULL
#define MAX_FN 4
#define NSLOTS 34
#define NDYN 8

enum { OP_PIO, OP_CF8, OP_CFC, OP_CFGW, OP_CFGR, OP_PLACE, OP_CMD, OP_MMIO, OP_IOBAR,
       OP_SIZE, OP_REG, OP_UNREG, OP_ADD, OP_RESET, OP_COUNT };

struct fake_fn {
	struct pci_function pci;
	int added;
};

/* A non-PCI device: answers with a pattern, checks it is accessed inside itself. */
struct other {
	uint64_t base, len;
	struct iobus *bus;
	int on;
};

static struct iobus pio, mmio;
static struct pci_bus bus;
static struct fake_fn fns[MAX_FN + PCI_MAX_SLOTS];
static unsigned int nfns;
static struct fake_fn *held;
static int attached;
static struct other nonpci_dev[4], dyn[NDYN];
static unsigned int resets;

static const struct { int io; uint64_t base, len; } nonpci[4] = {
	{ 1, 0x2000, 0x40 },               /* inside the I/O window */
	{ 0, WIN_BASE + 0x100000, 0x1000 },
	{ 0, WIN_BASE, 0x1000 },            /* where the first memory BAR goes */
	{ 1, PCI_IO_BASE, 0x100 },          /* where the first I/O BAR goes */
};

static void other_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct other *o = opaque;

	FZ_CHECK(o->on && len >= 1 && len <= 8 && off + len <= o->len);
	memset(data, 0x5a, len);
}

static void other_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct other *o = opaque;

	(void)data;
	FZ_CHECK(o->on && len >= 1 && len <= 8 && off + len <= o->len);
}

static const struct iodev_ops other_ops = { .read = other_read, .write = other_write };

static void check_bar_access(struct fake_fn *f, int bar, uint64_t off, unsigned int len)
{
	FZ_CHECK(f->added && bar >= 0 && bar < PCI_NUM_BARS);
	FZ_CHECK(f->pci.bar[bar].size && len >= 1 && len <= 8);
	FZ_CHECK(off < f->pci.bar[bar].size && len <= f->pci.bar[bar].size - off);
}

static void fn_bar_read(void *opaque, int bar, uint64_t off, void *data, unsigned int len)
{
	check_bar_access(opaque, bar, off, len);
	memset(data, bar, len);
}

static void fn_bar_write(void *opaque, int bar, uint64_t off, const void *data,
			 unsigned int len)
{
	(void)data;
	check_bar_access(opaque, bar, off, len);
}

static void fn_config_written(void *opaque, unsigned int off, unsigned int len)
{
	struct fake_fn *f = opaque;

	FZ_CHECK(f->added && len >= 1 && len <= 4 && off + len <= PCI_CFG_SIZE);
}

static void fn_mapping_changed(void *opaque)
{
	struct fake_fn *f = opaque;
	int b;

	FZ_CHECK(f->added);
	for (b = 0; b < PCI_NUM_BARS; b++)
		if (attached && f->pci.bar[b].size)
			FZ_CHECK(pci_bar_address(&f->pci, b) == f->pci.bar[b].live);
}

static const struct pci_function_ops fn_ops = {
	.bar_read = fn_bar_read, .bar_write = fn_bar_write,
	.config_written = fn_config_written, .mapping_changed = fn_mapping_changed,
};

static void count_reset(void *ctx, enum power_event ev, const char *why)
{
	(void)ctx;
	FZ_CHECK(ev == POWER_RESET && why);
	resets++;
}

/* ---- the checks ---- */

static uint32_t cfg32(const struct pci_function *f, unsigned int off)
{
	uint32_t v;

	memcpy(&v, &f->cfg[off], 4);
	return le32toh(v);
}

/* Where BAR b decodes by its registers and the command register. */
static uint64_t decoded(const struct pci_function *f, int b)
{
	int io = f->bar[b].flags & PCI_BAR_IO;
	uint16_t cmd = (uint16_t)(f->cfg[PCI_COMMAND] | f->cfg[PCI_COMMAND + 1] << 8);
	uint64_t a;

	if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
		return 0;
	a = cfg32(f, PCI_BAR0 + 4 * (unsigned int)b);
	if (io)
		return a & ~3ULL;
	return (a & ~0xfULL) | (uint64_t)cfg32(f, PCI_BAR0 + 4 * (unsigned int)b + 4) << 32;
}

static void check_bus(struct iobus *iob, int io, unsigned int *bars)
{
	size_t i;

	for (i = 0; i < iob->nr; i++) {
		const struct iobus_range *r = &iob->ranges[i];

		FZ_CHECK(r->len && r->base + (r->len - 1) >= r->base);
		if (i + 1 < iob->nr)
			FZ_CHECK(r->base + (r->len - 1) < iob->ranges[i + 1].base);
		if (r->ops == &pci_bar_ops) {
			const struct pci_bar *bar = r->opaque;

			FZ_CHECK(bar->fn && bar->live == r->base && bar->size == r->len);
			FZ_CHECK(!!(bar->flags & PCI_BAR_IO) == io);
			FZ_CHECK(&bar->fn->bar[bar->idx] == bar);
			(*bars)++;
		}
	}
}

static void check_all(void)
{
	unsigned int on_bus = 0, live = 0, i;
	int b;

	check_bus(&pio, 1, &on_bus);
	check_bus(&mmio, 0, &on_bus);
	for (i = 0; i < nfns; i++) {
		struct pci_function *f = &fns[i].pci;

		if (!fns[i].added)
			continue;
		FZ_CHECK(bus.slot[f->slot_nr] == f);
		for (b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &f->bar[b];
			int io = bar->flags & PCI_BAR_IO;
			uint64_t lo = io ? bus.io_base : bus.mmio_base;
			uint64_t hi = io ? bus.io_end : bus.mmio_end;
			const struct iobus_range *r;

			if (!bar->size)
				continue;
			/* The type bits read back as declared, the size bits as zero. */
			FZ_CHECK((cfg32(f, PCI_BAR0 + 4 * (unsigned int)b) & (io ? 3u : 0xfu)) ==
				 bar->flags);
			FZ_CHECK((cfg32(f, PCI_BAR0 + 4 * (unsigned int)b) &
				  (uint32_t)(bar->size - 1) & ~(io ? 3u : 0xfu)) == 0);
			if (!attached) {
				FZ_CHECK(bar->live == 0);
				FZ_CHECK(pci_bar_address(f, b) == decoded(f, b));
				continue;
			}
			FZ_CHECK(pci_bar_address(f, b) == bar->live);
			if (!bar->live)
				continue;
			live++;
			FZ_CHECK(bar->live == decoded(f, b));
			FZ_CHECK(bar->live >= lo && bar->live <= hi && bar->size <= hi - bar->live);
			r = iobus_find(io ? &pio : &mmio, bar->live);
			FZ_CHECK(r && r->base == bar->live && r->len == bar->size &&
				 r->opaque == bar && r->ops == &pci_bar_ops);
		}
	}
	FZ_CHECK(live == on_bus);
}

/* ---- set-up ---- */

static void other_on(struct other *o, struct iobus *iob, uint64_t base, uint64_t len)
{
	*o = (struct other){ base, len, iob, 1 };
	if (iobus_register(iob, base, len, &other_ops, o, "fuzz device"))
		o->on = 0;
}

static void add_fn(struct fake_fn *f)
{
	int r = pci_bus_add(&bus, &f->pci);

	if (r >= 0) {
		f->added = 1;
		FZ_CHECK((unsigned int)r == f->pci.slot_nr && bus.slot[r] == &f->pci);
	} else {
		FZ_CHECK(r == -ENOSPC);
	}
}

static void make_fn(struct fz_in *in, struct fake_fn *f)
{
	uint8_t bars[PCI_NUM_BARS], caps, fl, cap[4 + 63] = { 0 };
	unsigned int k, ncap, clen;
	int b, at;

	for (b = 0; b < PCI_NUM_BARS; b++)
		bars[b] = fz_u8(in);
	caps = fz_u8(in);
	fl = fz_u8(in);
	pci_function_init(&f->pci, "fuzz", 0x1af4, (uint16_t)(0x1000 + (f - fns)), 0xff0000, 0, 0);
	f->added = 0;
	if (!(fl & 2)) {
		f->pci.ops = &fn_ops;
		f->pci.opaque = f;
	}
	for (b = 0; b < PCI_NUM_BARS; b++) {
		if (!bars[b])
			continue;
		if (bars[b] & 0x80)
			(void)pci_function_set_io_bar(&f->pci, b, 4ULL << (bars[b] & 7));
		else
			(void)pci_function_set_bar(&f->pci, b, 4096ULL << (bars[b] & 63));
	}
	ncap = caps & 3;
	clen = 4 + (caps >> 2);
	for (k = 0; k < ncap; k++) {
		cap[0] = (uint8_t)(0x09 + k);
		at = pci_function_add_cap(&f->pci, cap, clen);
		FZ_CHECK(at == -ENOSPC || (at >= 0x40 && at + clen <= PCI_CFG_SIZE));
		if (at >= 0 && (fl & 4))
			memset(&f->pci.wmask[at + 2], 0xff, clen - 2);
	}
	if (fl & 1)
		f->pci.cfg[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
}

/* ---- ops ---- */

static unsigned int len_of(unsigned int code)
{
	return 1u << (code & 3);
}

static struct fake_fn *fn_at(unsigned int slot)
{
	unsigned int i;

	for (i = 0; i < nfns; i++)
		if (fns[i].added && fns[i].pci.slot_nr == slot)
			return &fns[i];
	return NULL;
}

static void do_size(struct fz_in *in)
{
	unsigned int slot = fz_u8(in) % NSLOTS, b = fz_u8(in) % PCI_NUM_BARS;
	struct fake_fn *f = fn_at(slot);
	const struct pci_bar *bar;
	uint32_t save, got, mask;

	if (!f)
		return;
	bar = &f->pci.bar[b];
	save = pci_config_read(&bus, slot, 0, PCI_BAR0 + 4 * b, 4);
	pci_config_write(&bus, slot, 0, PCI_BAR0 + 4 * b, 4, 0xffffffffu);
	got = pci_config_read(&bus, slot, 0, PCI_BAR0 + 4 * b, 4);
	check_all();
	if (bar->size) {
		mask = (uint32_t)~(bar->size - 1) & ((bar->flags & PCI_BAR_IO) ? ~3u : ~0xfu);
		FZ_CHECK(got == (mask | bar->flags));
	} else if (b > 0 && f->pci.bar[b - 1].size && (f->pci.bar[b - 1].flags & PCI_BAR_MEM64)) {
		FZ_CHECK(got == (uint32_t)(~(f->pci.bar[b - 1].size - 1) >> 32));
	} else {
		FZ_CHECK(got == 0);   /* not implemented: reads as zero */
	}
	pci_config_write(&bus, slot, 0, PCI_BAR0 + 4 * b, 4, save);
}

static void do_place(struct fz_in *in)
{
	unsigned int slot = fz_u8(in) % NSLOTS, sel = fz_u8(in), b = sel % PCI_NUM_BARS;
	uint16_t v = fz_u16(in);
	uint32_t hi = fz_u32(in);
	struct fake_fn *f = fn_at(slot);

	if (f && (f->pci.bar[b].flags & PCI_BAR_IO))
		pci_config_write(&bus, slot, 0, PCI_BAR0 + 4 * b, 4, v);
	else
		pci_config_write(&bus, slot, 0, PCI_BAR0 + 4 * b, 4,
				 (uint32_t)(WIN_BASE - 0x10000 + ((uint64_t)v << 12)));
	if ((sel & 0x80) && b + 1 < PCI_NUM_BARS)
		pci_config_write(&bus, slot, 0, PCI_BAR0 + 4 * (b + 1), 4, hi);
}

static void do_bar_access(struct fz_in *in, int io)
{
	uint8_t sel = fz_u8(in), ctl;
	uint32_t off = fz_u32(in);
	uint64_t val, addr = 0, size = 0;
	struct fake_fn *f;
	unsigned int b, len;

	ctl = fz_u8(in);
	val = fz_u64(in);
	len = len_of(ctl >> 1);
	f = fn_at((sel & 0x7f) % NSLOTS);
	if (ctl & 0x80) {
		addr = (io ? 0 : WIN_BASE) + (io ? off & 0xffff : off);
	} else if (f) {
		for (b = (sel & 0x80) ? 2 : 0; b < PCI_NUM_BARS; b++) {
			if (f->pci.bar[b].size && !!(f->pci.bar[b].flags & PCI_BAR_IO) == io) {
				addr = pci_bar_address(&f->pci, (int)b);
				size = f->pci.bar[b].size;
				break;
			}
		}
		if (!addr)
			return;
		/* Inside, or a few bytes either side of its edges. */
		addr += off % (size + 16) - 8;
	} else {
		return;
	}
	(void)iobus_access(io ? &pio : &mmio, addr, &val, len, ctl & 1);
}

static void do_reg(struct fz_in *in)
{
	uint8_t which = fz_u8(in);
	uint32_t off = fz_u32(in);
	uint16_t len = fz_u16(in);
	unsigned int i;

	for (i = 0; i < NDYN && dyn[i].on; i++)
		;
	if (i == NDYN)
		return;
	if (which & 1)
		other_on(&dyn[i], &pio, off & 0xffff, len);
	else
		other_on(&dyn[i], &mmio, WIN_BASE - 0x10000 + off % 0x10020000, len);
}

static void do_unreg(struct fz_in *in)
{
	struct other *o = &dyn[fz_u8(in) % NDYN];

	if (!o->on)
		return;
	FZ_CHECK(iobus_unregister(o->bus, o->base, o) == 0);
	o->on = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size, 0 };
	uint8_t flags, n;
	unsigned int i, when;
	uint64_t v;

	log_set_level(LOG_ERR);   /* a refused BAR warns: not news here */
	flags = fz_u8(&in);
	n = fz_u8(&in);
	when = flags & 3;
	iobus_init(&pio, "pio");
	iobus_init(&mmio, "mmio");
	if (pci_bus_init(&bus, (struct power_sink){ count_reset, NULL }, WIN_BASE, WIN_END))
		abort();
	attached = 0;
	resets = 0;
	memset(dyn, 0, sizeof(dyn));
	if (iobus_register(&pio, PCI_CONFIG_ADDR_PORT, 4, &pci_addr_ops, &bus, "pci addr") ||
	    iobus_register(&pio, PCI_CONFIG_DATA_PORT, 4, &pci_data_ops, &bus, "pci data"))
		abort();
	for (i = 0; i < 4; i++) {
		nonpci_dev[i].on = 0;
		if (flags & (4u << i))
			other_on(&nonpci_dev[i], nonpci[i].io ? &pio : &mmio, nonpci[i].base,
				 nonpci[i].len);
	}
	if (when == 0) {
		FZ_CHECK(pci_bus_attach(&bus, &pio, &mmio) == 0);
		attached = 1;
	}
	nfns = 1 + n % MAX_FN;
	for (i = 0; i < nfns; i++)
		make_fn(&in, &fns[i]);
	held = (flags & 0x80) ? &fns[nfns - 1] : NULL;
	for (i = 0; i < nfns; i++)
		if (&fns[i] != held)
			add_fn(&fns[i]);
	if (flags & 0x40) {
		while (nfns < ARRAY_SIZE(fns)) {
			struct fake_fn *f = &fns[nfns++];

			pci_function_init(&f->pci, "filler", 0x1af4, 0x2000, 0xff0000, 0, 0);
			f->added = 0;
			add_fn(f);
			if (!f->added)
				break;
		}
	}
	if (when == 1) {
		FZ_CHECK(pci_bus_attach(&bus, &pio, &mmio) == 0);
		attached = 1;
	}
	if (attached)
		FZ_CHECK(pci_bus_attach(&bus, &pio, &mmio) == -EINVAL);
	check_all();
	while (fz_more(&in)) {
		unsigned int op = fz_u8(&in) % OP_COUNT, slot, off, ctl, len;
		uint32_t a;

		switch (op) {
		case OP_PIO:
			a = fz_u16(&in);
			ctl = fz_u8(&in);
			v = fz_u64(&in);
			(void)iobus_access(&pio, a, &v, len_of(ctl >> 1), ctl & 1);
			break;
		case OP_CF8:
			slot = fz_u8(&in);
			a = (uint32_t)(slot & 31) << 11 | (uint32_t)(fz_u8(&in) & 7) << 8 | fz_u8(&in);
			ctl = fz_u8(&in);
			a |= (ctl & 1) ? 0 : 0x80000000u;
			a |= (ctl & 2) ? 1u << 16 : 0;
			(void)iobus_access(&pio, PCI_CONFIG_ADDR_PORT, &a, 4, 1);
			break;
		case OP_CFC:
			ctl = fz_u8(&in);
			v = fz_u32(&in);
			(void)iobus_access(&pio, PCI_CONFIG_DATA_PORT + (ctl & 3), &v,
					   len_of(ctl >> 3), ctl & 4);
			break;
		case OP_CFGW:
		case OP_CFGR:
			slot = fz_u8(&in) % NSLOTS;
			off = fz_u8(&in);
			ctl = fz_u8(&in);
			len = ctl & 7;
			if (ctl & 8)
				off |= fz_u32(&in) << 8;   /* offsets no config address makes */
			if (op == OP_CFGW) {
				pci_config_write(&bus, slot, (ctl >> 4) & 7, off, len, fz_u32(&in));
			} else {
				a = pci_config_read(&bus, slot, (ctl >> 4) & 7, off, len);
				/* Nobody there, or past the end: all-ones. */
				if (len >= 1 && len <= 4 &&
				    ((!fn_at(slot) && slot != 0) || (ctl & 0x70) || off >= 256 ||
				     len > 256 - off))
					FZ_CHECK(a == 0xffffffffu >> (32 - 8 * len));
			}
			break;
		case OP_PLACE:
			do_place(&in);
			break;
		case OP_CMD:
			slot = fz_u8(&in) % NSLOTS;
			pci_config_write(&bus, slot, 0, PCI_COMMAND, 2, fz_u16(&in));
			break;
		case OP_MMIO:
		case OP_IOBAR:
			do_bar_access(&in, op == OP_IOBAR);
			break;
		case OP_SIZE:
			do_size(&in);
			break;
		case OP_REG:
			do_reg(&in);
			break;
		case OP_UNREG:
			do_unreg(&in);
			break;
		case OP_ADD:
			if (held && !held->added)
				add_fn(held);
			break;
		case OP_RESET:
			a = fz_u8(&in);
			(void)iobus_access(&pio, PCI_CONFIG_ADDR_PORT + 1, &a, 1, 1);
			break;
		}
		check_all();
	}
	pci_bus_destroy(&bus);
	iobus_destroy(&pio);
	iobus_destroy(&mmio);
	return 0;
}
