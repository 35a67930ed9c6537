/*
 * multiboot.h - load a Multiboot 1 kernel as a boot loader (GRUB, QEMU's
 * -kernel) loads it: the guest/ test guest, or any kernel with a Multiboot
 * header.
 *
 * Formats, chosen as GRUB chooses them:
 *   - the a.out kludge: header flag bit 16 (MB_FLAG_AOUT_KLUDGE) set, the
 *     header's address fields say what to load where; it takes precedence
 *     over an ELF file's program headers (guest/ is such an ELF64 file);
 *   - ELF32 (ELFCLASS32, EM_386 or EM_X86_64) and ELF64 (ELFCLASS64,
 *     EM_X86_64) little-endian executables: every PT_LOAD segment is loaded
 *     at its physical address p_paddr (file bytes, then p_memsz - p_filesz
 *     zero bytes), and the entry is e_entry translated from virtual to
 *     physical through the PT_LOAD segment whose [p_vaddr, p_vaddr +
 *     p_memsz) holds it: p_paddr + (e_entry - p_vaddr). So a higher-half
 *     kernel (linked at 0xC0100000, loaded at 0x100000) is entered at its
 *     physical entry, as GRUB enters it.
 *
 * The vCPU then starts in 32-bit protected mode, paging off, with flat
 * 4 GiB code and data segments, EIP = boot->entry, EAX = MB_BOOT_MAGIC and
 * EBX = boot->info (see include/kvmini_guest_abi.h).
 *
 * The Multiboot information (struct mb_info) carries mem_lower/mem_upper,
 * the memory map (the e820 map of the guest's RAM), the command line, the
 * boot loader name "kvmini" and the modules, in the order given: each an
 * initrd (string: its file name) or, for kvmini's own guest only, the
 * flattened device tree (string "fdt").
 *
 * Guest-physical memory used:
 *   MB_CMDLINE_ADDR   the command line
 *   MB_INFO_ADDR      the info, the memory map, the loader name, the module
 *                     list and the module strings (MB_INFO_MAX bytes)
 *   MB_FDT_ADDR       the FDT module, with room up to MB_FDT_MAX reserved so
 *                     that multiboot_replace_fdt() can grow it
 *   from 1 MiB        the kernel, at the addresses it asks for
 *   after the kernel  the other modules, each page-aligned, in order: from
 *                     the first page past the kernel's end or, when they do
 *                     not fit there below the end of low RAM, from 1 MiB up
 *                     to the kernel's start
 */
#ifndef KVMINI_MULTIBOOT_H
#define KVMINI_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "base/guestmem.h"
#include "bios/layout.h"
#include "kvmini_guest_abi.h"

/* Where the loader puts its boot data (below 1 MiB, clear of layout.h). */
#define MB_INFO_ADDR   0x00030000ULL  /* info, mmap, module list, strings */
#define MB_INFO_MAX    0x00010000ULL
#define MB_FDT_ADDR    0x00040000ULL  /* the FDT module */
#define MB_FDT_MAX     (EBDA_START - MB_FDT_ADDR)
#define MB_CMDLINE_ADDR BOOT_CMDLINE_ADDR
#define MB_CMDLINE_MAX  BOOT_CMDLINE_MAX  /* including the NUL */

#define MB_MODULES_MAX  64u       /* modules one kernel may get */
#define MB_SEGMENTS_MAX 64u       /* non-empty PT_LOAD segments of an ELF kernel */
#define MB_MODULE_ALIGN 0x1000u   /* every module starts on a page */

/*
 * The ELF note that marks kvmini's own test guest, the one Multiboot kernel
 * that gets the FDT module: in a PT_NOTE segment, the standard layout
 * (4-byte words namesz, descsz, type; the name, NUL included, and the desc,
 * each padded to 4 bytes). guest/note.S emits it:
 *
 *	.section .note.kvmini, "a", @note
 *	.balign 4
 *	.long 7          # namesz: "kvmini" and its NUL
 *	.long 4          # descsz
 *	.long 1          # type: KVMINI_NOTE_TYPE_FDT
 *	.asciz "kvmini"  # padded to 8
 *	.balign 4
 *	.asciz "fdt"     # desc (not checked)
 *	.balign 4
 *
 * and guest/guest.ld gives the section a PT_NOTE program header.
 */
#define KVMINI_NOTE_NAME     "kvmini"
#define KVMINI_NOTE_TYPE_FDT 1u

/*
 * What kvmini boots, for the message that refuses anything else (the caller
 * that tried every loader: vmm/vm.c).
 */
#define KVMINI_KERNEL_FORMATS_MSG \
	"not a kernel kvmini can boot: it takes a Linux bzImage (boot protocol 2.12+, " \
	"64-bit) or a Multiboot 1 kernel (ELF32, ELF64 or a.out kludge)"

/* What multiboot_parse() learned: the memory image the kernel wants. */
struct multiboot_image {
	size_t header_offset;    /* file offset of the Multiboot header */
	uint32_t flags;          /* header flags */
	int aout_kludge;         /* 1: loaded by the header's address fields */
	int elf_class;           /* ELFCLASS32 or ELFCLASS64; 0 for the kludge */
	unsigned int nsegs;      /* PT_LOAD segments loaded (1 for the kludge) */
	uint64_t load_start;     /* lowest guest address written */
	uint64_t load_end;       /* one past the highest (incl. bss) */
	uint64_t entry;          /* 32-bit physical entry point */
};

