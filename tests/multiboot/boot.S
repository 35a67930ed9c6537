/*
 * boot.S - the Multiboot 1 header and 32-bit entry of mb32.elf, a
 * standard higher-half ELF32 kernel (the way GRUB's test kernels and real
 * higher-half kernels start).
 *
 * The kernel is linked at 0xC0100000 and loaded at 0x100000 (mb32.ld). The
 * loader enters _start at its PHYSICAL address, in 32-bit protected mode
 * with paging off, EAX = 0x2BADB002 and EBX = the Multiboot information.
 * Until paging is on, every symbol is reached through PHYS(); the code
 * records what it was entered with (EAX, EBX, the address it runs at,
 * CR0), builds a page directory of 4 MiB pages (PSE) mapping the first
 * GiB both at 0 and at 0xC0000000, turns paging on, jumps to its linked
 * (virtual) addresses, drops the identity half and calls mb32_main() in
 * mb32.c, which from then on reaches the boot information through the
 * high mapping only.
 */
#define KERNEL_VMA  0xC0000000
#define PHYS(x)     ((x) - KERNEL_VMA)

#define MB_MAGIC    0x1BADB002
/* Bit 0: modules page-aligned; bit 1: memory information. Not bit 16 (the
 * a.out kludge): the loader must use the ELF program headers. */
#define MB_FLAGS    0x00000003

#define MAP_PDES    256          /* 256 x 4 MiB = the first GiB */
#define PDE_4M      0x83         /* present, writable, page size (4 MiB) */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, PHYS(mb32_boot_eax)
	movl %ebx, PHYS(mb32_boot_ebx)
	movl $PHYS(boot_stack_top), %esp
	call mb32_here
	.globl mb32_here
mb32_here:
	popl %eax                   /* the address mb32_here runs at */
	movl %eax, PHYS(mb32_boot_eip)
	movl %cr0, %eax
	movl %eax, PHYS(mb32_boot_cr0)

	/* The page directory: zero it, then PD[i] and PD[768 + i] map the
	 * 4 MiB at i * 4 MiB, for the first GiB. */
	movl $PHYS(boot_pd), %edi
	xorl %eax, %eax
	movl $1024, %ecx
	rep stosl
	movl $PHYS(boot_pd), %edi
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $22, %eax
	orl $PDE_4M, %eax
	movl %eax, (%edi,%ecx,4)
	movl %eax, (KERNEL_VMA >> 22) * 4(%edi,%ecx,4)
	incl %ecx
	cmpl $MAP_PDES, %ecx
	jb 1b

	movl %cr4, %eax
	orl $0x10, %eax             /* PSE */
	movl %eax, %cr4
	movl $PHYS(boot_pd), %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $0x80000001, %eax       /* PG | PE */
	movl %eax, %cr0
	movl $higher_half, %eax     /* a linked, virtual address */
	jmp *%eax

	.text
higher_half:
	movl $boot_stack_top, %esp
	/* Only the high mapping from here on: a stray physical address would
	 * now fault (and, with no IDT, stop the VM). */
	movl $boot_pd, %edi
	xorl %eax, %eax
	movl $MAP_PDES, %ecx
	rep stosl
	movl %cr3, %eax
	movl %eax, %cr3
	call mb32_main
2:	cli
	hlt
	jmp 2b

	.data
	.balign 4
	.globl mb32_boot_eax, mb32_boot_ebx, mb32_boot_eip, mb32_boot_cr0
mb32_boot_eax: .long 0
mb32_boot_ebx: .long 0
mb32_boot_eip: .long 0
mb32_boot_cr0: .long 0

	.bss
	.balign 4096
boot_pd:
	.skip 4096
	.balign 16
boot_stack:
	.skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
