/* blk_backend.c - see blk_backend.h. */
#include "vmm/blk_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

#define BLK_MAX_DEPTH 4096
#define SECTOR 512

enum blk_op_kind { OP_READ, OP_WRITE, OP_FLUSH, OP_DISCARD, OP_ZERO_RANGE };

/* What an in-flight SQE was for; its user_data is the slot number. */
struct blk_op {
	uint64_t user_data;  /* the caller's tag */
	uint64_t off, len;   /* for the write-zeroes fallback */
	enum blk_op_kind kind;
};

static void init_closed(struct blk_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->event_fd = -1;
}

/*
 * The byte-range locks QEMU takes on an image (block/file-posix.c): one
 * byte a permission, a shared OFD lock on 100 + bit for a permission held
 * and on 200 + bit for one that others may not have. kvmini takes them
 * too, so that QEMU and kvmini each refuse an image the other holds for
 * writing: a writer holds CONSISTENT_READ and WRITE and shares neither
 * WRITE nor RESIZE; a reader holds CONSISTENT_READ and does not share WRITE.
 */
#define QLOCK_PERM_BASE   100
#define QLOCK_SHARED_BASE 200
enum { QPERM_READ, QPERM_WRITE, QPERM_WRITE_UNCHANGED, QPERM_RESIZE };

static const char *const qperm_names[] = { "consistent read", "write", "write unchanged",
					   "resize" };

/* Whether another open file holds byte off (a shared lock is enough). */
static int qlock_taken(int fd, off_t off)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1 };

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type != F_UNLCK;
}

static int qlock_take(int fd, off_t off)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/*
 * Whether another holder locks byte off, where a lock on 200 + perm says
 * "perm may not be shared" and one on 100 + perm "perm is held": 0, or
 * -EBUSY (or another errno) with the reason in err.
 */
static int qlock_check(const struct blk_backend *b, const char *path, off_t off,
		       unsigned int perm, struct kvmini_error *err)
{
	int r = qlock_taken(b->fd, off);

	if (r < 0)
		return set_err(err, -r, "cannot lock disk '%s': %s", path, strerror(-r));
	if (r && off >= QLOCK_SHARED_BASE)
		return set_err(err, EBUSY,
			       "disk '%s' is in use by another program (QEMU or kvmini) that does not share %s access",
			       path, qperm_names[perm]);
	if (r)
		return set_err(err, EBUSY,
			       "disk '%s' is in use by another program (QEMU or kvmini) with %s access, which kvmini%s cannot share",
			       path, qperm_names[perm], b->readonly ? " (read-only)" : "");
	return 0;
}

static int qemu_locks(struct blk_backend *b, const char *path, struct kvmini_error *err)
{
	unsigned int held = 1u << QPERM_READ | (b->readonly ? 0 : 1u << QPERM_WRITE);
	unsigned int unshared = 1u << QPERM_WRITE | (b->readonly ? 0 : 1u << QPERM_RESIZE);
	unsigned int i;
	int r;

	/* Take, then look for another holder, as QEMU does: of two that open
	 * at once, both may refuse but never both succeed. Our own locks do not
	 * conflict with us (one open file description); closing the fd drops them. */
	for (i = 0; i < 4; i++) {
		if (((held >> i) & 1 && (r = qlock_take(b->fd, QLOCK_PERM_BASE + i))) ||
		    ((unshared >> i) & 1 && (r = qlock_take(b->fd, QLOCK_SHARED_BASE + i))))
			return set_err(err, -r, "cannot lock disk '%s': %s", path, strerror(-r));
	}
	for (i = 0; i < 4; i++) {
		if ((held >> i) & 1 && (r = qlock_check(b, path, QLOCK_SHARED_BASE + i, i, err)))
			return r;
		if ((unshared >> i) & 1 && (r = qlock_check(b, path, QLOCK_PERM_BASE + i, i, err)))
			return r;
	}
	return 0;
}

