/*
 * mm.c - memory for workload buffers. Physical memory comes from a bump
 * allocator over the largest usable RAM range below 4 GiB past the image
 * and boot modules; frees are last-in first-out. Each buffer is mapped at
 * its own 512 GiB slot of the address space (one PML4 entry, from slot 1)
 * with the page size the caller asked for, in page tables built here; the
 * boot identity map (slot 0) is left alone. Drivers take their rings and
 * buffers from the top of the same range (never freed), and may ask for
 * device registers to be mapped uncached in slot 0.
 */
#include "platform.h"
#include "runtime.h"
#include "x86.h"

#define PAGE     4096ull
#define PTE_P    0x001ull
#define PTE_W    0x002ull
#define PTE_PWT  0x008ull
#define PTE_PCD  0x010ull
#define PTE_PS   0x080ull
#define BIG_PAGE (2ull << 20)
#define GIG      (1ull << 30)
#define IO_LIMIT (512ull << 30)   /* what slot 0 covers */
#define ADDR_MASK 0x000ffffffffff000ull
#define SLOT_SIZE (512ull << 30)
#define MAX_SLOTS 64

extern uint64_t boot_pml4[512];

static uint64_t phys_start, phys_cur, phys_end;
static unsigned int depth;   /* buffers alive = slots in use */

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

void mm_init(const struct boot_info *bi)
{
	uint64_t floor = align_up(bi->reserved_end > (1ull << 20) ? bi->reserved_end
								  : (1ull << 20), PAGE);
	unsigned int i;

	for (i = 0; i < bi->nr_ram; i++) {
		uint64_t s = bi->ram[i].start, e = bi->ram[i].end;

		if (e > (4ull << 30))
			e = 4ull << 30;
		if (s < floor)
			s = floor;
		s = align_up(s, PAGE);
		e &= ~(PAGE - 1);
		if (e > s && e - s > phys_end - phys_start) {
			phys_start = s;
			phys_end = e;
		}
	}
	phys_cur = phys_start;
}

uint64_t mm_free_bytes(void)
{
	return phys_end - phys_cur;
}

int mm_has_1g_pages(void)
{
	uint32_t r[4];

	cpuid(0x80000000u, 0, r);
	if (r[0] < 0x80000001u)
		return 0;
	cpuid(0x80000001u, 0, r);
	return !!(r[3] & (1u << 26));
}

static int phys_alloc(uint64_t size, uint64_t align, uint64_t *pa)
{
	uint64_t a = align_up(phys_cur, align);

	if (a < phys_cur || a > phys_end || size > phys_end - a)
		return -PLAT_ENOMEM;
	*pa = a;
	phys_cur = a + size;
	return 0;
}

/* A zeroed page-table page (identity-mapped: below 4 GiB). */
static uint64_t *table_alloc(void)
{
	uint64_t pa;

	if (phys_alloc(PAGE, PAGE, &pa))
		return 0;
	memset((void *)(uintptr_t)pa, 0, PAGE);
	return (uint64_t *)(uintptr_t)pa;
}

/* The table an entry points to, created if absent. */
static uint64_t *next_table(uint64_t *entry)
{
	uint64_t *t;

	if (*entry & PTE_P)
		return (uint64_t *)(uintptr_t)(*entry & ADDR_MASK);
	t = table_alloc();
	if (t)
		*entry = (uint64_t)(uintptr_t)t | PTE_P | PTE_W;
	return t;
}

static int map_range(uint64_t *pdpt, uint64_t off, uint64_t pa, uint64_t size,
		     uint64_t page)
{
	uint64_t done;

	if (page != PAGE && page != BIG_PAGE && page != GIG)
		return -PLAT_EINVAL;
	for (done = 0; done < size; done += page) {
		uint64_t va = off + done, *t = pdpt;
		unsigned int shift = 30;   /* the PDPT maps 1 GiB an entry */

		/* Walk down (making tables) to the level whose entry maps page. */
		while ((1ull << shift) != page) {
			t = next_table(&t[(va >> shift) & 511]);
			if (!t)
				return -PLAT_ENOMEM;
			shift -= 9;
		}
		t[(va >> shift) & 511] = (pa + done) | PTE_P | PTE_W | (shift > 12 ? PTE_PS : 0);
	}
	return 0;
}

