/* pci.c - see pci.h. */
#include "devices/pci.h"

#include <errno.h>
#include <string.h>

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

int pci_function_set_bar(struct pci_function *f, int idx, uint64_t size)
{
	if (idx < 0 || idx + 1 >= PCI_NUM_BARS || size < 4096 || (size & (size - 1)))
		return -EINVAL;
	f->bar[idx].size = size;
	f->bar[idx].flags = PCI_BAR_MEM64;
	put32(&f->cfg[PCI_BAR0 + 4 * idx], PCI_BAR_MEM64);
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

uint64_t pci_bar_address(const struct pci_function *f, int idx)
{
	uint64_t a;

	if (idx < 0 || idx + 1 >= PCI_NUM_BARS || !f->bar[idx].size ||
	    !(f->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY))
		return 0;
	a = (get32(&f->cfg[PCI_BAR0 + 4 * idx]) & ~0xfu) |
	    (uint64_t)get32(&f->cfg[PCI_BAR0 + 4 * idx + 4]) << 32;
	return a;
}

int pci_bus_init(struct pci_bus *bus, struct power_sink power, uint64_t mmio_base,
		 uint64_t mmio_end)
{
	memset(bus, 0, sizeof(*bus));
	bus->power = power;
	bus->mmio_base = mmio_base;
	bus->mmio_end = mmio_end;
	bus->mmio_next = mmio_base;
	pci_function_init(&bus->host_bridge, "host bridge", HOST_VENDOR, HOST_DEVICE,
			  CLASS_HOST, 0, 0);
	bus->slot[0] = &bus->host_bridge;
	return -pthread_mutex_init(&bus->lock, NULL);
}

void pci_bus_destroy(struct pci_bus *bus)
{
	pthread_mutex_destroy(&bus->lock);
}

int pci_bus_add(struct pci_bus *bus, struct pci_function *f)
{
	uint64_t next = bus->mmio_next;
	unsigned int i;
	int b;

	for (i = 0; i < PCI_MAX_SLOTS && bus->slot[i]; i++)
		;
	if (i == PCI_MAX_SLOTS)
		return -ENOSPC;
	for (b = 0; b < PCI_NUM_BARS; b++) {
		uint64_t size = f->bar[b].size, at;

		if (!size)
			continue;
		at = ALIGN_UP(next, size);
		if (at < next || at + size > bus->mmio_end || at + size < at)
			return -ENOSPC;
		put32(&f->cfg[PCI_BAR0 + 4 * b], (uint32_t)at | f->bar[b].flags);
		put32(&f->cfg[PCI_BAR0 + 4 * b + 4], (uint32_t)(at >> 32));
		next = at + size;
	}
	bus->mmio_next = next;
	bus->slot[i] = f;
	return (int)i;
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

	if (!f || len > 4 || off + len > PCI_CFG_SIZE)
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

	if (reg > 0 && !f->bar[reg].size && f->bar[reg - 1].size) {
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
		  : (uint32_t)~(f->bar[idx].size - 1) & ~0xfu;
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

	pthread_mutex_lock(&bus->lock);
	f = lookup(bus, slot, fn);
	if (!f || len > 4 || off + len > PCI_CFG_SIZE) {
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	mapping = config_write_locked(f, off, len, val);
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
			mapping = config_write_locked(f, at, len, v);
		else
			f = NULL;
	}
	pthread_mutex_unlock(&bus->lock);
	notify_written(f, at, len, mapping);
}

/* Find the function and BAR decoding addr; fills *bar and *off. */
static struct pci_function *route_mmio(struct pci_bus *bus, uint64_t addr, int *bar,
				       uint64_t *off)
{
	unsigned int i;
	int b;

	for (i = 0; i < PCI_MAX_SLOTS; i++) {
		struct pci_function *f = bus->slot[i];

		if (!f || !f->ops)
			continue;
		for (b = 0; b < PCI_NUM_BARS; b++) {
			uint64_t base = pci_bar_address(f, b);

			if (base && addr >= base && addr - base < f->bar[b].size) {
				*bar = b;
				*off = addr - base;
				return f;
			}
		}
	}
	return NULL;
}

/* The function and BAR offset an access of len bytes at window offset off hits. */
static struct pci_function *mmio_target(struct pci_bus *bus, uint64_t off, unsigned int len,
					int *bar, uint64_t *boff)
{
	struct pci_function *f;

	pthread_mutex_lock(&bus->lock);
	f = route_mmio(bus, bus->mmio_base + off, bar, boff);
	pthread_mutex_unlock(&bus->lock);
	return f && *boff + len <= f->bar[*bar].size ? f : NULL;
}

static void mmio_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	uint64_t boff = 0;
	int bar = 0;
	struct pci_function *f = mmio_target(opaque, off, len, &bar, &boff);

	if (f && f->ops->bar_read)
		f->ops->bar_read(f->opaque, bar, boff, data, len);
	else
		memset(data, 0xff, len);
}

static void mmio_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	uint64_t boff = 0;
	int bar = 0;
	struct pci_function *f = mmio_target(opaque, off, len, &bar, &boff);

	if (f && f->ops->bar_write)
		f->ops->bar_write(f->opaque, bar, boff, data, len);
}

const struct iodev_ops pci_addr_ops = { .read = addr_read, .write = addr_write };
const struct iodev_ops pci_data_ops = { .read = data_read, .write = data_write };
const struct iodev_ops pci_mmio_ops = { .read = mmio_read, .write = mmio_write };
