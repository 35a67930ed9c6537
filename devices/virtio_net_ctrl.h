/*
 * virtio_net_ctrl.h - the control queue of a multiqueue virtio-net device
 * (VIRTIO_NET_F_CTRL_VQ with VIRTIO_NET_F_MQ; virtio 1.x, 5.1.6.5). It is
 * always served in userspace, whatever carries the packets.
 *
 * Each chain is one command: device-readable class (1 byte), command
 * (1 byte) and its data, then one device-writable ack byte. Understood:
 * VIRTIO_NET_CTRL_MQ / VQ_PAIRS_SET with a little-endian 16-bit pair count
 * in 1..max_pairs; the device's set_pairs callback makes it so and the ack
 * is VIRTIO_NET_OK. A count out of range, short command data, a failing
 * callback and every other class or command are answered VIRTIO_NET_ERR.
 *
 * Hostile input: every descriptor is checked by virtq_pop; a chain without
 * the two header bytes readable or without a writable byte after them
 * breaks the queue (kick returns -EIO, the queue is reported through the
 * irq's broken call and the transport sets DEVICE_NEEDS_RESET) and nothing
 * more is taken from it.
 *
 * Locking: none inside; the caller serialises calls (the transport's lock).
 */
#ifndef KVMINI_VIRTIO_NET_CTRL_H
#define KVMINI_VIRTIO_NET_CTRL_H

#include <stdint.h>

#include "base/util.h"
#include "devices/virtio_dev.h"
#include "devices/virtq.h"
#include "virtio_abi.h"

/* Make pairs queue pairs active (1..max_pairs); 0 or a negative errno. */
typedef int virtio_net_ctrl_pairs_fn(void *ctx, unsigned int pairs);

struct virtio_net_ctrl {
	struct virtio_dev vdev;      /* one queue; interrupts */
	unsigned int max_pairs;
	unsigned int pairs;          /* active after the last successful set */
	virtio_net_ctrl_pairs_fn *set_pairs;
	void *ctx;
	uint64_t commands, errors;   /* answered, of which VIRTIO_NET_ERR */
};

/*
 * virtio_net_ctrl_init - a control queue for a device with max_pairs pairs
 * (1..VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX); set_pairs(ctx, n) makes a count
 * so. Returns 0, -EINVAL or -ENOMEM.
 */
int virtio_net_ctrl_init(struct virtio_net_ctrl *c, unsigned int max_pairs,
			 virtio_net_ctrl_pairs_fn *set_pairs, void *ctx) MUST_CHECK;

/* virtio_net_ctrl_destroy - free the scratch chain. */
void virtio_net_ctrl_destroy(struct virtio_net_ctrl *c);

/*
 * virtio_net_ctrl_set_irq - how to interrupt the driver for the control
 * queue (the transport's irq.qbase) and report it broken.
 */
void virtio_net_ctrl_set_irq(struct virtio_net_ctrl *c, struct virtio_irq irq);

/* virtio_net_ctrl_start - serve vq (at DRIVER_OK); one pair is active. */
void virtio_net_ctrl_start(struct virtio_net_ctrl *c, struct virtq *vq);

/*
 * virtio_net_ctrl_kick - answer every available command. Returns the
 * commands answered, -EINVAL if not started, or -EIO if the queue is (now)
 * broken.
 */
int virtio_net_ctrl_kick(struct virtio_net_ctrl *c) MUST_CHECK;

/* virtio_net_ctrl_reset - forget the queue; one pair is active again. */
void virtio_net_ctrl_reset(struct virtio_net_ctrl *c);

#endif
