/* pci.c - see pci.h. */
#include "devices/pci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"

#define CFG_ENABLE      0x80000000u
#define RESET_CPU       0x04   /* 0xcf9: bit 2 starts a reset */
#define HOST_VENDOR     0x1b36 /* a generic host bridge; no OS quirks apply */
#define HOST_DEVICE     0x0008
#define CLASS_HOST      0x060000

#define FIRST_CAP       0x40
#define ALIGN4(x)       (((x) + 3u) & ~3u)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void pci_function_init(struct pci_function *f, const char *name, uint16_t vendor,
		       uint16_t device, uint32_t class_code, uint16_t subsys_vendor,
		       uint16_t subsys_id)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	put16(&f->cfg[PCI_VENDOR_ID], vendor);
	put16(&f->cfg[PCI_DEVICE_ID], device);
	f->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	put16(&f->cfg[PCI_CLASS_DEVICE], (uint16_t)(class_code >> 8));
	put16(&f->cfg[PCI_SUBSYS_VENDOR], subsys_vendor);
	put16(&f->cfg[PCI_SUBSYS_ID], subsys_id);
	/* I/O, memory, bus master, INTx disable are the guest's to set. */
	put16(&f->wmask[PCI_COMMAND], 0x0407);
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;
	f->cap_end = FIRST_CAP;
}

/* BAR idx is the upper half of a 64-bit BAR at idx - 1. */
static int bar_upper_half(const struct pci_function *f, int idx)
{
	return idx > 0 && f->bar[idx - 1].size && (f->bar[idx - 1].flags & PCI_BAR_MEM64);
}

/* Declare BAR idx (checked by the caller) with its type bits. */
static void bar_declare(struct pci_function *f, int idx, uint64_t size, uint32_t flags)
{
	f->bar[idx].size = size;
	f->bar[idx].flags = flags;
	put32(&f->cfg[PCI_BAR0 + 4 * idx], flags);
}

int pci_function_set_bar(struct pci_function *f, int idx, uint64_t size)
{
	/* Declaring the same 64-bit BAR again (another size) is allowed. */
	if (idx < 0 || idx + 1 >= PCI_NUM_BARS || size < 4096 || (size & (size - 1)) ||
	    f->bar[idx + 1].size || bar_upper_half(f, idx) ||
	    (f->bar[idx].size && !(f->bar[idx].flags & PCI_BAR_MEM64)))
		return -EINVAL;
	bar_declare(f, idx, size, PCI_BAR_MEM64);
	return 0;
}

int pci_function_set_io_bar(struct pci_function *f, int idx, uint64_t size)
{
	if (idx < 0 || idx >= PCI_NUM_BARS || size < 4 || size > 256 || (size & (size - 1)) ||
	    f->bar[idx].size || bar_upper_half(f, idx))
		return -EINVAL;
	bar_declare(f, idx, size, PCI_BAR_IO);
	return 0;
}

