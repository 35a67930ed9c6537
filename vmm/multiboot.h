/*
 * multiboot.h - load a Multiboot 1 kernel (the guest/ test guest, or any
 * kernel with a Multiboot header): find and check the header, copy the
 * image (by the header's address fields, or by the ELF64 PT_LOAD program
 * headers), and build the Multiboot information: memory sizes, the memory
 * map, the command line and one module holding an FDT blob.
 *
 * The vCPU then starts in 32-bit protected mode, paging off, with flat
 * 4 GiB code and data segments, EIP = boot->entry, EAX = MB_BOOT_MAGIC and
 * EBX = boot->info (see include/kvmini_guest_abi.h).
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

/* What multiboot_parse() learned: the memory image the kernel wants. */
struct multiboot_image {
	size_t header_offset;    /* file offset of the Multiboot header */
	uint32_t flags;          /* header flags */
	int aout_kludge;         /* 1: loaded by the header's address fields */
	uint64_t load_start;     /* lowest guest address written */
	uint64_t load_end;       /* one past the highest (incl. bss) */
	uint64_t entry;          /* 32-bit entry point */
};

/* Where the vCPU must start to run what multiboot_load() placed. */
struct multiboot_boot {
	uint32_t entry;          /* EIP */
	uint32_t magic;          /* EAX: MB_BOOT_MAGIC */
	uint32_t info;           /* EBX: struct mb_info */
	uint64_t load_start, load_end;
	uint32_t fdt;            /* FDT module address, 0 if none */
	uint32_t fdt_size;
};

/*
 * multiboot_parse - find a Multiboot 1 header in the first 8 KiB of img
 * (4-byte aligned, magic 0x1BADB002, magic + flags + checksum == 0), refuse
 * required features kvmini lacks (video mode, unknown bits 3-15), and work
 * out the image from the address fields or, without them, from an ELF64
 * executable's PT_LOAD segments. Every offset and size is checked against
 * len without overflow. Returns 0, -ENOEXEC with a one-line reason in err.
 */
int multiboot_parse(const uint8_t *img, size_t len, struct multiboot_image *mi,
		    struct kvmini_error *err) MUST_CHECK;

/*
 * multiboot_load - parse img and load it into m: every byte it writes must
 * lie in guest RAM at or above 1 MiB (below that are kvmini's boot areas).
 * cmdline (NULL for "") goes to MB_CMDLINE_ADDR; fdt (NULL for none, fdt_len
 * bytes) becomes module 0 at MB_FDT_ADDR with string "fdt"; the information
 * goes to MB_INFO_ADDR with mem_lower/mem_upper and the e820 map of m.
 * Fills boot. Returns 0 or a negative errno with err filled; never aborts.
 */
int multiboot_load(struct guest_mem *m, const uint8_t *img, size_t len,
		   const char *cmdline, const void *fdt, size_t fdt_len,
		   struct multiboot_boot *boot, struct kvmini_error *err) MUST_CHECK;

/*
 * multiboot_replace_fdt - put a new device tree (fdt_len bytes) in place of
 * the module multiboot_load gave the guest, before the guest runs: for what
 * is only known once the devices exist. Updates the module's end and boot.
 * Returns 0, -EINVAL if boot has no FDT module, -E2BIG or -EFAULT with err
 * filled.
 */
int multiboot_replace_fdt(struct guest_mem *m, struct multiboot_boot *boot,
			  const void *fdt, size_t fdt_len, struct kvmini_error *err) MUST_CHECK;

#endif
