/*
 * msi.h - what a device needs from the machine to deliver message-signalled
 * interrupts and receive doorbells without a trip through userspace, stated
 * without KVM types: the machine implements these with GSI routing, irqfd and
 * ioeventfd.
 */
#ifndef KVMINI_MSI_H
#define KVMINI_MSI_H

#include <stdint.h>

struct msi_host {
	/*
	 * Point interrupt *gsi at the MSI message (addr, data); *gsi < 0 asks
	 * for a new one, which is stored in *gsi. Returns 0 or -errno.
	 */
	int (*route)(void *ctx, int *gsi, uint64_t addr, uint32_t data);
	/* Attach (assign=1) or detach eventfd fd as the trigger of gsi. */
	int (*irqfd)(void *ctx, int gsi, int fd, int assign);
	/* Attach or detach fd as the doorbell for MMIO writes at addr (len 0: any size). */
	int (*ioeventfd)(void *ctx, uint64_t addr, unsigned int len, int fd, int assign);
	void *ctx;
};

#endif
