/*
 * note.S - the ELF note that marks this kernel as kvmini's own test guest,
 * the Multiboot kernel that boots with the flattened device tree module
 * (vmm/multiboot.h: KVMINI_NOTE_NAME, KVMINI_NOTE_TYPE_FDT; kvmini looks for
 * it with multiboot_wants_fdt()). Other kernels get no such module.
 *
 * The standard note layout, in a PT_NOTE program header (guest/guest.ld):
 * namesz, descsz and type as 4-byte words, then the name with its NUL and
 * the desc, each padded to 4 bytes. The desc ("fdt") is informative only.
 */
#define KVMINI_NOTE_TYPE_FDT 1

	.section .note.kvmini, "a", @note
	.balign 4
	.long 2f - 1f            /* namesz: "kvmini" and its NUL, 7 */
	.long 4f - 3f            /* descsz */
	.long KVMINI_NOTE_TYPE_FDT
1:	.asciz "kvmini"
2:	.balign 4
3:	.asciz "fdt"
4:	.balign 4

	.section .note.GNU-stack, "", @progbits
