/*
 * util.h - small helpers shared by every part of the VMM: guest-physical
 * address type, sizes, error-string formatting.
 */
#ifndef KVMINI_UTIL_H
#define KVMINI_UTIL_H

#include <pthread.h>
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

/*
 * thread_start - start fn(arg) on a thread with a 256 KiB stack: small
 * enough that no transparent huge page backs it (an 8 MiB default stack can
 * cost 2 MiB of RSS for a few touched bytes), named name (at most 15
 * characters, shown by ps -T, top -H, gdb; NULL for none). Returns 0 or a
 * negative errno.
 */
int thread_start(pthread_t *t, const char *name, void *(*fn)(void *), void *arg) MUST_CHECK;

/*
 * set_err - format a one-line reason into err (NULL allowed); returns -e.
 * The kind comes from e: errors that say an input is wrong (EINVAL, ENOEXEC,
 * E2BIG, EFBIG, ERANGE, EOVERFLOW, ENOENT, ENOTDIR, EISDIR, ENAMETOOLONG,
 * ELOOP, EFAULT, EBUSY) are KVMINI_ERR_INPUT, the rest KVMINI_ERR_HOST.
 */
int set_err(struct kvmini_error *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* set_err_host - set_err() for a host-side failure whatever e is (a missing /dev/kvm). */
int set_err_host(struct kvmini_error *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
