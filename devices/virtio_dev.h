/*
 * virtio_dev.h - what every virtio device model (blk, net, the net control
 * queue) shares, whatever the transport: the features offered and those
 * negotiated, the queues the transport started, the scratch chain virtq_pop
 * fills, the loop that takes every available chain with notifications off,
 * pushing used chains, and the interrupt plumbing: each queue interrupts
 * the driver at most once per pass and only if it asked (EVENT_IDX or
 * NO_INTERRUPT), and a queue the driver broke is reported to the transport
 * (which sets DEVICE_NEEDS_RESET) with its own number.
 *
 * A device embeds a struct virtio_dev and keeps only what is its own
 * (requests, packets, commands). The transport's side of the contract is
 * struct virtio_device_ops (devices/virtio_pci.c calls it) and struct
 * virtio_irq (what it hands back to reach the driver).
 *
 * Locking: none inside; the device serialises its calls.
 */
#ifndef KVMINI_VIRTIO_DEV_H
#define KVMINI_VIRTIO_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "devices/virtq.h"

#define VIRTIO_DEV_MAX_QUEUES 32
#define VIRTIO_DEV_BIT(n) (1ULL << (n))

/* What a virtio device provides to its transport (virtio_pci.c). */
struct virtio_device_ops {
	uint16_t device_id;        /* virtio device type: 1 net, 2 block */
	uint32_t class_code;       /* PCI class, e.g. 0x018000 */
	uint64_t (*features)(void *dev);
	void (*config_read)(void *dev, uint64_t off, void *data, unsigned int len);
	void (*config_write)(void *dev, uint64_t off, const void *data, unsigned int len);
	/* The driver set DRIVER_OK: queue q is live with the negotiated features. */
	int (*queue_start)(void *dev, unsigned int q, struct virtq *vq, uint64_t features);
	/* The driver kicked queue q (called on the I/O thread). */
	int (*kick)(void *dev, unsigned int q);
	/* Device reset: forget all queues; nothing may complete into them after. */
	void (*reset)(void *dev);
};

/* Called with a transport queue number. */
typedef void virtio_queue_fn(void *ctx, unsigned int q);

/*
 * How a device reaches its driver, as the transport provides it (see
 * virtio_pci_irq). The device's queue q is the transport's qbase + q (a
 * multiqueue NIC is several devices on one transport). Either call may be
 * NULL.
 */
struct virtio_irq {
	virtio_queue_fn *notify;   /* interrupt the driver for queue q */
	virtio_queue_fn *broken;   /* the driver broke queue q: needs a reset */
	void *ctx;
	unsigned int qbase;
};

struct virtio_dev {
	unsigned int nqueues;
	uint64_t features;          /* offered */
	uint64_t acked;             /* negotiated, as of the last queue start */
	struct virtq *vq[VIRTIO_DEV_MAX_QUEUES];  /* started queues, or NULL */
	struct virtq_chain *chain;  /* scratch for virtq_pop */
	uint32_t pushed;            /* queues with pushes not yet signalled */
	struct virtio_irq irq;
	uint64_t notifications;     /* irq.notify calls */
};

/*
 * virtio_dev_init - a device with nqueues queues (1..VIRTIO_DEV_MAX_QUEUES)
 * offering features. Returns 0, -EINVAL or -ENOMEM.
 */
int virtio_dev_init(struct virtio_dev *d, unsigned int nqueues,
		    uint64_t features) MUST_CHECK;

/* virtio_dev_destroy - free the scratch chain. Safe on a zeroed struct. */
void virtio_dev_destroy(struct virtio_dev *d);

/* virtio_dev_set_irq - how the device interrupts its driver from now on. */
void virtio_dev_set_irq(struct virtio_dev *d, struct virtio_irq irq);

/*
 * virtio_dev_check_features - 0 if the driver may negotiate features: only
 * offered bits, and VERSION_1 (no legacy interface). Else -EINVAL.
 */
int virtio_dev_check_features(const struct virtio_dev *d, uint64_t features) MUST_CHECK;

/*
 * virtio_dev_queue_start - use vq (the transport's, set up with virtq_init)
 * as queue q; features become the negotiated set. Returns 0, or -EINVAL
 * for q out of range or no vq. The device checks the features it cares
 * about first.
 */
int virtio_dev_queue_start(struct virtio_dev *d, unsigned int q, struct virtq *vq,
			   uint64_t features) MUST_CHECK;

/* virtio_dev_queue - queue q if started, else NULL. */
struct virtq *virtio_dev_queue(const struct virtio_dev *d, unsigned int q);

/* virtio_dev_reset - forget every queue and the negotiated features. */
void virtio_dev_reset(struct virtio_dev *d);

/*
 * virtio_dev_break - the driver broke queue q (virtq_pop refused its ring,
 * or a chain the device cannot use): mark the queue broken, so it pops
 * nothing more until set up again, and report it through irq.broken.
 * Returns -EIO, for the caller to pass on.
 */
int virtio_dev_break(struct virtio_dev *d, unsigned int q);

/*
 * virtio_dev_push - give chain head of queue q back to the driver with
 * len bytes written, to be signalled at the next virtio_dev_signal.
 * Returns 0, or -EIO (queue q not started, or broken by the push).
 */
int virtio_dev_push(struct virtio_dev *d, unsigned int q, uint16_t head,
		    uint32_t len) MUST_CHECK;

/*
 * virtio_dev_signal - interrupt the driver once for each queue that got
 * pushes since the last call, if its driver wants it.
 */
void virtio_dev_signal(struct virtio_dev *d);

/* What a drain's handler says about the chain it was given. */
enum { VIRTIO_DEV_NEXT = 0, VIRTIO_DEV_STOP = 1 };

/*
 * Handles one chain popped from queue q (in d->chain): returns
 * VIRTIO_DEV_NEXT for the next one, VIRTIO_DEV_STOP to stop taking chains
 * for now (the device resumes later; notifications stay off), or a
 * negative errno when the chain breaks the queue.
 */
typedef int virtio_chain_fn(void *ctx, unsigned int q, struct virtq_chain *c);

/*
 * virtio_dev_drain - take every chain available on queue q, with the
 * driver's kicks off while doing so, handing each to fn; then ask for a
 * kick and look again, so no chain added meanwhile is missed. Returns the
 * chains handled, -EINVAL if q is not started, or -EIO if the queue is
 * (now) broken (reported through irq.broken). Signals nothing: call
 * virtio_dev_signal after.
 */
int virtio_dev_drain(struct virtio_dev *d, unsigned int q, virtio_chain_fn *fn,
		     void *ctx) MUST_CHECK;

/*
 * virtio_dev_config_read - len bytes at off of a device configuration
 * space of size bytes; bytes past its end (or an offset that wraps) read 0.
 */
void virtio_dev_config_read(const void *cfg, size_t size, uint64_t off, void *data,
			    unsigned int len);

#endif
