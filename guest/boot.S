/*
 * boot.S - Multiboot 1 header, the 32-bit entry, the switch to long mode
 * and the interrupt entry stubs.
 *
 * The loader enters mb_entry32 in 32-bit protected mode with paging off,
 * EAX = 0x2BADB002 and EBX = the Multiboot information address. We build
 * page tables identity-mapping the first 4 GiB with 2 MiB pages (the top
 * GiB, where devices live, uncached), enable PAE, long mode, paging and
 * SSE, load our own GDT and call guest_start(magic, info) in 64-bit mode.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00010003  /* page-align modules, memory info, addresses */

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header          /* header_addr */
	.long __image_start      /* load_addr */
	.long __data_end         /* load_end_addr */
	.long __image_end        /* bss_end_addr */
	.long mb_entry32         /* entry_addr */

	.section .text.boot, "ax"
	.code32
	.globl mb_entry32
mb_entry32:
	cli
	cld
	movl %eax, %edi
	movl %ebx, %esi
	movl $boot_stack_top, %esp

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories. */
	movl $boot_pdpt, %eax
	orl $3, %eax
	movl %eax, boot_pml4
	movl $boot_pd, %eax
	orl $3, %eax
	movl $boot_pdpt, %edx
	movl $4, %ecx
1:	movl %eax, (%edx)
	addl $4096, %eax
	addl $8, %edx
	loop 1b

	/* 2048 entries of 2 MiB: present, writable, large. */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	cmpl $1536, %ecx
	jb 3f
	orl $0x18, %eax          /* from 3 GiB: PWT | PCD */
3:	movl %eax, boot_pd(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	movl %cr4, %eax
	orl $0x620, %eax         /* PAE, OSFXSR, OSXMMEXCPT */
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx   /* EFER */
	rdmsr
	orl $0x100, %eax         /* LME */
	wrmsr
	movl %cr0, %eax
	andl $~0x4, %eax         /* no x87 emulation */
	orl $0x80000023, %eax    /* PG, NE, MP, PE */
	movl %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x08, $entry64

	.code64
entry64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	movl %edi, %edi
	movl %esi, %esi
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	fninit
	call guest_start
4:	cli
	hlt
	jmp 4b

/* One 16-byte stub per vector: push a zero error code where the CPU does
 * not push one, push the vector number, go to the common path. */
	.text
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call isr_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

	.section .rodata
	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff   /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff   /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.section .bss
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096
	.balign 16
boot_stack:	.skip 65536
boot_stack_top:
	.section .note.GNU-stack, "", @progbits
