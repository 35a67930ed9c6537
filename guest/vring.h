/*
 * vring.h - a polled split virtqueue (virtio 1.x, 2.7) for the guest's
 * drivers: descriptor chains go in, are published in batches with one
 * notification, and come back through the used ring, checked before use.
 * The device interrupts nobody (VIRTQ_AVAIL_F_NO_INTERRUPT); the driver
 * polls. The device side may run on another host thread, so the ring
 * updates are ordered with barriers. Guest-only.
 */
#ifndef GUEST_VRING_H
#define GUEST_VRING_H

#include <stdint.h>

#include "virtio_abi.h"

#define VRING_MAX 256u   /* largest queue a driver sets up */

/* One buffer of a chain: a guest-physical range. */
struct vring_seg {
	uint64_t pa;
	uint32_t len;
	int device_writes;   /* the device writes it (VIRTQ_DESC_F_WRITE) */
};

struct vring {
	uint16_t size;                 /* entries, a power of two */
	uint16_t qidx;                 /* queue index, written to the doorbell */
	uint16_t free_head, nfree;     /* descriptors not in any chain */
	uint16_t avail_next;           /* avail.idx once the added chains are published */
	uint16_t unpublished;          /* chains added since the last kick */
	uint16_t used_last;            /* next used entry to look at */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint64_t desc_pa, avail_pa, used_pa;
	volatile uint16_t *doorbell;   /* notification address (set by the transport) */
	/* Driver-private per-descriptor state; the device cannot touch it. */
	uint16_t link[VRING_MAX];      /* next descriptor in the free list or chain */
	uint16_t chain_n[VRING_MAX];   /* at a head: descriptors in its chain; 0: not in flight */
	uint32_t writable[VRING_MAX];  /* at a head: bytes the device may write */
	uint32_t cookie[VRING_MAX];    /* at a head: the caller's tag */
};

/*
 * vring_init - set up r with size entries (a power of two, 1..VRING_MAX);
 * the rings come from mm_dma_alloc the first time and are reused (cleared)
 * when r is initialised again with the same size. Returns 0, -PLAT_EINVAL
 * or -PLAT_ENOMEM.
 */
int vring_init(struct vring *r, uint16_t size);

/*
 * vring_add - queue a chain of n segments tagged with cookie; it reaches the
 * device at the next vring_kick. Returns 0, -PLAT_ENOMEM when fewer than n
 * descriptors are free, or -PLAT_EINVAL for n == 0.
 */
int vring_add(struct vring *r, const struct vring_seg *segs, unsigned int n, uint32_t cookie);

/* vring_free_descs - descriptors vring_add can still use. */
unsigned int vring_free_descs(const struct vring *r);

/* vring_in_flight - chains added and not yet returned by vring_poll. */
unsigned int vring_in_flight(const struct vring *r);

/* vring_device_held - chains published and not yet in the used ring. */
unsigned int vring_device_held(const struct vring *r);

/*
 * vring_kick - publish the chains added since the last kick and notify the
 * device, unless it asked not to be (VIRTQ_USED_F_NO_NOTIFY). Does nothing
 * when nothing was added.
 */
void vring_kick(struct vring *r);

/*
 * vring_poll - take one completed chain from the used ring: its cookie and
 * the bytes the device says it wrote. Returns 1, 0 when none is ready, or
 * -PLAT_EIO when the device returned something impossible (an unknown or
 * idle head, a length beyond the chain's writable bytes, a used index that
 * ran ahead); a chain named by a bad length is still freed.
 */
int vring_poll(struct vring *r, uint32_t *cookie, uint32_t *len);

#endif
