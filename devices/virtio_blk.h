/*
 * virtio_blk.h - virtio-blk device logic on a disk back end (devices/
 * blk_io.h; vmm/blk_backend.c puts io_uring behind it), independent of the
 * transport (virtio-pci calls into it through virtio_blk_ops).
 *
 * Life cycle, as the transport drives it:
 *   virtio_blk_init             on an opened disk: build the config space
 *   virtio_blk_features         what to offer the driver
 *   virtio_blk_config_read      device-specific config reads (any thread)
 *   virtio_blk_set_irq          how to interrupt the driver, report broken queues
 *   virtio_blk_queue_start      per queue, after DRIVER_OK, with a virtq the
 *                               transport set up from the negotiated features
 *   virtio_blk_kick             on a queue notification (ioeventfd)
 *   virtio_blk_complete         when virtio_blk_event_fd is readable
 *   virtio_blk_reset            on a device reset (status 0): waits for I/O
 *   virtio_blk_destroy          (the disk stays its owner's to close)
 *
 * kick drains the whole available ring, prepares one back-end operation per
 * request with iovecs pointing straight into guest RAM, and submits the
 * batch at once. complete reaps every completion, writes status bytes,
 * fills the used ring and then interrupts each queue at most once, only if
 * the driver asked (EVENT_IDX or NO_INTERRUPT). Requests that need no I/O
 * (GET_ID, errors) complete within kick, which notifies too.
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
 * complete returns -EIO, and the queue is reported broken through the
 * irq's broken call with its own number (the transport then sets
 * DEVICE_NEEDS_RESET).
 *
 * Locking: kick, complete, queue_start, reset and set_irq take an internal
 * mutex, so they may come from different threads (usually kick and
 * complete from one I/O thread, reset from a vCPU). The irq calls are made
 * with that mutex held and must not call back into this device.
 * config_read reads immutable data and takes no lock.
 */
#ifndef KVMINI_VIRTIO_BLK_H
#define KVMINI_VIRTIO_BLK_H

#include <pthread.h>
#include <stdint.h>

#include "base/util.h"
#include "devices/blk_io.h"
#include "devices/virtio_dev.h"
#include "devices/virtq.h"
#include "virtio_abi.h"

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

struct virtio_blk {
	pthread_mutex_t lock;
	struct virtio_dev vdev;    /* queues, features, interrupts */
	struct blk_io io;          /* the disk (not owned) */
	uint64_t capacity;         /* 512-byte sectors */
	int readonly;
	struct virtio_blk_config_space cfg;     /* little-endian, immutable */
	char serial[VIRTIO_BLK_ID_BYTES];       /* GET_ID answer */
	uint8_t throttled[VIRTIO_BLK_MAX_QUEUES]; /* stopped: no free slot */
	struct virtio_blk_req *reqs;
	unsigned int *free_reqs, nfree, nreqs;
	/* counters */
	uint64_t requests;         /* chains taken from the rings */
	uint64_t batches;          /* submits that sent (or failed to send) requests */
};

/* The transport's view of the device (dev is a struct virtio_blk *). */
extern const struct virtio_device_ops virtio_blk_ops;

/*
 * virtio_blk_init - a device with nqueues request queues (1..16) on the
 * disk io, which must stay open until virtio_blk_destroy. name (the image
 * path) makes the GET_ID serial and names the disk in errors. Returns 0, or
 * a negative errno with a one-line reason in err.
 */
int virtio_blk_init(struct virtio_blk *b, const struct blk_io *io, const char *name,
		    unsigned int nqueues, struct kvmini_error *err) MUST_CHECK;

/* virtio_blk_destroy - wait for I/O in flight and free (the disk stays open). */
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
 * virtio_blk_set_irq - how the device interrupts the driver and reports a
 * broken queue. Without one, completions are still pushed, just not
 * signalled.
 */
void virtio_blk_set_irq(struct virtio_blk *b, struct virtio_irq irq);

/*
 * virtio_blk_queue_start - use vq (owned by the transport, initialised with
 * virtq_init) as request queue q, features being the negotiated set.
 * Returns 0, or -EINVAL for q out of range or features not offered.
 */
int virtio_blk_queue_start(struct virtio_blk *b, unsigned int q, struct virtq *vq,
			   uint64_t features) MUST_CHECK;

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
 * resuming found a queue broken (reported, with its number, through the
 * irq's broken call), or another negative errno from the disk.
 */
int virtio_blk_complete(struct virtio_blk *b) MUST_CHECK;

/*
 * virtio_blk_reset - forget every queue after waiting for the I/O in
 * flight; its results are dropped, nothing is written to the rings.
 */
void virtio_blk_reset(struct virtio_blk *b);

#endif
