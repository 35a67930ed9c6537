/*
 * guestmem.h - guest RAM: one host mapping split into at most two
 * guest-physical regions (below the PCI hole and above 4 GiB), and the one
 * checked translation from guest-physical address to host pointer.
 */
#ifndef KVMINI_GUESTMEM_H
#define KVMINI_GUESTMEM_H

#include <stdint.h>

#include "base/util.h"

/* Where low RAM stops when the guest has more RAM than fits below it. */
#define GMEM_PCI_HOLE_START (3ULL * GiB)
#define GMEM_HIGH_START     (4ULL * GiB)

struct gmem_region {
	gpa_t gpa;       /* first guest-physical address */
	uint64_t size;   /* bytes */
	uint8_t *host;   /* host address of gpa */
};

struct guest_mem {
	struct gmem_region region[2];
	unsigned int nr_regions;
	uint64_t ram_size;   /* total RAM, both regions */
	void *mapping;       /* the single host mapping */
	size_t mapping_size;
	enum kvmini_pages pages;  /* what backs it */
};

/*
 * gmem_init - map size bytes of anonymous memory and lay it out below the
 * PCI hole and, for what does not fit, from 4 GiB up. pages says what backs
 * it; MAP_HUGETLB fails if the huge page pool is too small.
 */
int gmem_init(struct guest_mem *m, uint64_t size, enum kvmini_pages pages,
	      struct kvmini_error *err) MUST_CHECK;

/*
 * gmem_layout - lay size bytes out as gmem_init() does (below the PCI hole,
 * the rest from 4 GiB), with host as the host address of guest address 0
 * (NULL: describe the layout only, as the firmware-table tests do).
 */
void gmem_layout(struct guest_mem *m, void *host, uint64_t size);

/*
 * gmem_init_buffer - describe a caller-owned buffer as low RAM at gpa 0
 * (used by tests and tools that build images without KVM).
 */
void gmem_init_buffer(struct guest_mem *m, void *buf, uint64_t size);

/* gmem_destroy - unmap what gmem_init() mapped. */
void gmem_destroy(struct guest_mem *m);

/*
 * gmem_ptr - host pointer for [gpa, gpa+len) if the whole range lies inside
 * one RAM region, else NULL. Overflow-safe; len 0 is checked as len 1.
 */
void *gmem_ptr(const struct guest_mem *m, gpa_t gpa, uint64_t len);

/* gmem_low_end - first address past RAM below 4 GiB. */
gpa_t gmem_low_end(const struct guest_mem *m);

#endif
