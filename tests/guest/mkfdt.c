/*
 * mkfdt.c - write the device tree kvmini would give a Multiboot guest, so
 * the guest's FDT path can be tried under plain QEMU (as a module).
 *   mkfdt OUT MEM_MIB NCPUS BOOTARGS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdt.h"
#include "guestmem.h"
#include "kvmini_guest_abi.h"

int main(int argc, char **argv)
{
	struct kvmini_error err = { { 0 } };
	struct guest_mem m;
	struct kvfdt_params p;
	unsigned long long mib;
	void *blob;
	size_t len;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: mkfdt OUT MEM_MIB NCPUS BOOTARGS\n");
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
				   KVMINI_DEBUG_EXIT_PORT };
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
