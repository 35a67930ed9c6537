/*
 * blk_backend.h - a disk image file driven through io_uring: the back end
 * behind virtio-blk (blk_backend_io gives the device its devices/blk_io.h
 * view of it).
 *
 * The caller prepares any number of operations (readv, writev, flush,
 * discard, write-zeroes), each tagged with a u64 user_data, then submits
 * the whole batch with one io_uring_submit. Completions raise an eventfd
 * (blk_backend_event_fd) that an event loop polls; blk_backend_reap hands
 * each result to a callback. If the submission queue fills up while
 * preparing, the prepared part is submitted early and preparation goes on.
 *
 * Only regular files are accepted (not block devices). The image size must
 * be a multiple of 512 bytes. The file is locked with flock(): exclusively
 * for read-write, shared for read-only, so two VMMs cannot write one disk.
 *
 * Results are raw: a read that crosses the end of the file completes with
 * fewer bytes than asked, and the caller decides what that means.
 * Write-zeroes without unmap uses FALLOC_FL_ZERO_RANGE; if the filesystem
 * refuses it (EOPNOTSUPP or EINVAL) the operation is re-issued as
 * FALLOC_FL_PUNCH_HOLE, which also reads back as zeros, and every later
 * write-zeroes goes straight to PUNCH_HOLE. Both keep the file size.
 *
 * Not thread-safe: one thread prepares, submits and reaps.
 */
#ifndef KVMINI_BLK_BACKEND_H
#define KVMINI_BLK_BACKEND_H

#include <liburing.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/util.h"
#include "devices/blk_io.h"

/* Default submission queue depth (the completion queue is twice that). */
#define BLK_BACKEND_DEFAULT_DEPTH 128

struct blk_op;   /* one in-flight operation (private) */

struct blk_backend {
	int fd;                  /* the image, -1 when closed */
	int event_fd;            /* completion eventfd, -1 when closed */
	struct io_uring ring;
	int ring_ready;
	uint64_t size;           /* image size in bytes */
	int readonly, direct;
	unsigned int depth;      /* SQ entries */
	unsigned int max_ops;    /* operations in flight at most (CQ entries) */
	struct blk_op *ops;      /* max_ops slots */
	unsigned int *free_ops;  /* stack of free slot numbers */
	unsigned int nfree;
	unsigned int prepared;   /* SQEs prepared but not yet submitted */
	int no_zero_range;       /* ZERO_RANGE refused once: use PUNCH_HOLE */
	/* counters */
	uint64_t submits;        /* io_uring_submit calls */
	uint64_t sqes;           /* SQEs submitted */
	uint64_t completions;    /* CQEs handed to callbacks */
};

/*
 * blk_backend_open - open path (O_RDONLY if readonly, else O_RDWR; O_DIRECT
 * if direct; O_CLOEXEC always), check and lock it, set up an io_uring of
 * queue_depth entries (0: BLK_BACKEND_DEFAULT_DEPTH) and its completion
 * eventfd. Returns 0, or a negative errno with a one-line reason in err:
 * missing file, not a regular file, size not a multiple of 512, locked by
 * another process (-EBUSY), io_uring unavailable.
 */
int blk_backend_open(struct blk_backend *b, const char *path, int readonly,
		     int direct, unsigned int queue_depth,
		     struct kvmini_error *err) MUST_CHECK;

/*
 * blk_backend_close - wait for operations in flight (their results are
 * dropped), tear down the ring, close the file (dropping the lock).
 * Safe on a backend that failed to open or was closed already.
 */
void blk_backend_close(struct blk_backend *b);

/*
 * blk_backend_queue_readv / _writev - prepare a vectored read or write of
 * iovcnt buffers at byte offset off. The iovec array and the buffers must
 * stay valid until the operation completes. Returns 0, -EROFS (write on a
 * read-only backend), -EBUSY (max_ops already in flight), or the errno of
 * an early submit.
 */
int blk_backend_queue_readv(struct blk_backend *b, const struct iovec *iov,
			    unsigned int iovcnt, uint64_t off,
			    uint64_t user_data) MUST_CHECK;
int blk_backend_queue_writev(struct blk_backend *b, const struct iovec *iov,
			     unsigned int iovcnt, uint64_t off,
			     uint64_t user_data) MUST_CHECK;

/* blk_backend_queue_flush - prepare an fdatasync. Errors as above. */
int blk_backend_queue_flush(struct blk_backend *b, uint64_t user_data) MUST_CHECK;

/*
 * blk_backend_queue_discard - prepare a hole punch over [off, off+len)
 * (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). Errors as above.
 */
int blk_backend_queue_discard(struct blk_backend *b, uint64_t off, uint64_t len,
			      uint64_t user_data) MUST_CHECK;

/*
 * blk_backend_queue_write_zeroes - prepare zeroing [off, off+len): a hole
 * punch if unmap, else ZERO_RANGE (falling back to a hole punch, see the
 * top of this file). Errors as above.
 */
int blk_backend_queue_write_zeroes(struct blk_backend *b, uint64_t off,
				   uint64_t len, int unmap,
				   uint64_t user_data) MUST_CHECK;

/*
 * blk_backend_submit - submit everything prepared with one io_uring_submit
 * (none if nothing is prepared). Returns the number of SQEs submitted or a
 * negative errno.
 */
int blk_backend_submit(struct blk_backend *b) MUST_CHECK;

/* Called once per completed operation; res is the CQE result (bytes or -errno). */
typedef blk_io_done_fn blk_complete_fn;

/*
 * blk_backend_reap - consume every completion available now, calling
 * cb(ctx, user_data, res) for each, without blocking. Also clears the
 * eventfd. Returns the number of callbacks made, or a negative errno.
 */
int blk_backend_reap(struct blk_backend *b, blk_complete_fn *cb, void *ctx) MUST_CHECK;

/*
 * blk_backend_drain - submit what is prepared, then block until every
 * operation in flight has completed, calling cb for each (cb may be NULL).
 * Returns 0 or a negative errno.
 */
int blk_backend_drain(struct blk_backend *b, blk_complete_fn *cb, void *ctx) MUST_CHECK;

/* blk_backend_inflight - operations prepared or submitted, not yet reaped. */
unsigned int blk_backend_inflight(const struct blk_backend *b);

/* blk_backend_event_fd - the eventfd that becomes readable on completions. */
int blk_backend_event_fd(const struct blk_backend *b);

/*
 * blk_backend_io - the disk as a device model sees it (devices/blk_io.h):
 * every op goes to the blk_backend_* call of the same name, on b, which
 * must be open and stay so while the device uses it.
 */
struct blk_io blk_backend_io(struct blk_backend *b);

#endif