static int open_file(struct blk_backend *b, const char *path,
		     struct kvmini_error *err)
{
	int flags = (b->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	int e;

	if (b->direct)
		flags |= O_DIRECT;
	b->fd = open(path, flags);
	if (b->fd < 0) {
		e = errno;
		if (!b->readonly && (e == EACCES || e == EROFS || e == EPERM))
			return set_err(err, e, "cannot open disk '%s' for writing: %s "
				       "(add ,ro for a read-only disk)", path, strerror(e));
		if (b->direct && e == EINVAL)
			return set_err(err, e, "cannot open disk '%s' with O_DIRECT: "
				       "the filesystem does not support it", path);
		return set_err(err, e, "cannot open disk '%s': %s", path, strerror(e));
	}
	if (fstat(b->fd, &st) < 0)
		return set_err(err, errno, "cannot stat disk '%s': %s", path,
			       strerror(errno));
	if (S_ISREG(st.st_mode)) {
		b->size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		/* A host block device: its size from the kernel. */
		if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0)
			return set_err_host(err, errno, "cannot get the size of block device '%s': %s",
					    path, strerror(errno));
	} else {
		return set_err(err, EINVAL, "disk '%s' is not a regular file or a block device",
			       path);
	}
	if (b->size % SECTOR)
		return set_err(err, EINVAL,
			       "disk image size %llu is not a multiple of 512 bytes (%s)",
			       (unsigned long long)b->size, path);
	if (flock(b->fd, (b->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		e = errno;
		if (e == EWOULDBLOCK)
			return set_err(err, EBUSY,
				       "disk '%s' is in use by another kvmini (locked)", path);
		return set_err(err, e, "cannot lock disk '%s': %s", path, strerror(e));
	}
	return qemu_locks(b, path, err);
}

/*
 * Requests bypass seccomp, so the ring itself is confined before it is
 * enabled: its one file is the disk (registered, every request must use
 * it as a fixed file), its operations the four kvmini issues, and the only
 * registration left is letting go of that file (IORING_REGISTER_RESTRICTIONS).
 */
static int restrict_ring(struct blk_backend *b)
{
	struct io_uring_restriction res[] = {
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READV },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITEV },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FSYNC },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FALLOCATE },
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED, .sqe_flags = IOSQE_FIXED_FILE },
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED, .sqe_flags = IOSQE_FIXED_FILE },
		/* blk_backend_close() lets go of the disk before the ring goes */
		{ .opcode = IORING_RESTRICTION_REGISTER_OP, .register_op = IORING_UNREGISTER_FILES },
	};
	int r;

	r = io_uring_register_files(&b->ring, &b->fd, 1);
	if (r < 0)
		return r;
	/* Debian's liburing 2.3 declares io_uring_register_restrictions() and
	 * io_uring_enable_rings() but its shared library does not export them:
	 * the system call, as they would make it. */
	if (syscall(__NR_io_uring_register, b->ring.ring_fd, IORING_REGISTER_RESTRICTIONS, res,
		    (unsigned int)(sizeof(res) / sizeof(res[0]))) < 0)
		return -errno;
	if (syscall(__NR_io_uring_register, b->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL,
		    0) < 0)
		return -errno;
	return 0;
}

static int setup_ring(struct blk_backend *b, unsigned int depth,
		      struct kvmini_error *err)
{
	unsigned int i;
	int r;

	/* Made disabled, so that its restrictions are in place before it runs. */
	r = io_uring_queue_init(depth, &b->ring, IORING_SETUP_R_DISABLED);
	if (r < 0)
		return set_err_host(err, -r, "cannot set up io_uring (%u entries): %s",
			       depth, strerror(-r));
	b->ring_ready = 1;
	b->depth = b->ring.sq.ring_entries;
	b->max_ops = b->ring.cq.ring_entries;
	b->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->event_fd < 0)
		return set_err_host(err, errno, "cannot create an eventfd: %s", strerror(errno));
	r = io_uring_register_eventfd(&b->ring, b->event_fd);
	if (r < 0)
		return set_err_host(err, -r, "cannot register the io_uring eventfd: %s",
			       strerror(-r));
	r = restrict_ring(b);
	if (r < 0)
		return set_err_host(err, -r, "cannot restrict the io_uring of disk %d: %s", b->fd,
				    strerror(-r));
	b->ops = calloc(b->max_ops, sizeof(*b->ops));
	b->free_ops = calloc(b->max_ops, sizeof(*b->free_ops));
	if (!b->ops || !b->free_ops)
		return set_err(err, ENOMEM, "out of memory for %u block operations",
			       b->max_ops);
	for (i = 0; i < b->max_ops; i++)
		b->free_ops[i] = b->max_ops - 1 - i;
	b->nfree = b->max_ops;
	return 0;
}

int blk_backend_open(struct blk_backend *b, const char *path, int readonly,
		     int direct, unsigned int queue_depth, struct kvmini_error *err)
{
	int r;

	init_closed(b);
	b->readonly = !!readonly;
	b->direct = !!direct;
	if (queue_depth == 0)
		queue_depth = BLK_BACKEND_DEFAULT_DEPTH;
	if (queue_depth > BLK_MAX_DEPTH)
		queue_depth = BLK_MAX_DEPTH;
	r = open_file(b, path, err);
	if (r == 0)
		r = setup_ring(b, queue_depth, err);
	if (r < 0)
		blk_backend_close(b);
	return r;
}