int plat_buf_alloc(size_t size, size_t page_size, struct plat_buf *b)
{
	uint64_t len, pa, mark = phys_cur, *pdpt;
	unsigned int slot = depth + 1;
	int r;

	b->how = 0;
	if (page_size != PAGE && page_size != BIG_PAGE && page_size != GIG)
		return -PLAT_EINVAL;
	if (page_size == GIG && !mm_has_1g_pages()) {
		b->how = "cpu-lacks-pdpe1gb";
		return -PLAT_EUNSUPPORTED;
	}
	len = align_up(size ? size : 1, page_size);
	if (len > SLOT_SIZE || slot >= MAX_SLOTS)
		return -PLAT_ENOMEM;
	pdpt = table_alloc();
	r = pdpt ? phys_alloc(len, page_size, &pa) : -PLAT_ENOMEM;
	if (!r)
		r = map_range(pdpt, 0, pa, len, page_size);
	if (r) {
		phys_cur = mark;
		/*
		 * 1 GiB pages need GiB-aligned physical memory in the one RAM
		 * range below 4 GiB: a small guest cannot have them at all.
		 */
		if (page_size == GIG) {
			b->how = "no-free-1g-aligned-guest-ram";
			return -PLAT_EUNSUPPORTED;
		}
		b->how = "not-enough-free-guest-ram";
		return r;
	}
	boot_pml4[slot] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_W;
	write_cr3(read_cr3());
	depth = slot;
	b->ptr = (void *)(uintptr_t)(slot * SLOT_SIZE);
	b->size = (size_t)len;
	b->page_size = page_size;
	b->how = page_size == PAGE ? "pt-4k" : page_size == BIG_PAGE ? "pt-2m" : "pt-1g";
	b->priv[0] = mark;
	b->priv[1] = slot;
	return 0;
}

void plat_buf_free(struct plat_buf *b)
{
	if (!b->ptr || b->priv[1] != depth)
		return;   /* not the most recent buffer: keep it */
	boot_pml4[depth] = 0;
	write_cr3(read_cr3());
	phys_cur = b->priv[0];
	depth--;
	b->ptr = 0;
}

void *mm_dma_alloc(uint64_t size, uint64_t align)
{
	uint64_t a;

	if (!size || !align || (align & (align - 1)) || align > BIG_PAGE ||
	    size > phys_end - phys_cur)
		return 0;
	a = (phys_end - size) & ~(align - 1);
	if (a < phys_cur)
		return 0;
	phys_end = a;
	memset((void *)(uintptr_t)a, 0, size);
	return (void *)(uintptr_t)a;
}

int mm_virt_to_phys(const void *va, uint64_t *pa, uint64_t *contig)
{
	static const unsigned int shift[4] = { 39, 30, 21, 12 };
	uint64_t v = (uint64_t)(uintptr_t)va;
	const uint64_t *t = boot_pml4;
	unsigned int level;

	if (v >> 47)
		return -PLAT_EINVAL;
	for (level = 0; level < 4; level++) {
		uint64_t e = t[(v >> shift[level]) & 511];

		if (!(e & PTE_P))
			return -PLAT_EINVAL;
		if (level == 3 || (level > 0 && (e & PTE_PS))) {
			uint64_t page = 1ull << shift[level], off = v & (page - 1);

			*pa = (e & ADDR_MASK & ~(page - 1)) + off;
			*contig = page - off;
			return 0;
		}
		t = (const uint64_t *)(uintptr_t)(e & ADDR_MASK);
	}
	return -PLAT_EINVAL;
}

/* A page directory identity-mapping the GiB at base with uncached 2 MiB pages. */
static uint64_t *io_directory(uint64_t base)
{
	uint64_t *pd = mm_dma_alloc(PAGE, PAGE);
	unsigned int i;

	if (pd)
		for (i = 0; i < 512; i++)
			pd[i] = (base + i * BIG_PAGE) | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT;
	return pd;
}

int mm_map_io(uint64_t pa, uint64_t size)
{
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(boot_pml4[0] & ADDR_MASK), a;

	if (!size || pa + size < pa || pa + size > IO_LIMIT)
		return -PLAT_EINVAL;
	for (a = pa & ~(BIG_PAGE - 1); a < pa + size; a += BIG_PAGE) {
		uint64_t *e = &pdpt[(a >> 30) & 511], *pd;

		if (!(*e & PTE_P)) {
			pd = io_directory(a & ~(GIG - 1));
			if (!pd)
				return -PLAT_ENOMEM;
			*e = (uint64_t)(uintptr_t)pd | PTE_P | PTE_W;
		}
		pd = (uint64_t *)(uintptr_t)(*e & ADDR_MASK);
		pd[(a >> 21) & 511] |= PTE_PCD | PTE_PWT;
	}
	write_cr3(read_cr3());
	return 0;
}
