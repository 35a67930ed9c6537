/*
 * virtio_blk.h - virtio-blk device logic on an io_uring disk backend,
 * independent of the transport (virtio-pci calls into it).
 *
 * Life cycle, as the transport drives it:
 *   virtio_blk_init             open the image, build the config space
 *   virtio_blk_features         what to offer the driver
 *   virtio_blk_config_read      device-specific config reads (any thread)
 *   virtio_blk_set_notifier     how to interrupt the driver for queue q
 *   virtio_blk_queue_start      per queue, after DRIVER_OK, with a virtq the
 *                               transport set up from the negotiated features
 *   virtio_blk_kick             on a queue notification (ioeventfd)
 *   virtio_blk_complete         when virtio_blk_event_fd is readable
 *   virtio_blk_reset            on a device reset (status 0): waits for I/O
 *   virtio_blk_destroy
 *
 * kick drains the whole available ring, prepares one backend operation per
 * request with iovecs pointing straight into guest RAM, and submits the
 * batch with one io_uring_submit. complete reaps every completion, writes
 * status bytes, fills the used ring and then interrupts each queue at most
 * once, only if the driver asked (EVENT_IDX or NO_INTERRUPT). Requests that
 * need no I/O (GET_ID, errors) complete within kick, which notifies too.
 *
 * Request handling: the 16-byte header may span readable buffers; the
 * status is the last device-writable byte. IN needs writable data buffers
 * only, OUT readable ones only, else VIRTIO_BLK_S_IOERR. IN/OUT lengths
 * must be multiples of 512 and at most VIRTIO_BLK_MAX_IO_BYTES. A range past
 * the capacity (or overflowing) fails with IOERR without I/O, as does any
 * write, discard or write-zeroes on a read-only disk. Unknown types get
 * UNSUPP. A read that comes back short (the image shrank underneath)
 * fails the request with IOERR; the used length still counts the bytes
 * read. A discard the filesystem cannot do reports OK (it is a hint).
 * Discard and write-zeroes take one segment; more, the unmap flag on a
 * discard, or reserved flag bits get UNSUPP. A chain with no writable byte
 * (nowhere to put a status) or a malformed ring breaks the queue: kick or
 * complete returns -EIO and the transport should set DEVICE_NEEDS_RESET.
 *
 * Locking: kick, complete, queue_start, reset and set_notifier take an
 * internal mutex, so they may come from different threads (usually kick
 * and complete from one I/O thread, reset from a vCPU). The notifier is
 * called with that mutex held and must not call back into this device.
 * config_read reads immutable data and takes no lock.
 */
#ifndef KVMINI_VIRTIO_BLK_H
#define KVMINI_VIRTIO_BLK_H

#include <pthread.h>
#include <stdint.h>

#include "devices/blk_backend.h"
#include "base/util.h"
#include "virtio_abi.h"
#include "devices/virtq.h"

#define VIRTIO_BLK_MAX_QUEUES 16
/*
 * Data segments per request the driver may use. Without indirect
 * descriptors a request needs seg_max + 2 descriptors, so the transport
 * should offer queues of at least 128 entries.
 */
#define VIRTIO_BLK_SEG_MAX 126
#define VIRTIO_BLK_MAX_DWZ_SECTORS 0x3fffffu  /* per discard / write-zeroes */
#define VIRTIO_BLK_DISCARD_ALIGN 8            /* sectors (4 KiB) */
#define VIRTIO_BLK_MAX_IO_BYTES (1ULL << 30)  /* per IN / OUT request */

struct virtio_blk_req;  /* one request in flight (private) */

/* Called to interrupt the driver for queue q (an MSI-X irqfd, say). */
typedef void virtio_blk_notify_fn(void *ctx, unsigned int q);

struct virtio_blk {
	pthread_mutex_t lock;
	struct blk_backend be;
	uint64_t capacity;         /* 512-byte sectors */
	int readonly;
	unsigned int nqueues;
	uint64_t features;         /* offered */
	struct virtio_blk_config_space cfg;     /* little-endian, immutable */
	char serial[VIRTIO_BLK_ID_BYTES];       /* GET_ID answer */
	struct virtq *vq[VIRTIO_BLK_MAX_QUEUES]; /* started queues, or NULL */
	uint8_t throttled[VIRTIO_BLK_MAX_QUEUES]; /* stopped: no free slot */
	uint32_t to_notify;        /* queues with pushes not yet signalled */
	struct virtq_chain *chain; /* scratch for virtq_pop */
	struct virtio_blk_req *reqs;
	unsigned int *free_reqs, nfree, nreqs;
	virtio_blk_notify_fn *notify;
	void *notify_ctx;
	/* counters */
	uint64_t requests;         /* chains taken from the rings */
	uint64_t batches;          /* blk_backend_submit calls */
	uint64_t notifications;    /* notifier calls */
};

/*
 * virtio_blk_init - open the image at path (read-only if readonly, with
 * O_DIRECT if direct) for a device with nqueues request queues (1..16).
 * Returns 0, or a negative errno with a one-line reason in err.
 */
int virtio_blk_init(struct virtio_blk *b, const char *path, int readonly,
		    int direct, unsigned int nqueues,
		    struct kvmini_error *err) MUST_CHECK;

/* virtio_blk_destroy - wait for I/O in flight, close the image, free. */
void virtio_blk_destroy(struct virtio_blk *b);

/*
 * virtio_blk_features - feature bits to offer: VERSION_1, EVENT_IDX,
 * INDIRECT_DESC, SEG_MAX, BLK_SIZE, FLUSH, MQ, and DISCARD plus
 * WRITE_ZEROES for writable disks or RO for read-only ones.
 */
uint64_t virtio_blk_features(const struct virtio_blk *b);

/*
 * virtio_blk_config_read - len bytes of the device config space at off;
 * bytes past its end read 0.
 */
void virtio_blk_config_read(struct virtio_blk *b, uint64_t off, void *data,
			    unsigned int len);

/*
 * virtio_blk_set_notifier - set how the device interrupts the driver.
 * Without one, completions are still pushed, just not signalled.
 */
void virtio_blk_set_notifier(struct virtio_blk *b, virtio_blk_notify_fn *notify,
			     void *ctx);

/*
 * virtio_blk_queue_start - use vq (owned by the transport, initialised with
 * virtq_init) as request queue q. Returns 0, or -EINVAL for q out of range.
 */
int virtio_blk_queue_start(struct virtio_blk *b, unsigned int q,
			   struct virtq *vq) MUST_CHECK;

/*
 * virtio_blk_kick - handle a notification for queue q: take every
 * available request and submit their I/O in one batch. Returns the number
 * of requests taken, -EINVAL if q is not started, or -EIO if the queue is
 * (now) broken: the transport should set DEVICE_NEEDS_RESET.
 */
int virtio_blk_kick(struct virtio_blk *b, unsigned int q) MUST_CHECK;

/* virtio_blk_event_fd - the eventfd to poll for completions. */
int virtio_blk_event_fd(const struct virtio_blk *b);

/*
 * virtio_blk_complete - reap every finished request, fill the used rings,
 * notify each queue at most once if the driver wants it, and resume
 * queues that were waiting for a free request slot. Returns 0, or -EIO if
 * resuming found a queue broken (as for kick), or another negative errno
 * from the backend.
 */
int virtio_blk_complete(struct virtio_blk *b) MUST_CHECK;

/*
 * virtio_blk_reset - forget every queue after waiting for the I/O in
 * flight; its results are dropped, nothing is written to the rings.
 */
void virtio_blk_reset(struct virtio_blk *b);

#endif
