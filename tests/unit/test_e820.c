/*
 * test_e820.c - the guest memory map for small, exactly-3-GiB and
 * split (above 4 GiB) RAM: order, no overlaps, RAM totals, the PCI hole.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bios/e820.h"
#include "bios/layout.h"

/* Describe size bytes of RAM the way gmem_init() lays it out, without
 * mapping anything: e820_build only reads the region table. */
static void fake_mem(struct guest_mem *m, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	gmem_layout(m, NULL, size);
}

static void check_map(uint64_t size)
{
	struct boot_e820_entry tab[E820_MAX_ENTRIES_ZEROPAGE];
	struct guest_mem m;
	uint64_t ram = 0;
	int n, i;

	fake_mem(&m, size);
	memset(tab, 0, sizeof(tab));
	n = e820_build(&m, tab, E820_MAX_ENTRIES_ZEROPAGE);
	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++) {
		uint64_t a = tab[i].addr, end = tab[i].addr + tab[i].size;

		cr_assert_gt(tab[i].size, 0, "entry %d is empty", i);
		cr_assert(tab[i].type == E820_RAM || tab[i].type == E820_RESERVED);
		if (i > 0)
			cr_assert_geq(a, tab[i - 1].addr + tab[i - 1].size,
				      "entry %d overlaps or is out of order", i);
		if (tab[i].type != E820_RAM)
			continue;
		ram += tab[i].size;
		/* No RAM in the PCI hole, none past the end of guest RAM. */
		cr_assert(end <= GMEM_PCI_HOLE_START || a >= GMEM_HIGH_START,
			  "RAM entry %d [%#llx, %#llx) in the PCI hole", i,
			  (unsigned long long)a, (unsigned long long)end);
		/* Every RAM byte must be inside a region. */
		{
			unsigned int r;
			int inside = 0;

			for (r = 0; r < m.nr_regions; r++)
				if (a >= m.region[r].gpa &&
				    end <= m.region[r].gpa + m.region[r].size)
					inside = 1;
			cr_assert(inside, "RAM entry %d outside guest RAM", i);
		}
		/* Nothing RAM between the EBDA and 1 MiB. */
		cr_assert(end <= EBDA_START || a >= HIGH_MEM_START,
			  "RAM entry %d covers the BIOS area", i);
	}
	cr_assert_eq(ram, size - (HIGH_MEM_START - EBDA_START),
		     "RAM total %#llx for %#llx", (unsigned long long)ram,
		     (unsigned long long)size);
	/* The reserved BIOS area is listed. */
	{
		int found = 0;

		for (i = 0; i < n; i++)
			if (tab[i].type == E820_RESERVED && tab[i].addr <= EBDA_START &&
			    tab[i].addr + tab[i].size >= HIGH_MEM_START)
				found = 1;
		cr_assert(found, "no reserved entry for [EBDA, 1 MiB)");
	}
}

Test(e820, hole_below_1mib_is_385k)
{
	/* 639 KiB of conventional memory: the BIOS area takes the other 385. */
	cr_assert_eq(HIGH_MEM_START - EBDA_START, 385 * KiB);
}

Test(e820, ram_256m)
{
	check_map(256 * MiB);
}

Test(e820, ram_3g)
{
	check_map(3 * GiB);
}

Test(e820, ram_6g)
{
	struct boot_e820_entry tab[8];
	struct guest_mem m;
	int n;

	check_map(6 * GiB);
	fake_mem(&m, 6 * GiB);
	n = e820_build(&m, tab, 8);
	cr_assert_eq(n, 4);
	cr_assert_eq(tab[3].addr, 4 * GiB);
	cr_assert_eq(tab[3].size, 3 * GiB);
	cr_assert_eq(tab[3].type, E820_RAM);
	cr_assert_eq(tab[2].addr + tab[2].size, 3 * GiB);
}

Test(e820, ram_256m_exact_layout)
{
	struct boot_e820_entry tab[8];
	struct guest_mem m;

	fake_mem(&m, 256 * MiB);
	cr_assert_eq(e820_build(&m, tab, 8), 3);
	cr_assert_eq(tab[0].addr, 0);
	cr_assert_eq(tab[0].size, EBDA_START);
	cr_assert_eq(tab[0].type, E820_RAM);
	cr_assert_eq(tab[1].addr, EBDA_START);
	cr_assert_eq(tab[1].type, E820_RESERVED);
	cr_assert_eq(tab[2].addr, HIGH_MEM_START);
	cr_assert_eq(tab[2].addr + tab[2].size, 256 * MiB);
	cr_assert_eq(tab[2].type, E820_RAM);
}

Test(e820, enospc_when_table_too_small)
{
	struct boot_e820_entry tab[4];
	struct guest_mem m;

	fake_mem(&m, 6 * GiB);
	cr_assert_eq(e820_build(&m, tab, 3), -ENOSPC);
	cr_assert_eq(e820_build(&m, tab, 0), -ENOSPC);
	cr_assert_eq(e820_build(&m, tab, 4), 4);
	fake_mem(&m, 256 * MiB);
	cr_assert_eq(e820_build(&m, tab, 2), -ENOSPC);
	cr_assert_eq(e820_build(&m, tab, 3), 3);
}
