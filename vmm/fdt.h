/*
 * fdt.h - build the flattened device tree kvmini hands a Multiboot guest
 * as a module (layout: include/kvmini_guest_abi.h), with libfdt's
 * sequential-write API. Link with -lfdt.
 */
/* libfdt.h includes <fdt.h>, which the -Ivmm search path resolves to this
 * file: hand that on to libfdt's own fdt.h (it has its own guard). */
#include <libfdt_env.h>
#include_next <fdt.h>

#ifndef KVMINI_FDT_H
#define KVMINI_FDT_H

#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"

/* What goes into the tree. */
struct kvfdt_params {
	const struct guest_mem *mem;  /* /memory@0 reg: one pair per region */
	const char *cmdline;          /* /chosen bootargs; NULL for "" */
	unsigned int ncpus;           /* /cpus/cpu@0 .. cpu@N-1 (1 to KVMINI_MAX_CPUS) */
	uint16_t exit_port;           /* /kvmini exit-port (isa-debug-exit) */
};

/*
 * kvfdt_build - build the tree. On success returns 0 and sets *blob to a
 * malloc'd FDT of *size bytes (free() it). Returns -EINVAL for bad params,
 * -ENOMEM, or -EIO if libfdt refuses, with err filled.
 */
int kvfdt_build(const struct kvfdt_params *p, void **blob, size_t *size,
		struct kvmini_error *err) MUST_CHECK;

#endif