/*
 * One module to hand the kernel. data/len: its contents (data may be NULL
 * when len is 0); string: what the kernel sees as its string (the file
 * name, "fdt"; NULL for ""). fdt: nonzero for the device tree, which goes
 * to MB_FDT_ADDR (at most MB_FDT_MAX bytes, at most one such module) so
 * that multiboot_replace_fdt() can swap it later.
 */
struct multiboot_module {
	const void *data;
	size_t len;
	const char *string;
	int fdt;
};

/* Where the vCPU must start to run what multiboot_load() placed. */
struct multiboot_boot {
	uint32_t entry;          /* EIP */
	uint32_t magic;          /* EAX: MB_BOOT_MAGIC */
	uint32_t info;           /* EBX: struct mb_info */
	uint64_t load_start, load_end;
	uint32_t mods_start;     /* the modules other than the FDT: */
	uint32_t mods_end;       /* [mods_start, mods_end), 0 and 0 if none */
	unsigned int nmods;      /* mods_count, the FDT included */
	uint32_t fdt;            /* FDT module address, 0 if none */
	uint32_t fdt_size;
	uint32_t fdt_mod;        /* address of its struct mb_module record */
};

/*
 * multiboot_has_header - 1 if img has the Multiboot magic 0x1BADB002,
 * 4-byte aligned, in its first 8 KiB (whatever the checksum): the file
 * means to be a Multiboot kernel, and multiboot_load()'s reason is the one
 * to show when it is refused. 0 otherwise.
 */
int multiboot_has_header(const uint8_t *img, size_t len);

/*
 * multiboot_parse - find a Multiboot 1 header in the first 8 KiB of img
 * (4-byte aligned, magic 0x1BADB002, magic + flags + checksum == 0), refuse
 * required features kvmini lacks (video mode, unknown bits 3-15), and work
 * out the image from the address fields or, without them, from an ELF32 or
 * ELF64 executable's PT_LOAD segments (see the top of this file). Every
 * offset and size is checked against len without overflow; segments must
 * fit below 4 GiB, not overlap each other, and hold the entry point.
 * Returns 0, -ENOEXEC with a one-line reason in err (NULL allowed).
 * Where the image lands (RAM, the boot areas below 1 MiB) is checked by
 * multiboot_load().
 */
int multiboot_parse(const uint8_t *img, size_t len, struct multiboot_image *mi,
		    struct kvmini_error *err) MUST_CHECK;

/*
 * multiboot_wants_fdt - 1 if img is an ELF file (32- or 64-bit) with a
 * PT_NOTE segment holding the note KVMINI_NOTE_NAME / KVMINI_NOTE_TYPE_FDT:
 * kvmini's own guest, which boots with the FDT module. 0 for anything else,
 * however malformed (all reads are checked against len).
 */
int multiboot_wants_fdt(const uint8_t *img, size_t len);

/*
 * multiboot_load - parse img and load it into m: every byte of the kernel
 * must lie in guest RAM at or above 1 MiB (below that are kvmini's boot
 * areas; -EINVAL), inside RAM (-ENOMEM). cmdline (NULL for "") goes to
 * MB_CMDLINE_ADDR (-E2BIG past MB_CMDLINE_MAX - 1 bytes). The nmods modules
 * mods (NULL when nmods is 0) become the Multiboot modules in that order,
 * placed as the top of this file says; more than MB_MODULES_MAX, strings
 * that overflow the info area (-E2BIG), modules that do not fit in RAM
 * below 4 GiB (-ENOMEM), two FDT modules or one over MB_FDT_MAX (-EINVAL,
 * -E2BIG) are refused. The information goes to MB_INFO_ADDR with
 * mem_lower/mem_upper and the e820 map of m. Fills boot. Nothing is written
 * to m unless everything fits. Returns 0 or a negative errno with err
 * filled; never aborts.
 *
 * (The modules come before the command line so that a call written for the
 * old (cmdline, fdt, fdt_len) form fails to compile; multiboot_load_fdt()
 * keeps that form.)
 */
int multiboot_load(struct guest_mem *m, const uint8_t *img, size_t len,
		   const struct multiboot_module *mods, unsigned int nmods,
		   const char *cmdline, struct multiboot_boot *boot,
		   struct kvmini_error *err) MUST_CHECK;

/*
 * multiboot_load_fdt - multiboot_load() with one module at most, the FDT
 * (fdt_len bytes; fdt NULL or fdt_len 0 for no module): the loader's
 * earlier interface.
 */
int multiboot_load_fdt(struct guest_mem *m, const uint8_t *img, size_t len,
		       const char *cmdline, const void *fdt, size_t fdt_len,
		       struct multiboot_boot *boot, struct kvmini_error *err) MUST_CHECK;

/*
 * multiboot_replace_fdt - put a new device tree (fdt_len bytes) in place of
 * the FDT module multiboot_load gave the guest, before the guest runs: for
 * what is only known once the devices exist. Updates the module's end and
 * boot. Returns 0, -EINVAL if boot has no FDT module, -E2BIG or -EFAULT
 * with err filled.
 */
int multiboot_replace_fdt(struct guest_mem *m, struct multiboot_boot *boot,
			  const void *fdt, size_t fdt_len, struct kvmini_error *err) MUST_CHECK;

/*
 * multiboot_refuse_format - set err to KVMINI_KERNEL_FORMATS_MSG; returns
 * -ENOEXEC. For the caller when a kernel is neither a bzImage nor has a
 * Multiboot header.
 */
int multiboot_refuse_format(struct kvmini_error *err);

#endif
