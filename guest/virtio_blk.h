/*
 * virtio_blk.h - the guest's polled virtio-blk driver: one request queue,
 * batches of up to PLAT_BLK_MAX_BATCH requests per notification, every
 * completion checked. Behind plat_blk_* (platform_io_guest.c). Guest-only.
 */
#ifndef GUEST_VIRTIO_BLK_H
#define GUEST_VIRTIO_BLK_H

#include "platform.h"
#include "virtio.h"

/* Header and status byte of one request, in device-visible memory. */
struct blk_slot {
	struct virtio_blk_req_hdr hdr;
	uint8_t status;
	uint8_t pad[15];
};

struct blk_dev {
	int state;                 /* 0 not set up, 1 working, -1 given up */
	struct virtio_dev vd;
	struct vring vq;
	struct blk_slot *slots;    /* PLAT_BLK_MAX_BATCH + 1 (the last for flush) */
	uint64_t sectors;
	uint32_t seg_max;          /* data segments per request */
	uint32_t blk_size;
	int read_only;
};

/* virtio_blk_open - find and set up the first virtio-blk device (once;
 * later calls return the same information). Returns 0 or -PLAT_ENODEV. */
int virtio_blk_open(struct blk_dev *b, struct plat_blk_info *info);

/* virtio_blk_io - plat_blk_io on b (same contract). */
int virtio_blk_io(struct blk_dev *b, struct plat_blk_req *reqs, unsigned int n);

/* virtio_blk_flush - plat_blk_flush on b: a FLUSH request when the device
 * has a write cache it lets us flush, else nothing. Returns 0 or -PLAT_EIO. */
int virtio_blk_flush(struct blk_dev *b);

#endif
