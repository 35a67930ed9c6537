/*
 * virtio_net.h - the guest's polled virtio-net driver: one receive and one
 * transmit queue, no offloads, the 12-byte virtio 1.x header in front of
 * each frame. The receive queue is kept full of buffers. Behind plat_net_*
 * (platform_io_guest.c). Guest-only.
 */
#ifndef GUEST_VIRTIO_NET_H
#define GUEST_VIRTIO_NET_H

#include <stddef.h>

#include "platform.h"
#include "virtio.h"

struct net_dev {
	int state;                  /* 0 not set up, 1 working, -1 given up */
	struct virtio_dev vd;
	struct vring rx, tx;
	uint8_t *rx_bufs, *tx_bufs; /* one NET_BUF_SIZE buffer per queue entry */
	uint16_t tx_free[VRING_MAX];/* transmit buffers not in the queue */
	unsigned int tx_nfree;
	uint8_t mac[6];
};

/* virtio_net_open - find and set up the first virtio-net device (once;
 * later calls return the same information). Returns 0 or -PLAT_ENODEV. */
int virtio_net_open(struct net_dev *n, struct plat_net_info *info);

/* virtio_net_send - plat_net_send on n (same contract). */
int virtio_net_send(struct net_dev *n, const void *frame, size_t len);

/* virtio_net_recv - plat_net_recv on n (same contract; a frame longer than
 * size is cut to size bytes, and size is returned). */
int virtio_net_recv(struct net_dev *n, void *frame, size_t size, uint64_t timeout_ns);

#endif
