/*
 * util.h - small helpers shared by every part of the VMM: guest-physical
 * address type, sizes, error-string formatting.
 */
#ifndef KVMINI_UTIL_H
#define KVMINI_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kvmini.h"

/* A guest-physical address. Never dereferenced; translate with gmem_ptr(). */
typedef uint64_t gpa_t;

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define MUST_CHECK __attribute__((warn_unused_result))

/* set_err - format a one-line reason into err (NULL allowed); returns -e. */
int set_err(struct kvmini_error *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
