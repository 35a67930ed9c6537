/* guestmem.c - see guestmem.h. */
#include "guestmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int gmem_init(struct guest_mem *m, uint64_t size, int hugepages,
	      struct kvmini_error *err)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint64_t low;
	void *p;

	memset(m, 0, sizeof(*m));
	if (hugepages == 1) {
		size = ALIGN_UP(size, 2 * MiB);
		flags |= MAP_HUGETLB;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return set_err(err, errno, "cannot map %llu MiB of guest RAM%s: %s",
			       (unsigned long long)(size / MiB),
			       hugepages == 1 ? " with huge pages (is vm.nr_hugepages large enough?)" : "",
			       strerror(errno));
	if (hugepages == 2)
		madvise(p, size, MADV_HUGEPAGE);
	madvise(p, size, MADV_DONTDUMP);
	m->mapping = p;
	m->mapping_size = size;
	m->ram_size = size;
	m->hugepages = hugepages;

	low = size < GMEM_PCI_HOLE_START ? size : GMEM_PCI_HOLE_START;
	m->region[0] = (struct gmem_region){ .gpa = 0, .size = low, .host = p };
	m->nr_regions = 1;
	if (size > low) {
		m->region[1] = (struct gmem_region){
			.gpa = GMEM_HIGH_START, .size = size - low,
			.host = (uint8_t *)p + low };
		m->nr_regions = 2;
	}
	return 0;
}

void gmem_init_buffer(struct guest_mem *m, void *buf, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	m->region[0] = (struct gmem_region){ .gpa = 0, .size = size, .host = buf };
	m->nr_regions = 1;
	m->ram_size = size;
}

void gmem_destroy(struct guest_mem *m)
{
	if (m->mapping)
		munmap(m->mapping, m->mapping_size);
	memset(m, 0, sizeof(*m));
}

void *gmem_ptr(const struct guest_mem *m, gpa_t gpa, uint64_t len)
{
	uint64_t end;
	unsigned int i;

	if (len == 0)
		len = 1;
	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	for (i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->region[i];

		if (gpa >= r->gpa && end <= r->gpa + r->size)
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

gpa_t gmem_low_end(const struct guest_mem *m)
{
	return m->region[0].gpa + m->region[0].size;
}
