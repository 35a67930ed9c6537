/*
 * pci.h - PCI bus 0 behind a host bridge, reached through configuration
 * mechanism #1 (address at port 0xcf8, data at 0xcfc-0xcff). Each function
 * has a 256-byte configuration space with a write mask; the bus answers
 * all-ones for slots nobody occupies. Port 0xcf9 (byte) is the PC reset
 * control register.
 */
#ifndef KVMINI_PCI_H
#define KVMINI_PCI_H

#include <pthread.h>
#include <stdint.h>

#include "devices/iobus.h"
#include "devices/power.h"
#include "base/util.h"

#define PCI_CONFIG_ADDR_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_MAX_SLOTS 32
#define PCI_CFG_SIZE 256

/* Standard header offsets. */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION_ID    0x08
#define PCI_CLASS_PROG     0x09
#define PCI_CLASS_DEVICE   0x0a
#define PCI_HEADER_TYPE    0x0e
#define PCI_SUBSYS_VENDOR  0x2c
#define PCI_SUBSYS_ID      0x2e
#define PCI_BAR0           0x10
#define PCI_CAP_PTR        0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_COMMAND_MEMORY  0x0002
#define PCI_BAR_MEM64       0x4     /* memory BAR, 64-bit, not prefetchable */
#define PCI_NUM_BARS        6

struct pci_bar {
	uint64_t size;     /* 0: not implemented */
	uint32_t flags;    /* low type bits */
};

/* How the bus calls back into the device that owns a function. */
struct pci_function_ops {
	/* An access of len bytes at offset off into memory BAR bar. */
	void (*bar_read)(void *opaque, int bar, uint64_t off, void *data, unsigned int len);
	void (*bar_write)(void *opaque, int bar, uint64_t off, const void *data,
			  unsigned int len);
	/* The guest wrote config bytes [off, off+len) (after they landed). */
	void (*config_written)(void *opaque, unsigned int off, unsigned int len);
	/* A BAR moved or memory decoding was switched on or off. */
	void (*mapping_changed)(void *opaque);
};

struct pci_function {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may change */
	const char *name;
	struct pci_bar bar[PCI_NUM_BARS];
	const struct pci_function_ops *ops;
	void *opaque;
	uint8_t last_cap;              /* offset of the last capability, 0 if none */
	uint8_t cap_end;               /* first free config byte for a capability */
};

struct pci_bus {
	pthread_mutex_t lock;
	uint64_t mmio_base, mmio_end;  /* window where BARs are placed and decoded */
	uint64_t mmio_next;            /* next free address for pci_bus_add() */
	struct power_sink power;       /* for the 0xcf9 reset */
	uint32_t config_address;
	struct pci_function *slot[PCI_MAX_SLOTS];  /* function 0 of each slot */
	struct pci_function host_bridge;
};

/* Handlers for 0xcf8-0xcfb (address, 0xcf9 reset) and 0xcfc-0xcff (data). */
extern const struct iodev_ops pci_addr_ops;
extern const struct iodev_ops pci_data_ops;
/* Handlers for the MMIO window [mmio_base, mmio_end): routed to BARs. */
extern const struct iodev_ops pci_mmio_ops;

/*
 * pci_bus_init - an empty bus 0 with the host bridge at 00:00.0; BARs are
 * placed in [mmio_base, mmio_end).
 */
int pci_bus_init(struct pci_bus *bus, struct power_sink power, uint64_t mmio_base,
		 uint64_t mmio_end);

/* pci_bus_destroy - release the lock (functions are owned by their devices). */
void pci_bus_destroy(struct pci_bus *bus);

/*
 * pci_function_init - fill a type-0 header: ids, class (base << 16 |
 * sub << 8 | prog-if), command register writable.
 */
void pci_function_init(struct pci_function *f, const char *name, uint16_t vendor,
		       uint16_t device, uint32_t class_code, uint16_t subsys_vendor,
		       uint16_t subsys_id);

/*
 * pci_function_set_bar - declare BAR idx as a 64-bit memory BAR of size
 * bytes (a power of two >= 4096). It takes idx and idx+1.
 */
int pci_function_set_bar(struct pci_function *f, int idx, uint64_t size);

/*
 * pci_function_add_cap - append a capability (cap[0] is its ID; cap[1] is
 * filled with the next pointer). Returns its config offset or -ENOSPC.
 */
int pci_function_add_cap(struct pci_function *f, const void *cap, unsigned int len);

/*
 * pci_bus_add - put f at the first free slot and give its BARs addresses
 * in the window (as firmware would). Returns the slot or a negative errno.
 */
int pci_bus_add(struct pci_bus *bus, struct pci_function *f);

/* pci_bar_address - where BAR idx decodes now; 0 if memory decoding is off. */
uint64_t pci_bar_address(const struct pci_function *f, int idx);

/* pci_config_read/_write - one config access to bus 0 (for tests too). */
uint32_t pci_config_read(struct pci_bus *bus, unsigned int slot, unsigned int fn,
			 unsigned int off, unsigned int len);
void pci_config_write(struct pci_bus *bus, unsigned int slot, unsigned int fn,
		      unsigned int off, unsigned int len, uint32_t val);

#endif