int pci_function_add_cap(struct pci_function *f, const void *cap, unsigned int len)
{
	unsigned int at = ALIGN4(f->cap_end);

	if (len < 2 || at + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(&f->cfg[at], cap, len);
	f->cfg[at + 1] = 0;
	if (f->last_cap)
		f->cfg[f->last_cap + 1] = (uint8_t)at;
	else
		f->cfg[PCI_CAP_PTR] = (uint8_t)at;
	f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	f->last_cap = (uint8_t)at;
	f->cap_end = (uint8_t)(at + len < PCI_CFG_SIZE ? at + len : PCI_CFG_SIZE - 1);
	return (int)at;
}

static int bar_is_io(const struct pci_bar *b)
{
	return (b->flags & PCI_BAR_IO) != 0;
}

/* Where BAR idx is programmed to decode, ignoring the command register. */
static uint64_t bar_programmed(const struct pci_function *f, int idx)
{
	uint32_t lo = get32(&f->cfg[PCI_BAR0 + 4 * idx]);

	if (bar_is_io(&f->bar[idx]))
		return lo & ~0x3u;
	return (lo & ~0xfu) | (uint64_t)get32(&f->cfg[PCI_BAR0 + 4 * idx + 4]) << 32;
}

/* Where BAR idx would decode by its registers: 0 if decoding is off. */
static uint64_t bar_decoded(const struct pci_function *f, int idx)
{
	uint8_t enable = bar_is_io(&f->bar[idx]) ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;

	return f->cfg[PCI_COMMAND] & enable ? bar_programmed(f, idx) : 0;
}

uint64_t pci_bar_address(const struct pci_function *f, int idx)
{
	if (idx < 0 || idx >= PCI_NUM_BARS || !f->bar[idx].size)
		return 0;
	if (f->bus && f->bus->mmio)
		return __atomic_load_n(&f->bar[idx].live, __ATOMIC_ACQUIRE);
	return bar_decoded(f, idx);
}

int pci_bus_init(struct pci_bus *bus, struct power_sink power, uint64_t mmio_base,
		 uint64_t mmio_end)
{
	memset(bus, 0, sizeof(*bus));
	bus->power = power;
	bus->mmio_base = mmio_base;
	bus->mmio_end = mmio_end;
	bus->mmio_next = mmio_base;
	bus->io_base = bus->io_next = PCI_IO_BASE;
	bus->io_end = PCI_IO_END;
	pci_function_init(&bus->host_bridge, "host bridge", HOST_VENDOR, HOST_DEVICE,
			  CLASS_HOST, 0, 0);
	bus->slot[0] = &bus->host_bridge;
	return -pthread_mutex_init(&bus->lock, NULL);
}

void pci_bus_destroy(struct pci_bus *bus)
{
	pthread_mutex_destroy(&bus->lock);
}

/* ---- BAR mapping on an attached bus (bus lock held) ---- */

/* The warning for a refused BAR: who it is, where, and why (why). */
static void bar_warn(const struct pci_function *f, int b, uint64_t at, const char *why)
{
	log_warn("PCI 00:%02x.0 (%s): BAR%d at 0x%llx (size 0x%llx) %s: left unmapped "
		 "until moved to a free place", f->slot_nr, f->name ? f->name : "?", b,
		 (unsigned long long)at, (unsigned long long)f->bar[b].size, why);
}

/*
 * Try to map BAR b of f at at (nothing of it is mapped now): only inside
 * the window for its type and over nothing already on the iobus.
 */
static void bar_map(struct pci_bus *bus, struct pci_function *f, int b, uint64_t at)
{
	struct pci_bar *bar = &f->bar[b];
	int io = bar_is_io(bar);
	struct iobus *iob = io ? bus->pio : bus->mmio;
	uint64_t lo = io ? bus->io_base : bus->mmio_base, hi = io ? bus->io_end : bus->mmio_end;
	struct iobus_range other;
	int warn = !bar->is_refused || bar->refused != at, r;
	char why[160];

	bar->refused = at;
	bar->is_refused = 1;
	if (at == 0 || at < lo || hi < lo || bar->size > hi - lo || at - lo > hi - lo - bar->size) {
		snprintf(why, sizeof(why), "is outside the PCI %s window [0x%llx, 0x%llx)",
			 io ? "I/O" : "memory", (unsigned long long)lo, (unsigned long long)hi);
		goto refused;
	}
	r = iobus_register(iob, at, bar->size, &pci_bar_ops, bar, bar->name);
	if (r == 0) {
		bar->is_refused = 0;
		__atomic_store_n(&bar->live, at, __ATOMIC_RELEASE);
		return;
	}
	if (r != -EEXIST)
		snprintf(why, sizeof(why), "cannot be mapped on the %s bus (%s)", iob->name,
			 strerror(-r));
	else if (iobus_overlap(iob, at, bar->size, &other) == 1)
		snprintf(why, sizeof(why), "overlaps %s at [0x%llx, 0x%llx) on the %s bus",
			 other.name ? other.name : "a device", (unsigned long long)other.base,
			 (unsigned long long)(other.base + other.len), iob->name);
	else
		snprintf(why, sizeof(why), "overlaps a range on the %s bus", iob->name);
refused:
	if (warn)
		bar_warn(f, b, at, why);
}

/* Bring f's mapped ranges in line with its command register and BARs. */
static void bars_update(struct pci_bus *bus, struct pci_function *f)
{
	int b;

	for (b = 0; b < PCI_NUM_BARS; b++) {
		struct pci_bar *bar = &f->bar[b];
		uint64_t want, cur = bar->live;

		if (!bar->size)
			continue;
		want = bar_decoded(f, b);
		if (want == cur)
			continue;
		if (cur) {
			iobus_unregister(bar_is_io(bar) ? bus->pio : bus->mmio, cur, bar);
			__atomic_store_n(&bar->live, 0, __ATOMIC_RELEASE);
		}
		if (want)
			bar_map(bus, f, b, want);
	}
}

int pci_bus_attach(struct pci_bus *bus, struct iobus *pio, struct iobus *mmio)
{
	unsigned int i;

	if (!bus || !pio || !mmio)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	if (bus->mmio) {
		pthread_mutex_unlock(&bus->lock);
		return -EINVAL;
	}
	bus->pio = pio;
	bus->mmio = mmio;
	for (i = 0; i < PCI_MAX_SLOTS; i++)
		if (bus->slot[i])
			bars_update(bus, bus->slot[i]);
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

int pci_bus_add(struct pci_bus *bus, struct pci_function *f)
{
	uint64_t next, io_next, at[PCI_NUM_BARS] = { 0 };
	unsigned int i;
	int b;

	pthread_mutex_lock(&bus->lock);
	next = bus->mmio_next;
	io_next = bus->io_next;
	for (i = 0; i < PCI_MAX_SLOTS && bus->slot[i]; i++)
		;
	if (i == PCI_MAX_SLOTS)
		goto nospc;
	for (b = 0; b < PCI_NUM_BARS; b++) {
		uint64_t size = f->bar[b].size, *n = bar_is_io(&f->bar[b]) ? &io_next : &next;
		uint64_t end = bar_is_io(&f->bar[b]) ? bus->io_end : bus->mmio_end;

		if (!size)
			continue;
		at[b] = ALIGN_UP(*n, size);
		if (at[b] < *n || at[b] + size > end || at[b] + size < at[b])
			goto nospc;
		*n = at[b] + size;
	}
	for (b = 0; b < PCI_NUM_BARS; b++) {
		struct pci_bar *bar = &f->bar[b];

		bar->fn = f;
		bar->idx = b;
		bar->live = bar->refused = 0;
		bar->is_refused = 0;
		snprintf(bar->name, sizeof(bar->name), "PCI 00:%02x.0 BAR%d", i, b);
		if (!bar->size)
			continue;
		put32(&f->cfg[PCI_BAR0 + 4 * b], (uint32_t)at[b] | bar->flags);
		if (!bar_is_io(bar))
			put32(&f->cfg[PCI_BAR0 + 4 * b + 4], (uint32_t)(at[b] >> 32));
	}
	bus->mmio_next = next;
	bus->io_next = io_next;
	f->bus = bus;
	f->slot_nr = i;
	bus->slot[i] = f;
	if (bus->mmio)
		bars_update(bus, f);
	pthread_mutex_unlock(&bus->lock);
	return (int)i;
nospc:
	pthread_mutex_unlock(&bus->lock);
	return -ENOSPC;
}

static struct pci_function *lookup(struct pci_bus *bus, unsigned int slot,
				   unsigned int fn)
{
	if (slot >= PCI_MAX_SLOTS || fn != 0)
		return NULL;
	return bus->slot[slot];
}

uint32_t pci_config_read(struct pci_bus *bus, unsigned int slot, unsigned int fn,
			 unsigned int off, unsigned int len)
{
	struct pci_function *f = lookup(bus, slot, fn);
	uint32_t v = 0;
	unsigned int i;

	if (len == 0)
		return 0;
	if (!f || len > 4 || off >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - off)
		return 0xffffffffu >> (32 - 8 * (len > 4 ? 4 : len));
	for (i = 0; i < len; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	return v;
}

/*
 * A write to a BAR register: the address bits below the BAR's size read back
 * as zero (which is how the guest sizes it); type bits are read-only.
 */
static void bar_write(struct pci_function *f, unsigned int off, unsigned int len,
		      uint32_t val)
{
	unsigned int reg = (off - PCI_BAR0) / 4, idx = reg, hi = 0, i;
	uint8_t bytes[4];
	uint32_t v, mask;

	if (!f->bar[reg].size && bar_upper_half(f, (int)reg)) {
		idx = reg - 1;   /* upper half of a 64-bit BAR */
		hi = 1;
	}
	if (!f->bar[idx].size)
		return;
	memcpy(bytes, &f->cfg[PCI_BAR0 + 4 * reg], 4);
	for (i = 0; i < len; i++)
		bytes[(off & 3) + i] = (uint8_t)(val >> (8 * i));
	v = get32(bytes);
	mask = hi ? (uint32_t)(~(f->bar[idx].size - 1) >> 32)
		  : (uint32_t)~(f->bar[idx].size - 1) &
			    (bar_is_io(&f->bar[idx]) ? ~0x3u : ~0xfu);
	v = (v & mask) | (hi ? 0 : f->bar[idx].flags);
	put32(&f->cfg[PCI_BAR0 + 4 * reg], v);
}

/* Write config bytes; returns 1 if the function's BAR mapping may have changed. */
static int config_write_locked(struct pci_function *f, unsigned int off,
			       unsigned int len, uint32_t val)
{
	unsigned int i;

	if (off >= PCI_BAR0 && off < PCI_BAR0 + 4 * PCI_NUM_BARS) {
		if ((off & 3) + len > 4)
			return 0;
		bar_write(f, off, len, val);
		return 1;
	}
	for (i = 0; i < len; i++) {
		uint8_t m = f->wmask[off + i], b = (uint8_t)(val >> (8 * i));

		f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | (b & m));
	}
	return off <= PCI_COMMAND && off + len > PCI_COMMAND;
}

/*
 * One config write to f (bus lock held): the bytes land, then on an attached
 * bus the BARs follow. Returns 1 if the function's BAR mapping may have changed.
 */
static int write_locked(struct pci_bus *bus, struct pci_function *f, unsigned int off,
			unsigned int len, uint32_t val)
{
	int mapping = config_write_locked(f, off, len, val);

	if (mapping && bus->mmio)
		bars_update(bus, f);
	return mapping;
}

/* Tell the device what changed; called without the bus lock held. */
static void notify_written(struct pci_function *f, unsigned int off, unsigned int len,
			   int mapping)
{
	if (!f || !f->ops)
		return;
	if (mapping && f->ops->mapping_changed)
		f->ops->mapping_changed(f->opaque);
	if (f->ops->config_written)
		f->ops->config_written(f->opaque, off, len);
}

void pci_config_write(struct pci_bus *bus, unsigned int slot, unsigned int fn,
		      unsigned int off, unsigned int len, uint32_t val)
{
	struct pci_function *f;
	int mapping;

	if (len == 0)
		return;   /* nothing to write, nothing to tell the device */
	pthread_mutex_lock(&bus->lock);
	f = lookup(bus, slot, fn);
	if (!f || len > 4 || off >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - off) {
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	mapping = write_locked(bus, f, off, len, val);
	pthread_mutex_unlock(&bus->lock);
	notify_written(f, off, len, mapping);
}

static void addr_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct pci_bus *bus = opaque;
	uint32_t v;

	pthread_mutex_lock(&bus->lock);
	v = bus->config_address;
	pthread_mutex_unlock(&bus->lock);
	if (off == 0 && len == 4)
		memcpy(data, &v, 4);
	else
		memset(data, 0, len);  /* 0xcf9 and byte reads of 0xcf8 */
}

static void addr_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct pci_bus *bus = opaque;
	uint8_t b = *(const uint8_t *)data;

	if (off == 0 && len == 4) {
		uint32_t v;

		memcpy(&v, data, 4);
		pthread_mutex_lock(&bus->lock);
		bus->config_address = v & 0x80fffffcu;
		pthread_mutex_unlock(&bus->lock);
	} else if (off == 1 && len == 1 && (b & RESET_CPU)) {
		power_request(&bus->power, POWER_RESET, "reset control register 0xcf9");
	}
}

/* Decode the latched address; 0 if it selects a function on bus 0. */
static int decode(uint32_t a, unsigned int *slot, unsigned int *fn, unsigned int *reg)
{
	if (!(a & CFG_ENABLE) || ((a >> 16) & 0xff) != 0)
		return -1;
	*slot = (a >> 11) & 0x1f;
	*fn = (a >> 8) & 0x7;
	*reg = a & 0xfc;
	return 0;
}

static void data_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct pci_bus *bus = opaque;
	unsigned int slot, fn, reg;
	uint32_t v = 0xffffffffu;

	pthread_mutex_lock(&bus->lock);
	if (!decode(bus->config_address, &slot, &fn, &reg))
		v = pci_config_read(bus, slot, fn, reg + (unsigned int)off, len);
	pthread_mutex_unlock(&bus->lock);
	memcpy(data, &v, len);
}

