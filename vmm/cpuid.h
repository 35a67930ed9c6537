/*
 * cpuid.h - the CPUID table each vCPU gets: what KVM supports on this host,
 * with the hypervisor bit set, KVM's paravirtual leaves kept, and the
 * topology leaves naming each vCPU's APIC ID.
 */
#ifndef KVMINI_CPUID_H
#define KVMINI_CPUID_H

#include <linux/kvm.h>

#include "base/util.h"

/*
 * cpuid_get_supported - KVM_GET_SUPPORTED_CPUID, growing the table until it
 * fits. Returns 0 and a malloc'd table in *out, or a negative errno.
 */
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out) MUST_CHECK;

/*
 * cpuid_for_vcpu - a copy of base adjusted for vCPU id out of ncpus.
 * Returns NULL on allocation failure.
 */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base,
				  unsigned int id, unsigned int ncpus);

#endif