void blk_backend_close(struct blk_backend *b)
{
	int r;

	if (b->ring_ready) {
		r = b->ops ? blk_backend_drain(b, NULL, NULL) : 0;
		if (r < 0)   /* io_uring_queue_exit still waits for the rest */
			log_errno(-r, "disk: cannot wait for I/O in flight");
		/* The ring's reference to the disk goes now, not when the ring's
		 * deferred teardown ends, so that its lock is free on return. */
		io_uring_unregister_files(&b->ring);
		io_uring_queue_exit(&b->ring);
	}
	if (b->event_fd >= 0)
		close(b->event_fd);
	if (b->fd >= 0)
		close(b->fd);
	free(b->ops);
	free(b->free_ops);
	init_closed(b);
}

int blk_backend_submit(struct blk_backend *b)
{
	int r;

	if (b->prepared == 0)
		return 0;
	r = io_uring_submit(&b->ring);
	b->submits++;
	if (r < 0)
		return r;
	b->sqes += (unsigned int)r;
	b->prepared -= (unsigned int)r < b->prepared ? (unsigned int)r : b->prepared;
	return r;
}

/* A free SQE, submitting what is prepared if the SQ is full. */
static int get_sqe(struct blk_backend *b, struct io_uring_sqe **out)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	int r;

	if (!sqe) {
		r = blk_backend_submit(b);
		if (r < 0)
			return r;
		sqe = io_uring_get_sqe(&b->ring);
		if (!sqe)
			return -EBUSY;
	}
	*out = sqe;
	return 0;
}

/* The disk's index among the ring's registered files. */
#define RING_FILE 0

/* Fill sqe for slot (whose kind, off and len are set). */
static void prep_op(struct blk_backend *b, struct io_uring_sqe *sqe, unsigned int slot,
		    const struct iovec *iov, unsigned int iovcnt)
{
	const struct blk_op *op = &b->ops[slot];
	int mode;

	switch (op->kind) {
	case OP_READ:
		io_uring_prep_readv(sqe, RING_FILE, iov, iovcnt, op->off);
		break;
	case OP_WRITE:
		io_uring_prep_writev(sqe, RING_FILE, iov, iovcnt, op->off);
		break;
	case OP_FLUSH:
		io_uring_prep_fsync(sqe, RING_FILE, IORING_FSYNC_DATASYNC);
		break;
	case OP_DISCARD:
	case OP_ZERO_RANGE:
		mode = FALLOC_FL_KEEP_SIZE |
		       (op->kind == OP_ZERO_RANGE ? FALLOC_FL_ZERO_RANGE :
			FALLOC_FL_PUNCH_HOLE);
		io_uring_prep_fallocate(sqe, RING_FILE, mode, (off_t)op->off, (off_t)op->len);
		break;
	}
	/* The ring may only touch the disk, registered as its file 0. */
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, slot);
	b->prepared++;
}

static int queue_op(struct blk_backend *b, enum blk_op_kind kind,
		    const struct iovec *iov, unsigned int iovcnt, uint64_t off,
		    uint64_t len, uint64_t user_data)
{
	struct io_uring_sqe *sqe;
	unsigned int slot;
	uint64_t end;
	int r;

	if (!b->ring_ready)
		return -EBADF;
	if (b->readonly && kind != OP_READ && kind != OP_FLUSH)
		return -EROFS;
	if (__builtin_add_overflow(off, len, &end) || end > (uint64_t)INT64_MAX)
		return -EINVAL;
	if ((kind == OP_READ || kind == OP_WRITE) && iovcnt > IOV_MAX)
		return -EINVAL;
	if (b->nfree == 0)
		return -EBUSY;
	r = get_sqe(b, &sqe);
	if (r < 0)
		return r;
	slot = b->free_ops[--b->nfree];
	b->ops[slot] = (struct blk_op){
		.user_data = user_data, .off = off, .len = len, .kind = kind };
	prep_op(b, sqe, slot, iov, iovcnt);
	return 0;
}

int blk_backend_queue_readv(struct blk_backend *b, const struct iovec *iov,
			    unsigned int iovcnt, uint64_t off, uint64_t user_data)
{
	return queue_op(b, OP_READ, iov, iovcnt, off, 0, user_data);
}

int blk_backend_queue_writev(struct blk_backend *b, const struct iovec *iov,
			     unsigned int iovcnt, uint64_t off, uint64_t user_data)
{
	return queue_op(b, OP_WRITE, iov, iovcnt, off, 0, user_data);
}

int blk_backend_queue_flush(struct blk_backend *b, uint64_t user_data)
{
	return queue_op(b, OP_FLUSH, NULL, 0, 0, 0, user_data);
}

int blk_backend_queue_discard(struct blk_backend *b, uint64_t off, uint64_t len,
			      uint64_t user_data)
{
	return queue_op(b, OP_DISCARD, NULL, 0, off, len, user_data);
}

