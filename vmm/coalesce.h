/*
 * coalesce.h - KVM's coalesced port I/O: writes to chosen ports (ones whose
 * effect only matters when the guest next reads a related port, such as the
 * RTC index at 0x70 and the PCI configuration address at 0xcf8) are queued
 * by KVM in a ring shared with the VMM instead of exiting. The ring is
 * replayed, in order, before any other exit is handled and periodically by
 * the main thread, so a queued write is never held back for long.
 */
#ifndef KVMINI_COALESCE_H
#define KVMINI_COALESCE_H

#include <linux/kvm.h>
#include <pthread.h>

#include "devices/iobus.h"

struct coalesce {
	struct kvm_coalesced_mmio_ring *ring;  /* NULL when KVM has no support */
	unsigned int max;                       /* entries in the ring */
	pthread_mutex_t lock;
	struct iobus *pio, *mmio;
	uint64_t replayed;
};

/*
 * coalesce_init - find the ring in vCPU 0's run area (run, run_size) and
 * coalesce writes to the given ports. Without KVM support it stays off and
 * returns 0; other failures return a negative errno.
 */
int coalesce_init(struct coalesce *c, int kvm_fd, int vm_fd, void *run, size_t run_size,
		  struct iobus *pio, struct iobus *mmio);

/* coalesce_pending - whether the ring holds writes (no lock; a hint). */
static inline int coalesce_pending(const struct coalesce *c)
{
	return c->ring && __atomic_load_n(&c->ring->first, __ATOMIC_RELAXED) !=
			  __atomic_load_n(&c->ring->last, __ATOMIC_ACQUIRE);
}

/* coalesce_flush - replay every queued write on its bus, oldest first. */
void coalesce_flush(struct coalesce *c);

/* coalesce_destroy - release the lock. */
void coalesce_destroy(struct coalesce *c);

#endif
