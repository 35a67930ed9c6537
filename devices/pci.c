/* pci.c - see pci.h. */
#include "pci.h"

#include <errno.h>
#include <string.h>

#define CFG_ENABLE      0x80000000u
#define RESET_CPU       0x04   /* 0xcf9: bit 2 starts a reset */
#define HOST_VENDOR     0x1b36 /* a generic host bridge; no OS quirks apply */
#define HOST_DEVICE     0x0008
#define CLASS_HOST      0x060000

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
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
}

int pci_bus_init(struct pci_bus *bus, struct power_sink power)
{
	memset(bus, 0, sizeof(*bus));
	bus->power = power;
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
	unsigned int i;

	for (i = 0; i < PCI_MAX_SLOTS; i++) {
		if (!bus->slot[i]) {
			bus->slot[i] = f;
			return (int)i;
		}
	}
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

	if (!f || len > 4 || off + len > PCI_CFG_SIZE)
		return 0xffffffffu >> (32 - 8 * (len > 4 ? 4 : len));
	for (i = 0; i < len; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	return v;
}

void pci_config_write(struct pci_bus *bus, unsigned int slot, unsigned int fn,
		      unsigned int off, unsigned int len, uint32_t val)
{
	struct pci_function *f = lookup(bus, slot, fn);
	unsigned int i;

	if (!f || len > 4 || off + len > PCI_CFG_SIZE)
		return;
	for (i = 0; i < len; i++) {
		uint8_t m = f->wmask[off + i], b = (uint8_t)(val >> (8 * i));

		f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | (b & m));
	}
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
	unsigned int slot, fn, reg;
	uint32_t v = 0;

	memcpy(&v, data, len);
	pthread_mutex_lock(&bus->lock);
	if (!decode(bus->config_address, &slot, &fn, &reg))
		pci_config_write(bus, slot, fn, reg + (unsigned int)off, len, v);
	pthread_mutex_unlock(&bus->lock);
}

const struct iodev_ops pci_addr_ops = { .read = addr_read, .write = addr_write };
const struct iodev_ops pci_data_ops = { .read = data_read, .write = data_write };
