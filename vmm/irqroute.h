/*
 * irqroute.h - the VM's interrupt routing table (KVM_SET_GSI_ROUTING): the
 * PC's 24 legacy lines to the in-kernel PIC and I/O APIC, then one GSI per
 * MSI message a device programs; and the irqfd/ioeventfd attach calls.
 * Implements struct msi_host for devices.
 */
#ifndef KVMINI_IRQROUTE_H
#define KVMINI_IRQROUTE_H

#include <linux/kvm.h>
#include <pthread.h>

#include "devices/msi.h"
#include "base/util.h"

#define IRQROUTE_LEGACY_GSIS 24
#define IRQROUTE_MAX_MSI     512

struct irqroute {
	int vm_fd;
	pthread_mutex_t lock;
	unsigned int nr_msi;
	struct { uint64_t addr; uint32_t data; } msi[IRQROUTE_MAX_MSI];
	struct kvm_irq_routing *table;  /* scratch for KVM_SET_GSI_ROUTING */
};

/* irqroute_init - install the legacy routes on vm_fd. */
int irqroute_init(struct irqroute *r, int vm_fd, struct kvmini_error *err) MUST_CHECK;

/* irqroute_destroy - free the table. */
void irqroute_destroy(struct irqroute *r);

/* irqroute_msi_host - the struct msi_host that devices call. */
struct msi_host irqroute_msi_host(struct irqroute *r);

#endif
