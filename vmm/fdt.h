/*
 * fdt.h - build the flattened device tree kvmini hands a Multiboot guest
 * as a module (layout: include/kvmini_guest_abi.h), with libfdt's
 * sequential-write API. Link with -lfdt.
 */
/* libfdt.h includes <fdt.h>, which the -Ivmm search path resolves to this
 * file: hand that on to libfdt's own fdt.h (it has its own guard). */
#include <libfdt_env.h>
#include_next <fdt.h>

#ifndef KVMINI_FDT_H
#define KVMINI_FDT_H

#include <stddef.h>
#include <stdint.h>

#include "base/guestmem.h"

struct pci_bus;

/* Most functions /pci may list: one per device number, 8 functions each. */
#define KVFDT_MAX_PCI_FNS 256

/* One function on PCI bus 0 (not the host bridge): a child of /pci. */
struct kvfdt_pci_fn {
	uint8_t slot;                 /* device number, 0-31 */
	uint8_t fn;                   /* function number, 0-7 */
	uint16_t vendor, device;      /* its configuration space IDs */
	uint32_t class_code;          /* base << 16 | sub << 8 | prog-if */
};

/*
 * kvmini's PCI host bridge, for /pci (binding "kvmini,pci-cam"): bus 0
 * through configuration mechanism #1, BARs in a 32-bit MMIO window.
 */
struct kvfdt_pci {
	uint16_t config_port;         /* first of the 8 ports (0xcf8) */
	uint64_t mmio_base, mmio_size;  /* the window the BARs are placed in */
	const struct kvfdt_pci_fn *fns;  /* in slot order; NULL if nfns is 0 */
	unsigned int nfns;            /* 0 to KVFDT_MAX_PCI_FNS */
};

/* What goes into the tree. */
struct kvfdt_params {
	const struct guest_mem *mem;  /* /memory@0 reg: one pair per region */
	const char *cmdline;          /* /chosen bootargs; NULL for "" */
	unsigned int ncpus;           /* /cpus/cpu@0 .. cpu@N-1 (1 to KVMINI_MAX_CPUS) */
	uint16_t exit_port;           /* /kvmini exit-port (isa-debug-exit) */
	const struct kvfdt_pci *pci;  /* /pci and its children; NULL: no /pci node */
};

/*
 * kvfdt_build - build the tree (layout, /pci included when p->pci is set:
 * include/kvmini_guest_abi.h). On success returns 0 and sets *blob to a
 * malloc'd FDT of *size bytes (free() it). Returns -EINVAL for bad params
 * (including a PCI function out of range or listed twice, or a window not
 * below 4 GiB), -ENOMEM, or -EIO if libfdt refuses, with err filled.
 */
int kvfdt_build(const struct kvfdt_params *p, void **blob, size_t *size,
		struct kvmini_error *err) MUST_CHECK;

/*
 * kvfdt_describe_pci - fill *pci from bus: its configuration port and MMIO
 * window, and in fns (room for max) function 0 of every occupied slot but
 * the host bridge's, with the IDs and class in its configuration space.
 * Call before any vCPU runs (the bus is read without its lock).
 */
void kvfdt_describe_pci(const struct pci_bus *bus, struct kvfdt_pci_fn *fns, unsigned int max,
			struct kvfdt_pci *pci);

#endif
