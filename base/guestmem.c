/* guestmem.c - see guestmem.h. */
#include "base/guestmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define THP_SIZE (2 * MiB)

/* Anonymous memory whose start is 2 MiB aligned, so THP can back all of it. */
static void *map_aligned(size_t size)
{
	size_t slack = THP_SIZE;
	uint8_t *p, *a;

	p = mmap(NULL, size + slack, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return p;
	a = (uint8_t *)ALIGN_UP((uintptr_t)p, THP_SIZE);
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + size < p + size + slack)
		munmap(a + size, (size_t)(p + size + slack - (a + size)));
	return a;
}

void gmem_layout(struct guest_mem *m, void *host, uint64_t size)
{
	uint64_t low = size < GMEM_PCI_HOLE_START ? size : GMEM_PCI_HOLE_START;

	m->ram_size = size;
	m->region[0] = (struct gmem_region){ .gpa = 0, .size = low, .host = host };
	m->nr_regions = 1;
	if (size > low) {
		m->region[1] = (struct gmem_region){
			.gpa = GMEM_HIGH_START, .size = size - low,
			.host = host ? (uint8_t *)host + low : NULL };
		m->nr_regions = 2;
	}
}

int gmem_init(struct guest_mem *m, uint64_t size, enum kvmini_pages pages,
	      struct kvmini_error *err)
{
	void *p;

	memset(m, 0, sizeof(*m));
	size = ALIGN_UP(size, THP_SIZE);
	if (pages == KVMINI_PAGES_HUGETLB)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_HUGETLB, -1, 0);
	else
		p = map_aligned(size);
	if (p == MAP_FAILED)
		return set_err(err, errno, "cannot map %llu MiB of guest RAM%s: %s",
			       (unsigned long long)(size / MiB),
			       pages == KVMINI_PAGES_HUGETLB ?
			       " with huge pages (is vm.nr_hugepages large enough?)" : "",
			       strerror(errno));
	if (pages == KVMINI_PAGES_THP)
		madvise(p, size, MADV_HUGEPAGE);
	else if (pages == KVMINI_PAGES_SMALL)
		madvise(p, size, MADV_NOHUGEPAGE);
	madvise(p, size, MADV_DONTDUMP);
	m->mapping = p;
	m->mapping_size = size;
	m->pages = pages;

	gmem_layout(m, p, size);
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
