/*
 * pci.h - PCI bus 0 behind a host bridge, reached through configuration
 * mechanism #1 (address at port 0xcf8, data at 0xcfc-0xcff). Each function
 * has a 256-byte configuration space with a write mask; the bus answers
 * all-ones for slots nobody occupies. Port 0xcf9 (byte) is the PC reset
 * control register.
 *
 * BARs: on a bus attached to the machine's buses (pci_bus_attach()), each
 * BAR whose decoding is on (memory or I/O enable in the command register)
 * is a range of its own on the MMIO or port I/O iobus, mapped and unmapped
 * by the config write that changes the command register or the BAR. A BAR
 * the guest places outside the bus's window for its type (over RAM, say),
 * at address 0, or over any range already on the iobus (another BAR, a
 * non-PCI device) is refused: it stays unmapped, the first refusal at an
 * address is logged as a warning naming the function and the conflict, and
 * pci_bar_address() reads 0 for it; the next write that moves it or
 * switches its decoding on tries again. A bus that is not attached maps
 * nothing and checks nothing: pci_bar_address() reads the registers (unit
 * tests drive BARs through the function's ops directly).
 *
 * Locking: the bus lock serializes config accesses and BAR mapping; it is
 * taken before an iobus's own lock, never after one.
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
#define PCI_COMMAND_IO      0x0001
#define PCI_COMMAND_MEMORY  0x0002
#define PCI_BAR_IO          0x1     /* I/O BAR */
#define PCI_BAR_MEM64       0x4     /* memory BAR, 64-bit, not prefetchable */
#define PCI_NUM_BARS        6

/* Where I/O BARs are placed and decoded: above the ISA ports, as on a PC. */
#define PCI_IO_BASE         0x1000
#define PCI_IO_END          0x10000

struct pci_function;

struct pci_bar {
	uint64_t size;     /* 0: not implemented */
	uint32_t flags;    /* low type bits */
	/* Set by pci_bus_add(): the iobus range's opaque points here. */
	struct pci_function *fn;
	int idx;
	char name[40];     /* "PCI 00:01.0 BAR0", the range's name on the iobus */
	/* On an attached bus, under the bus lock: */
	uint64_t live;     /* base of the range mapped on the iobus; 0: unmapped
			    * (also read atomically by pci_bar_address()) */
	uint64_t refused;  /* if is_refused: the address last refused, */
	int is_refused;    /* so that a refusal is logged once per address */
};

/* How the bus calls back into the device that owns a function. */
struct pci_function_ops {
	/*
	 * An access of len bytes at offset off into BAR bar (memory or I/O);
	 * off + len never exceeds the BAR's size. Called with no bus lock held.
	 */
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
	struct pci_bus *bus;           /* set by pci_bus_add() */
	unsigned int slot_nr;          /* its slot on that bus */
};

struct pci_bus {
	pthread_mutex_t lock;
	uint64_t mmio_base, mmio_end;  /* window where BARs are placed and decoded */
	uint64_t mmio_next;            /* next free address for pci_bus_add() */
	uint64_t io_base, io_end;      /* the same for I/O BARs: PCI_IO_BASE/END */
	uint64_t io_next;
	struct iobus *pio, *mmio;      /* where BARs are mapped; NULL: not attached */
	struct power_sink power;       /* for the 0xcf9 reset */
	uint32_t config_address;
	struct pci_function *slot[PCI_MAX_SLOTS];  /* function 0 of each slot */
	struct pci_function host_bridge;
};

/* Handlers for 0xcf8-0xcfb (address, 0xcf9 reset) and 0xcfc-0xcff (data). */
extern const struct iodev_ops pci_addr_ops;
extern const struct iodev_ops pci_data_ops;
/* The handlers of a mapped BAR's range (opaque: its struct pci_bar). */
extern const struct iodev_ops pci_bar_ops;

/*
 * pci_bus_init - an empty bus 0 with the host bridge at 00:00.0; memory
 * BARs are placed and decoded in [mmio_base, mmio_end), I/O BARs in
 * [PCI_IO_BASE, PCI_IO_END). Not attached. Returns 0 or a negative errno.
 */
int pci_bus_init(struct pci_bus *bus, struct power_sink power, uint64_t mmio_base,
		 uint64_t mmio_end);

/*
 * pci_bus_attach - from now on, map each BAR whose decoding is on as a range
 * of its own on mmio (memory BARs) or pio (I/O BARs), the buses port and
 * MMIO devices are on; BARs of functions already added whose decoding is on
 * are mapped now. Call before vCPUs run. Returns 0, or -EINVAL for a NULL
 * bus or a bus already attached.
 */
int pci_bus_attach(struct pci_bus *bus, struct iobus *pio, struct iobus *mmio) MUST_CHECK;

/*
 * pci_bus_destroy - release the lock. Functions are owned by their devices
 * and are not touched (they may be gone already): ranges of mapped BARs stay
 * on the iobuses, which must no longer be accessed.
 */
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
 * bytes (a power of two >= 4096). It takes idx and idx+1. Returns 0, or
 * -EINVAL for a bad size, or an idx or idx+1 another BAR takes (declaring
 * the same 64-bit BAR again changes its size).
 */
int pci_function_set_bar(struct pci_function *f, int idx, uint64_t size);

/*
 * pci_function_set_io_bar - declare BAR idx as an I/O BAR of size bytes (a
 * power of two from 4 to 256). Returns 0, or -EINVAL for a bad size or an
 * idx that is taken (by a BAR, or as the upper half of a 64-bit one).
 */
int pci_function_set_io_bar(struct pci_function *f, int idx, uint64_t size);

/*
 * pci_function_add_cap - append a capability (cap[0] is its ID; cap[1] is
 * filled with the next pointer). Returns its config offset or -ENOSPC.
 */
int pci_function_add_cap(struct pci_function *f, const void *cap, unsigned int len);

/*
 * pci_bus_add - put f at the first free slot and give its BARs addresses
 * in the windows (as firmware would; decoding stays as f has it, off after
 * pci_function_init()). Returns the slot, or -ENOSPC when no slot or no
 * room in a window is left (then f is not added and its BARs are as they
 * were).
 */
int pci_bus_add(struct pci_bus *bus, struct pci_function *f);

/*
 * pci_bar_address - where BAR idx decodes now: 0 if it is not implemented
 * or its decoding (memory or I/O) is off, and on an attached bus also if it
 * was refused (see the header comment). Any thread may call it.
 */
uint64_t pci_bar_address(const struct pci_function *f, int idx);

/*
 * pci_config_read/_write - one config access to bus 0 (for tests too); a
 * write that changes the command register or a BAR maps or unmaps the
 * function's BARs on an attached bus. Reads of absent functions, and of
 * more than 4 bytes or past the end of config space (any offset, overflow
 * checked), are all-ones; such writes are dropped. A zero-length access
 * reads 0 and writes nothing (the device is not told of it).
 */
uint32_t pci_config_read(struct pci_bus *bus, unsigned int slot, unsigned int fn,
			 unsigned int off, unsigned int len);
void pci_config_write(struct pci_bus *bus, unsigned int slot, unsigned int fn,
		      unsigned int off, unsigned int len, uint32_t val);

#endif
