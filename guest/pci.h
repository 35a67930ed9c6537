/*
 * pci.h - PCI bus 0 for the guest's drivers: configuration space through
 * mechanism #1 (ports 0xcf8/0xcfc), a search for a function by ID (among
 * the functions the device tree lists, or else a scan of bus 0), the
 * capability list and base address registers. Guest-only.
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdint.h>

#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_CAP_PTR        0x34

#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_OFF 0x0400
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_NUM_BARS       6
#define PCI_MAX_LISTED     32   /* functions pci_use_list keeps */

/* One function on bus 0. */
struct pci_dev {
	uint8_t slot, fn;
	uint16_t vendor, device;
};

/* A decoded base address register. */
struct pci_bar {
	uint64_t addr;      /* bus address (0: not assigned) */
	uint64_t size;      /* bytes decoded (0: no such BAR) */
	int io;             /* an I/O-port BAR */
	int is64;           /* a 64-bit memory BAR (takes two registers) */
};

/* pci_read8/16/32 - read configuration space at off (naturally aligned). */
uint8_t pci_read8(const struct pci_dev *d, unsigned int off);
uint16_t pci_read16(const struct pci_dev *d, unsigned int off);
uint32_t pci_read32(const struct pci_dev *d, unsigned int off);

/* pci_write16/32 - write configuration space at off (naturally aligned). */
void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v);
void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v);

/*
 * pci_use_list - search only these n functions from now on (the device
 * tree's /pci children), rather than scanning bus 0. Each is checked first:
 * one whose configuration space does not hold the listed vendor and device
 * IDs is left out with a console line. Keeps at most PCI_MAX_LISTED.
 * Returns how many were kept.
 */
unsigned int pci_use_list(const struct pci_dev *list, unsigned int n);

/*
 * pci_match_fn - decides whether a function is wanted; ctx is passed on.
 * pci_find - fill *d with the skip+1'th function match accepts: among the
 * functions given to pci_use_list, in their order, or without such a list
 * by a scan of bus 0 (every slot, and functions 1-7 of multi-function
 * devices). Returns 0, or -1 when there is none.
 */
typedef int (*pci_match_fn)(const struct pci_dev *d, void *ctx);
int pci_find(pci_match_fn match, void *ctx, unsigned int skip, struct pci_dev *d);

/*
 * pci_cap_next - the configuration offset of the first capability with ID
 * id after offset after (0 to start at the list head), or 0 when there is
 * none. The walk is bounded, so a looped list ends.
 */
unsigned int pci_cap_next(const struct pci_dev *d, uint8_t id, unsigned int after);

/*
 * pci_bar_decode - address, size and kind of BAR idx (sized by writing all
 * ones with decoding turned off, then restored). idx names the BAR's first
 * register. Returns 0, or -1 for a bad index (a 64-bit BAR in the last one).
 */
int pci_bar_decode(const struct pci_dev *d, unsigned int idx, struct pci_bar *bar);

/* pci_enable - set bits (PCI_COMMAND_*) in the command register. */
void pci_enable(const struct pci_dev *d, uint16_t bits);

#endif
