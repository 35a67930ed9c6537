/*
 * blk_io.h - what virtio-blk asks of the disk behind it: a batch of
 * operations prepared one by one and submitted together, their results
 * reaped later when an eventfd says they are there. The device model makes
 * no host I/O of its own; vmm/blk_backend.c implements this on io_uring.
 *
 * Every operation carries a u64 user_data that comes back with its result.
 * The queue_* calls return 0 or a negative errno (-EBUSY: max_ops already
 * in flight, -EROFS: a write on a read-only disk). Results are raw: bytes
 * transferred (a read across the end of the image comes back short) or
 * -errno. One thread at a time calls in.
 */
#ifndef KVMINI_BLK_IO_H
#define KVMINI_BLK_IO_H

#include <stdint.h>
#include <sys/uio.h>

/* Called once per finished operation with its user_data and result. */
typedef void blk_io_done_fn(void *ctx, uint64_t user_data, int res);

struct blk_io_ops {
	/* Prepare a vectored read or write at byte offset off; iov and its
	 * buffers stay valid until the operation completes. */
	int (*readv)(void *be, const struct iovec *iov, unsigned int iovcnt,
		     uint64_t off, uint64_t user_data);
	int (*writev)(void *be, const struct iovec *iov, unsigned int iovcnt,
		      uint64_t off, uint64_t user_data);
	/* Prepare a flush of everything written (fdatasync). */
	int (*flush)(void *be, uint64_t user_data);
	/* Prepare a discard (hole punch) of [off, off+len). */
	int (*discard)(void *be, uint64_t off, uint64_t len, uint64_t user_data);
	/* Prepare zeroing [off, off+len); unmap allows deallocating it. */
	int (*write_zeroes)(void *be, uint64_t off, uint64_t len, int unmap,
			    uint64_t user_data);
	/* Submit what is prepared: the count submitted (0 when nothing was
	 * prepared) or -errno. */
	int (*submit)(void *be);
	/* Hand every result available now to cb, without blocking: the count
	 * of callbacks made or -errno. */
	int (*reap)(void *be, blk_io_done_fn *cb, void *ctx);
	/* Submit what is prepared and block until nothing is in flight,
	 * handing each result to cb (which may be NULL): 0 or -errno. */
	int (*drain)(void *be, blk_io_done_fn *cb, void *ctx);
};

/* A disk as the device sees it. */
struct blk_io {
	const struct blk_io_ops *ops;
	void *be;                /* first argument of every op */
	uint64_t size;           /* bytes, a multiple of 512 */
	unsigned int max_ops;    /* operations in flight at most */
	int readonly;            /* writes, discards and write-zeroes are refused */
	int event_fd;            /* readable when reap has results */
};

#endif
