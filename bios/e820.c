/* e820.c - see e820.h. */
#include "bios/e820.h"

#include <errno.h>

#include "bios/layout.h"

static int add(struct boot_e820_entry *tab, unsigned int max, int n,
	       uint64_t addr, uint64_t size, uint32_t type)
{
	if (n < 0 || size == 0)
		return n;
	if ((unsigned int)n >= max)
		return -ENOSPC;
	tab[n].addr = addr;
	tab[n].size = size;
	tab[n].type = type;
	return n + 1;
}

int e820_build(const struct guest_mem *m, struct boot_e820_entry *tab,
	       unsigned int max)
{
	uint64_t low_end = gmem_low_end(m);
	int n = 0;
	unsigned int i;

	n = add(tab, max, n, 0, EBDA_START, E820_RAM);
	n = add(tab, max, n, EBDA_START, HIGH_MEM_START - EBDA_START, E820_RESERVED);
	if (low_end > HIGH_MEM_START)
		n = add(tab, max, n, HIGH_MEM_START, low_end - HIGH_MEM_START, E820_RAM);
	for (i = 1; i < m->nr_regions; i++)
		n = add(tab, max, n, m->region[i].gpa, m->region[i].size, E820_RAM);
	return n;
}