int blk_backend_queue_write_zeroes(struct blk_backend *b, uint64_t off,
				   uint64_t len, int unmap, uint64_t user_data)
{
	enum blk_op_kind kind = unmap || b->no_zero_range ? OP_DISCARD : OP_ZERO_RANGE;

	return queue_op(b, kind, NULL, 0, off, len, user_data);
}

/*
 * ZERO_RANGE refused by the filesystem: re-issue slot as a hole punch.
 * Returns 0 if re-issued (the caller hears about it later), else -errno.
 */
static int retry_as_punch(struct blk_backend *b, unsigned int slot)
{
	struct io_uring_sqe *sqe;
	int r;

	b->no_zero_range = 1;
	r = get_sqe(b, &sqe);
	if (r < 0)
		return r;
	b->ops[slot].kind = OP_DISCARD;
	prep_op(b, sqe, slot, NULL, 0);
	return 0;
}

int blk_backend_reap(struct blk_backend *b, blk_complete_fn *cb, void *ctx)
{
	struct io_uring_cqe *cqe;
	unsigned int slot, requeued = 0;
	uint64_t ud, cnt;
	int n = 0, res, r;

	if (!b->ring_ready)
		return -EBADF;
	/* Clear the eventfd first: later completions signal it again. */
	if (read(b->event_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -errno;
	while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		ud = io_uring_cqe_get_data64(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&b->ring, cqe);
		if (ud >= b->max_ops)
			continue;   /* not ours; cannot happen */
		slot = (unsigned int)ud;
		if (b->ops[slot].kind == OP_ZERO_RANGE &&
		    (res == -EOPNOTSUPP || res == -EINVAL)) {
			r = retry_as_punch(b, slot);
			if (r == 0) {
				requeued++;
				continue;
			}
			res = r;
		}
		b->free_ops[b->nfree++] = slot;
		b->completions++;
		n++;
		if (cb)
			cb(ctx, b->ops[slot].user_data, res);
	}
	if (requeued) {
		r = blk_backend_submit(b);
		if (r < 0)
			return r;
	}
	return n;
}

int blk_backend_drain(struct blk_backend *b, blk_complete_fn *cb, void *ctx)
{
	struct io_uring_cqe *cqe;
	int r;

	if (!b->ring_ready)
		return 0;
	r = blk_backend_submit(b);
	if (r < 0)
		return r;
	while (blk_backend_inflight(b) > 0) {
		r = io_uring_wait_cqe(&b->ring, &cqe);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		r = blk_backend_reap(b, cb, ctx);
		if (r < 0)
			return r;
	}
	return 0;
}

unsigned int blk_backend_inflight(const struct blk_backend *b)
{
	return b->max_ops - b->nfree;
}

int blk_backend_event_fd(const struct blk_backend *b)
{
	return b->event_fd;
}

/* ---- the device's view ---- */

static int io_readv(void *be, const struct iovec *iov, unsigned int iovcnt, uint64_t off,
		    uint64_t user_data)
{
	return blk_backend_queue_readv(be, iov, iovcnt, off, user_data);
}

static int io_writev(void *be, const struct iovec *iov, unsigned int iovcnt, uint64_t off,
		     uint64_t user_data)
{
	return blk_backend_queue_writev(be, iov, iovcnt, off, user_data);
}

static int io_flush(void *be, uint64_t user_data)
{
	return blk_backend_queue_flush(be, user_data);
}

static int io_discard(void *be, uint64_t off, uint64_t len, uint64_t user_data)
{
	return blk_backend_queue_discard(be, off, len, user_data);
}

static int io_write_zeroes(void *be, uint64_t off, uint64_t len, int unmap,
			   uint64_t user_data)
{
	return blk_backend_queue_write_zeroes(be, off, len, unmap, user_data);
}

static int io_submit(void *be)
{
	return blk_backend_submit(be);
}

static int io_reap(void *be, blk_io_done_fn *cb, void *ctx)
{
	return blk_backend_reap(be, cb, ctx);
}

static int io_drain(void *be, blk_io_done_fn *cb, void *ctx)
{
	return blk_backend_drain(be, cb, ctx);
}

static const struct blk_io_ops backend_ops = {
	.readv = io_readv, .writev = io_writev, .flush = io_flush, .discard = io_discard,
	.write_zeroes = io_write_zeroes, .submit = io_submit, .reap = io_reap,
	.drain = io_drain,
};

struct blk_io blk_backend_io(struct blk_backend *b)
{
	return (struct blk_io){ .ops = &backend_ops, .be = b, .size = b->size,
				.max_ops = b->max_ops, .readonly = b->readonly,
				.event_fd = b->event_fd };
}
