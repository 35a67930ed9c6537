/*
 * mkfdt.c - write the device tree kvmini would give a Multiboot guest, so
 * the guest's FDT path can be tried under plain QEMU (as a module).
 *   mkfdt OUT MEM_MIB NCPUS BOOTARGS [--pci [SLOT:VENDOR:DEVICE]...]
 * With --pci the tree has kvmini's /pci node (configuration mechanism #1,
 * kvmini's MMIO window) listing the functions given (hex, function 0 of
 * each slot), e.g. where QEMU put its devices: --pci 5:1af4:1042.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/fdt.h"
#include "base/guestmem.h"
#include "kvmini_guest_abi.h"
#include "bios/layout.h"
#include "devices/pci.h"

#define USAGE "usage: mkfdt OUT MEM_MIB NCPUS BOOTARGS [--pci [SLOT:VENDOR:DEVICE]...]\n"

/* "5:1af4:1042" -> function 0 of slot 5 with those IDs. Returns 0 or -1. */
static int parse_fn(const char *s, struct kvfdt_pci_fn *f)
{
	unsigned int slot, vendor, device;
	int end = 0;

	if (sscanf(s, "%x:%x:%x%n", &slot, &vendor, &device, &end) != 3 || s[end] ||
	    vendor > 0xffff || device > 0xffff || slot > 0xff)
		return -1;
	*f = (struct kvfdt_pci_fn){ .slot = (uint8_t)slot, .vendor = (uint16_t)vendor,
				    .device = (uint16_t)device };
	return 0;
}

int main(int argc, char **argv)
{
	struct kvmini_error err = { .msg = "" };
	struct kvfdt_pci_fn fns[32];
	struct kvfdt_pci pci = { .config_port = PCI_CONFIG_ADDR_PORT, .mmio_base = PCI_MMIO_BASE,
				 .mmio_size = PCI_MMIO_END - PCI_MMIO_BASE, .fns = fns };
	struct guest_mem m;
	struct kvfdt_params p;
	unsigned long long mib;
	void *blob;
	size_t len;
	FILE *f;
	int i;

	if (argc < 5 || (argc > 5 && strcmp(argv[5], "--pci")) ||
	    argc - 6 > (int)(sizeof(fns) / sizeof(fns[0]))) {
		fprintf(stderr, USAGE);
		return 2;
	}
	for (i = 6; i < argc; i++)
		if (parse_fn(argv[i], &fns[pci.nfns++])) {
			fprintf(stderr, "mkfdt: '%s': expected SLOT:VENDOR:DEVICE in hex\n" USAGE,
				argv[i]);
			return 2;
		}
	mib = strtoull(argv[2], NULL, 0);
	memset(&m, 0, sizeof(m));
	m.ram_size = mib * MiB;
	m.region[0].size = m.ram_size < GMEM_PCI_HOLE_START ? m.ram_size : GMEM_PCI_HOLE_START;
	m.nr_regions = 1;
	if (m.ram_size > m.region[0].size) {
		m.region[1].gpa = GMEM_HIGH_START;
		m.region[1].size = m.ram_size - m.region[0].size;
		m.nr_regions = 2;
	}
	p = (struct kvfdt_params){ &m, argv[4], (unsigned int)strtoul(argv[3], NULL, 0),
				   KVMINI_DEBUG_EXIT_PORT, argc > 5 ? &pci : NULL };
	if (kvfdt_build(&p, &blob, &len, &err)) {
		fprintf(stderr, "mkfdt: %s\n", err.msg);
		return 1;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(blob, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "mkfdt: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	free(blob);
	return 0;
}