static void data_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct pci_bus *bus = opaque;
	struct pci_function *f = NULL;
	unsigned int slot, fn, reg, at = 0;
	uint32_t v = 0;
	int mapping = 0;

	memcpy(&v, data, len);
	pthread_mutex_lock(&bus->lock);
	if (!decode(bus->config_address, &slot, &fn, &reg)) {
		f = lookup(bus, slot, fn);
		at = reg + (unsigned int)off;
		if (f && at + len <= PCI_CFG_SIZE)
			mapping = write_locked(bus, f, at, len, v);
		else
			f = NULL;
	}
	pthread_mutex_unlock(&bus->lock);
	notify_written(f, at, len, mapping);
}

/*
 * A mapped BAR's range: the iobus has checked that the access lies inside
 * it, and hands the offset on to the function with the BAR's index.
 */
static void bar_range_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	const struct pci_bar *bar = opaque;
	const struct pci_function *f = bar->fn;

	if (f->ops && f->ops->bar_read)
		f->ops->bar_read(f->opaque, bar->idx, off, data, len);
	else
		memset(data, 0xff, len);
}

static void bar_range_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	const struct pci_bar *bar = opaque;
	const struct pci_function *f = bar->fn;

	if (f->ops && f->ops->bar_write)
		f->ops->bar_write(f->opaque, bar->idx, off, data, len);
}

const struct iodev_ops pci_addr_ops = { .read = addr_read, .write = addr_write };
const struct iodev_ops pci_data_ops = { .read = data_read, .write = data_write };
const struct iodev_ops pci_bar_ops = { .read = bar_range_read, .write = bar_range_write };
