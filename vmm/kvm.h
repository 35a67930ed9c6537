/*
 * kvm.h - the system-level /dev/kvm plumbing: open with errors a user can act
 * on, API version and capability checks, two-dimensional paging status, and
 * KVM's binary statistics.
 */
#ifndef KVMINI_KVM_H
#define KVMINI_KVM_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/*
 * kvm_open - open the KVM device (path, or /dev/kvm) read-write and check
 * the API version and every capability kvmini relies on. Returns the fd, or
 * a negative errno with err saying what is wrong and what to do.
 */
int kvm_open(const char *path, struct kvmini_error *err) MUST_CHECK;

/*
 * kvm_tdp_status - "EPT on", "EPT off", "NPT on", "NPT off" or "unknown",
 * read from the kvm_intel/kvm_amd module parameters.
 */
const char *kvm_tdp_status(void);

/*
 * kvm_stat_open - open the binary statistics of a VM or vCPU fd and find the
 * counter called name. Returns a stats fd and sets *offset (where to pread
 * the u64), or a negative errno (e.g. -ENOTSUP on kernels without stats).
 */
int kvm_stat_open(int fd, const char *name, uint64_t *offset);

/* kvm_stat_read - the current value of a counter found by kvm_stat_open. */
int kvm_stat_read(int stats_fd, uint64_t offset, uint64_t *value);

#endif
