/*
 * bzimage.h - load a Linux bzImage through the x86 64-bit boot protocol:
 * validate the setup header, copy the protected-mode kernel, place the
 * initrd and command line, fill the zero page (boot_params) with the e820
 * map and the ACPI RSDP address.
 */
#ifndef KVMINI_BZIMAGE_H
#define KVMINI_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/guestmem.h"

/* What bzimage_parse() learned from a setup header. */
struct bzimage_info {
	uint16_t version;        /* boot protocol, e.g. 0x020f */
	size_t setup_size;       /* bytes of real-mode setup, incl. boot sector */
	size_t kernel_size;      /* bytes of protected-mode code */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;   /* max command line bytes, without the NUL */
	uint64_t pref_address;
	uint32_t init_size;      /* memory the kernel needs from pref_address */
	int relocatable;
};

/* Where the vCPU must start to boot what bzimage_load() placed. */
struct bzimage_boot {
	gpa_t entry;      /* 64-bit entry point */
	gpa_t zeropage;   /* boot_params, passed in RSI */
	gpa_t initrd;     /* 0 if none */
	uint64_t initrd_size;
};

/*
 * bzimage_parse - check that img is a 64-bit-bootable bzImage we can load:
 * boot sector signature, "HdrS" magic, protocol >= 2.12, XLF_KERNEL_64,
 * LOADED_HIGH, and that the file holds the whole kernel its header promises.
 * Returns 0 or a negative errno with err filled.
 */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *info,
		  struct kvmini_error *err) MUST_CHECK;

/*
 * bzimage_load - parse img and load it into m with an optional initrd and a
 * command line (NULL for none); rsdp is the ACPI RSDP address (0 for none).
 * Fails with a clear message when RAM is too small for the kernel, the
 * initrd does not fit below initrd_addr_max, or the command line is too long.
 */
int bzimage_load(struct guest_mem *m, const uint8_t *img, size_t len,
		 const uint8_t *initrd, size_t initrd_len, const char *cmdline,
		 gpa_t rsdp, struct bzimage_boot *boot,
		 struct kvmini_error *err) MUST_CHECK;

#endif
