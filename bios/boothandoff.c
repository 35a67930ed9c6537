/* boothandoff.c - see boothandoff.h. */
#include "bios/boothandoff.h"

#include <errno.h>
#include <string.h>

#include "bios/layout.h"

#define PTE_P   0x001ULL
#define PTE_RW  0x002ULL
#define PTE_PS  0x080ULL

const uint64_t boot_gdt[BOOT_GDT_ENTRIES] = {
	0,
	0,
	0x00af9b000000ffffULL,  /* code: present, DPL0, exec/read, L=1, G=1 */
	0x00cf93000000ffffULL,  /* data: present, DPL0, read/write, D/B=1, G=1 */
};

int boot_handoff_write(struct guest_mem *m)
{
	uint64_t *gdt = gmem_ptr(m, BOOT_GDT_ADDR, sizeof(boot_gdt));
	uint64_t *pml4 = gmem_ptr(m, BOOT_PML4_ADDR, 4096);
	uint64_t *pdpt = gmem_ptr(m, BOOT_PDPT_ADDR, 4096);
	uint64_t *pd = gmem_ptr(m, BOOT_PD_ADDR, 4 * 4096);
	unsigned int i;

	if (!gdt || !pml4 || !pdpt || !pd)
		return -EFAULT;
	memcpy(gdt, boot_gdt, sizeof(boot_gdt));
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_ADDR | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * 4096ULL) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}
