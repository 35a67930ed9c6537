/*
 * test_boothandoff.c - the GDT and identity-mapping page tables written
 * for the 64-bit kernel entry.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bios/boothandoff.h"
#include "bios/layout.h"

#define PTE_P  0x001ULL
#define PTE_RW 0x002ULL
#define PTE_PS 0x080ULL
#define ADDR_MASK 0x000ffffffffff000ULL

static uint8_t *ram;
static struct guest_mem mem;

static void setup(void)
{
	ram = malloc(16 * MiB);
	cr_assert_not_null(ram);
	memset(ram, 0xee, 16 * MiB);
	gmem_init_buffer(&mem, ram, 16 * MiB);
}

static void teardown(void)
{
	free(ram);
}

TestSuite(handoff, .init = setup, .fini = teardown);

static uint64_t q(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, ram + gpa, 8);
	return v;
}

Test(handoff, page_tables_identity_map_4g)
{
	uint64_t pml4e, pdpte;
	unsigned int i;

	cr_assert_eq(boot_handoff_write(&mem), 0);
	pml4e = q(BOOT_PML4_ADDR);
	cr_assert_eq(pml4e & ADDR_MASK, BOOT_PDPT_ADDR);
	cr_assert_eq(pml4e & (PTE_P | PTE_RW), PTE_P | PTE_RW);
	for (i = 1; i < 512; i++)
		cr_assert_eq(q(BOOT_PML4_ADDR + 8 * i), 0, "PML4[%u]", i);

	for (i = 0; i < 4; i++) {
		pdpte = q(BOOT_PDPT_ADDR + 8 * i);
		cr_assert_eq(pdpte & ADDR_MASK, BOOT_PD_ADDR + 4096ULL * i, "PDPT[%u]", i);
		cr_assert_eq(pdpte & (PTE_P | PTE_RW | PTE_PS), PTE_P | PTE_RW, "PDPT[%u]", i);
	}
	for (i = 4; i < 512; i++)
		cr_assert_eq(q(BOOT_PDPT_ADDR + 8 * i), 0, "PDPT[%u]", i);

	for (i = 0; i < 4 * 512; i++) {
		uint64_t pde = q(BOOT_PD_ADDR + 8 * i);

		cr_assert_eq(pde & ADDR_MASK, (uint64_t)i << 21, "PD entry %u", i);
		cr_assert_eq(pde & ~ADDR_MASK, PTE_PS | PTE_P | PTE_RW, "PD entry %u flags", i);
	}
}

Test(handoff, walk_translates_addresses)
{
	static const uint64_t va[] = { 0, 0x100000, 0x1234567, 0xfee00000, 0xffffffff };
	unsigned int i;

	cr_assert_eq(boot_handoff_write(&mem), 0);
	for (i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		uint64_t pml4e = q(BOOT_PML4_ADDR + 8 * ((va[i] >> 39) & 511));
		uint64_t pdpte = q((pml4e & ADDR_MASK) + 8 * ((va[i] >> 30) & 511));
		uint64_t pde = q((pdpte & ADDR_MASK) + 8 * ((va[i] >> 21) & 511));
		uint64_t pa = (pde & ADDR_MASK & ~0x1fffffULL) | (va[i] & 0x1fffff);

		cr_assert(pde & PTE_PS);
		cr_assert_eq(pa, va[i], "%#llx -> %#llx", (unsigned long long)va[i],
			     (unsigned long long)pa);
	}
}

Test(handoff, gdt)
{
	cr_assert_eq(boot_handoff_write(&mem), 0);
	cr_assert_eq(memcmp(ram + BOOT_GDT_ADDR, boot_gdt, sizeof(boot_gdt)), 0);
	cr_assert_eq(sizeof(boot_gdt), BOOT_GDT_ENTRIES * 8);
	/* Code at __BOOT_CS: present, executable, long mode (L=1, D=0). */
	cr_assert_eq(boot_gdt[BOOT_CS_SELECTOR / 8] & (1ULL << 47), 1ULL << 47);
	cr_assert_eq(boot_gdt[BOOT_CS_SELECTOR / 8] & (1ULL << 43), 1ULL << 43);
	cr_assert_eq(boot_gdt[BOOT_CS_SELECTOR / 8] & (3ULL << 53), 1ULL << 53);
	/* Data at __BOOT_DS: present, writable, not executable. */
	cr_assert_eq(boot_gdt[BOOT_DS_SELECTOR / 8] & (1ULL << 47), 1ULL << 47);
	cr_assert_eq(boot_gdt[BOOT_DS_SELECTOR / 8] & (1ULL << 43), 0);
	cr_assert_eq(boot_gdt[BOOT_DS_SELECTOR / 8] & (1ULL << 41), 1ULL << 41);
	cr_assert_eq(boot_gdt[0], 0);
}

Test(handoff, leaves_other_memory_alone)
{
	cr_assert_eq(boot_handoff_write(&mem), 0);
	cr_assert_eq(ram[BOOT_GDT_ADDR - 1], 0xee);
	cr_assert_eq(ram[BOOT_GDT_ADDR + sizeof(boot_gdt)], 0xee);
	cr_assert_eq(ram[BOOT_PD_ADDR + 4 * 4096], 0xee);
	cr_assert_eq(ram[BOOT_ZEROPAGE_ADDR], 0xee);
}

Test(handoff, small_ram_fails)
{
	static uint8_t small[32 * 1024];
	struct guest_mem m;

	gmem_init_buffer(&m, small, sizeof(small));
	cr_assert_eq(boot_handoff_write(&m), -EFAULT);
	/* Page tables need up to the end of the last page directory. */
	gmem_init_buffer(&m, ram, BOOT_PD_ADDR + 4 * 4096 - 1);
	cr_assert_eq(boot_handoff_write(&m), -EFAULT);
	gmem_init_buffer(&m, ram, BOOT_PD_ADDR + 4 * 4096);
	cr_assert_eq(boot_handoff_write(&m), 0);
}
