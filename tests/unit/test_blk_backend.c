/*
 * test_blk_backend.c - the io_uring disk backend on temporary files:
 * vectored read/write round trips (buffered and O_DIRECT), a read across
 * the end of the file, flush, discard, write-zeroes (and its fallback on
 * tmpfs), one submit per batch, a full submission queue, and the refusals:
 * a locked image, a size not a multiple of 512, a missing file, a
 * directory, writes to a read-only image; and the view a device model gets
 * of it (devices/blk_io.h).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "file_check.h"
#include "vmm/blk_backend.h"

#define MAX_DONE 64

struct done {
	unsigned int n;
	uint64_t ud[MAX_DONE];
	int res[MAX_DONE];
};

static char path[64];
static struct blk_backend be;
static struct done done;

/* A temporary file of size bytes, every byte fill. */
static void make_image(const char *dir, uint64_t size, uint8_t fill)
{
	uint8_t buf[4096];
	uint64_t left = size;
	int fd;

	snprintf(path, sizeof(path), "%s/kvmini-blk-XXXXXX", dir);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	memset(buf, fill, sizeof(buf));
	while (left) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		cr_assert_eq(write(fd, buf, n), (ssize_t)n);
		left -= n;
	}
	close(fd);
}

static void setup(void)
{
	memset(&done, 0, sizeof(done));
	memset(&be, 0, sizeof(be));
	be.fd = -1;
	be.event_fd = -1;
	path[0] = 0;
}

static void teardown(void)
{
	blk_backend_close(&be);
	if (path[0])
		unlink(path);
}

TestSuite(blk, .init = setup, .fini = teardown);

static void record(void *ctx, uint64_t ud, int res)
{
	struct done *d = ctx;

	cr_assert_lt(d->n, MAX_DONE);
	d->ud[d->n] = ud;
	d->res[d->n] = res;
	d->n++;
}

/* Wait on the eventfd and reap until n completions in all were seen. */
static void wait_done(unsigned int n)
{
	struct pollfd p = { .fd = blk_backend_event_fd(&be), .events = POLLIN };

	while (done.n < n) {
		cr_assert_eq(poll(&p, 1, 5000), 1, "no completion within 5 s");
		cr_assert_geq(blk_backend_reap(&be, record, &done), 0);
	}
	cr_assert_eq(done.n, n);
}

/* Result of the completion tagged ud. */
static int result_of(uint64_t ud)
{
	unsigned int i;

	for (i = 0; i < done.n; i++)
		if (done.ud[i] == ud)
			return done.res[i];
	cr_assert_fail("no completion for %llu", (unsigned long long)ud);
	return 0;
}

static void open_rw(void)
{
	struct kvmini_error err = { .msg = "" };

	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 0, &err), 0, "%s", err.msg);
}

/* Bytes of the image at off, read back through the file. */
static void read_back(uint64_t off, void *buf, size_t len)
{
	file_read_at(path, off, buf, len);
}

Test(blk, readv_writev_round_trip)
{
	uint8_t a[1024], b[3072], c[4096];
	struct iovec w[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iovec r[1] = { { c, sizeof(c) } };

	make_image("/tmp", 64 * 1024, 0);
	open_rw();
	cr_assert_eq(be.size, 64 * 1024);
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	cr_assert_eq(blk_backend_queue_writev(&be, w, 2, 8192, 7), 0);
	cr_assert_eq(blk_backend_submit(&be), 1);
	wait_done(1);
	cr_assert_eq(result_of(7), 4096);
	cr_assert_eq(blk_backend_queue_readv(&be, r, 1, 8192, 8), 0);
	cr_assert_eq(blk_backend_submit(&be), 1);
	wait_done(2);
	cr_assert_eq(result_of(8), 4096);
	cr_assert(all_bytes(c, 1024, 0x11));
	cr_assert(all_bytes(c + 1024, 3072, 0x22));
	read_back(8192 + 1000, c, 100);
	cr_assert(all_bytes(c, 24, 0x11) && all_bytes(c + 24, 76, 0x22));
	cr_assert_eq(blk_backend_inflight(&be), 0);
	cr_assert_eq(be.submits, 2);
	cr_assert_eq(be.sqes, 2);
}

Test(blk, direct_io_round_trip)
{
	struct kvmini_error err = { .msg = "" };
	uint8_t *buf = aligned_alloc(4096, 8192);
	struct iovec v = { buf, 8192 };
	int r;

	cr_assert_not_null(buf);
	make_image("/tmp", 1 << 20, 0);
	r = blk_backend_open(&be, path, 0, 1, 0, &err);
	if (r == -EINVAL) {
		free(buf);
		cr_skip_test("O_DIRECT unsupported on /tmp: %s", err.msg);
	}
	cr_assert_eq(r, 0, "%s", err.msg);
	memset(buf, 0x5a, 8192);
	cr_assert_eq(blk_backend_queue_writev(&be, &v, 1, 4096, 1), 0);
	cr_assert_eq(blk_backend_submit(&be), 1);
	wait_done(1);
	cr_assert_eq(result_of(1), 8192);
	memset(buf, 0, 8192);
	cr_assert_eq(blk_backend_queue_readv(&be, &v, 1, 4096, 2), 0);
	cr_assert_eq(blk_backend_submit(&be), 1);
	wait_done(2);
	cr_assert_eq(result_of(2), 8192);
	cr_assert(all_bytes(buf, 8192, 0x5a));
	free(buf);
}

Test(blk, read_across_eof_is_short)
{
	uint8_t buf[4096];
	struct iovec v = { buf, sizeof(buf) };

	make_image("/tmp", 8192, 0x33);
	open_rw();
	cr_assert_eq(blk_backend_queue_readv(&be, &v, 1, 6144, 1), 0);
	cr_assert_eq(blk_backend_queue_readv(&be, &v, 1, 8192, 2), 0);
	cr_assert_eq(blk_backend_submit(&be), 2);
	wait_done(2);
	cr_assert_eq(result_of(1), 2048);
	cr_assert_eq(result_of(2), 0, "read at EOF returns nothing");
}

Test(blk, flush_completes)
{
	make_image("/tmp", 4096, 0);
	open_rw();
	cr_assert_eq(blk_backend_queue_flush(&be, 42), 0);
	cr_assert_eq(blk_backend_submit(&be), 1);
	wait_done(1);
	cr_assert_eq(result_of(42), 0);
}

Test(blk, discard_punches_a_hole)
{
	uint8_t buf[16384];
	struct stat st;

	make_image("/tmp", sizeof(buf), 0xaa);
	open_rw();
	cr_assert_eq(blk_backend_queue_discard(&be, 4096, 8192, 1), 0);
	cr_assert_eq(blk_backend_submit(&be), 1);
	wait_done(1);
	cr_assert_eq(result_of(1), 0);
	read_back(0, buf, sizeof(buf));
	cr_assert(all_bytes(buf, 4096, 0xaa));
	cr_assert(all_bytes(buf + 4096, 8192, 0));
	cr_assert(all_bytes(buf + 12288, 4096, 0xaa));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, sizeof(buf), "size kept");
}

Test(blk, write_zeroes)
{
	uint8_t buf[16384];
	struct stat st;

	make_image("/tmp", sizeof(buf), 0xaa);
	open_rw();
	cr_assert_eq(blk_backend_queue_write_zeroes(&be, 512, 1024, 0, 1), 0);
	cr_assert_eq(blk_backend_queue_write_zeroes(&be, 8192, 4096, 1, 2), 0);
	cr_assert_eq(blk_backend_submit(&be), 2);
	wait_done(2);
	cr_assert_eq(result_of(1), 0);
	cr_assert_eq(result_of(2), 0);
	read_back(0, buf, sizeof(buf));
	cr_assert(all_bytes(buf, 512, 0xaa));
	cr_assert(all_bytes(buf + 512, 1024, 0));
	cr_assert(all_bytes(buf + 1536, 8192 - 1536, 0xaa));
	cr_assert(all_bytes(buf + 8192, 4096, 0));
	cr_assert(all_bytes(buf + 12288, 4096, 0xaa));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, sizeof(buf));
}

Test(blk, write_zeroes_falls_back_on_tmpfs)
{
	uint8_t buf[8192];
	struct statfs sf;

	if (statfs("/dev/shm", &sf) < 0 || sf.f_type != 0x01021994 /* TMPFS_MAGIC */)
		cr_skip_test("no tmpfs at /dev/shm");
	make_image("/dev/shm", sizeof(buf), 0xaa);
	open_rw();
	cr_assert_eq(blk_backend_queue_write_zeroes(&be, 4096, 4096, 0, 9), 0);
	cr_assert_eq(blk_backend_submit(&be), 1);
	wait_done(1);
	cr_assert_eq(result_of(9), 0);
	cr_assert(be.no_zero_range, "tmpfs has no ZERO_RANGE");
	read_back(0, buf, sizeof(buf));
	cr_assert(all_bytes(buf, 4096, 0xaa));
	cr_assert(all_bytes(buf + 4096, 4096, 0));
}

Test(blk, one_submit_per_batch)
{
	static uint8_t bufs[10][512];
	struct iovec v[10];
	unsigned int i;

	make_image("/tmp", 16384, 0x44);
	open_rw();
	for (i = 0; i < 10; i++) {
		v[i] = (struct iovec){ bufs[i], 512 };
		cr_assert_eq(blk_backend_queue_readv(&be, &v[i], 1, i * 512, 100 + i), 0);
	}
	cr_assert_eq(be.submits, 0, "preparing does not submit");
	cr_assert_eq(blk_backend_inflight(&be), 10);
	cr_assert_eq(blk_backend_submit(&be), 10);
	cr_assert_eq(be.submits, 1);
	cr_assert_eq(be.sqes, 10);
	wait_done(10);
	for (i = 0; i < 10; i++) {
		cr_assert_eq(result_of(100 + i), 512);
		cr_assert(all_bytes(bufs[i], 512, 0x44));
	}
	cr_assert_eq(blk_backend_submit(&be), 0, "nothing prepared: no syscall");
	cr_assert_eq(be.submits, 1);
}

Test(blk, full_submission_queue_submits_early)
{
	struct kvmini_error err = { .msg = "" };
	unsigned int i;

	make_image("/tmp", 4096, 0);
	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 4, &err), 0, "%s", err.msg);
	cr_assert_eq(be.depth, 4);
	for (i = 0; i < 6; i++)
		cr_assert_eq(blk_backend_queue_flush(&be, i), 0);
	cr_assert_eq(be.submits, 1, "the fifth SQE needed room");
	cr_assert_eq(blk_backend_submit(&be), 2);
	cr_assert_eq(be.submits, 2);
	wait_done(6);
	/* At most max_ops may be in flight. */
	for (i = 0; i < be.max_ops; i++)
		cr_assert_eq(blk_backend_queue_flush(&be, i), 0);
	cr_assert_eq(blk_backend_queue_flush(&be, 99), -EBUSY);
	cr_assert_eq(blk_backend_drain(&be, NULL, NULL), 0);
	cr_assert_eq(blk_backend_inflight(&be), 0);
}

Test(blk, locked_image_is_refused)
{
	struct kvmini_error err = { .msg = "" };
	struct blk_backend b2;
	int fd;

	make_image("/tmp", 4096, 0);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 0, &err), -EBUSY);
	cr_assert_not_null(strstr(err.msg, "is in use by another kvmini (locked)"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, path));
	cr_assert_eq(blk_backend_open(&be, path, 1, 0, 0, &err), -EBUSY, "ro needs a shared lock");
	/* Shared locks: readers coexist, a writer is refused. */
	cr_assert_eq(flock(fd, LOCK_SH | LOCK_NB), 0);
	cr_assert_eq(blk_backend_open(&be, path, 1, 0, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(blk_backend_open(&b2, path, 0, 0, 0, &err), -EBUSY);
	close(fd);
	/* Our own read-only open holds a shared lock too. */
	cr_assert_eq(blk_backend_open(&b2, path, 0, 0, 0, &err), -EBUSY);
	blk_backend_close(&be);
	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 0, &err), 0, "%s", err.msg);
}

Test(blk, size_not_multiple_of_512)
{
	struct kvmini_error err = { .msg = "" };

	make_image("/tmp", 1000, 0);
	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 0, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "disk image size 1000 is not a multiple of 512 bytes"),
			   "%s", err.msg);
	cr_assert_eq(be.fd, -1, "closed on failure");
}

Test(blk, missing_file)
{
	struct kvmini_error err = { .msg = "" };

	cr_assert_eq(blk_backend_open(&be, "/tmp/kvmini-no-such-disk.img", 1, 0, 0, &err),
		     -ENOENT);
	cr_assert_not_null(strstr(err.msg, "cannot open disk '/tmp/kvmini-no-such-disk.img'"),
			   "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "No such file"), "%s", err.msg);
	cr_assert_null(strchr(err.msg, '\n'));
}

Test(blk, directory_is_not_a_disk)
{
	struct kvmini_error err = { .msg = "" };

	cr_assert_eq(blk_backend_open(&be, "/tmp", 1, 0, 0, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "not a regular file"), "%s", err.msg);
}

Test(blk, readonly_refuses_writes)
{
	struct kvmini_error err = { .msg = "" };
	uint8_t buf[512];
	struct iovec v = { buf, sizeof(buf) };

	make_image("/tmp", 4096, 0x77);
	cr_assert_eq(blk_backend_open(&be, path, 1, 0, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(blk_backend_queue_writev(&be, &v, 1, 0, 1), -EROFS);
	cr_assert_eq(blk_backend_queue_discard(&be, 0, 512, 1), -EROFS);
	cr_assert_eq(blk_backend_queue_write_zeroes(&be, 0, 512, 0, 1), -EROFS);
	cr_assert_eq(blk_backend_queue_readv(&be, &v, 1, 0, 2), 0);
	cr_assert_eq(blk_backend_queue_flush(&be, 3), 0);
	cr_assert_eq(blk_backend_submit(&be), 2);
	wait_done(2);
	cr_assert_eq(result_of(2), 512);
	cr_assert(all_bytes(buf, 512, 0x77));
}

Test(blk, bad_offsets_refused)
{
	make_image("/tmp", 4096, 0);
	open_rw();
	cr_assert_eq(blk_backend_queue_discard(&be, UINT64_MAX - 10, 512, 1), -EINVAL);
	cr_assert_eq(blk_backend_queue_discard(&be, 1ULL << 63, 512, 1), -EINVAL);
	cr_assert_eq(blk_backend_inflight(&be), 0);
}

Test(blk, the_device_view_goes_to_the_backend)
{
	struct kvmini_error err = { .msg = "" };
	uint8_t buf[1024];
	struct iovec v = { buf, sizeof(buf) };
	struct blk_io io;

	make_image("/tmp", 8192, 0x5c);
	cr_assert_eq(blk_backend_open(&be, path, 1, 0, 8, &err), 0, "%s", err.msg);
	io = blk_backend_io(&be);
	cr_assert_eq(io.be, &be);
	cr_assert_eq(io.size, 8192);
	cr_assert_eq(io.max_ops, be.max_ops);
	cr_assert(io.readonly);
	cr_assert_eq(io.event_fd, blk_backend_event_fd(&be));
	cr_assert_eq(io.ops->writev(io.be, &v, 1, 0, 1), -EROFS);
	cr_assert_eq(io.ops->discard(io.be, 0, 512, 1), -EROFS);
	cr_assert_eq(io.ops->write_zeroes(io.be, 0, 512, 0, 1), -EROFS);
	cr_assert_eq(io.ops->readv(io.be, &v, 1, 1024, 2), 0);
	cr_assert_eq(io.ops->flush(io.be, 3), 0);
	cr_assert_eq(blk_backend_inflight(&be), 2);
	cr_assert_eq(io.ops->submit(io.be), 2);
	cr_assert_eq(io.ops->submit(io.be), 0, "nothing prepared");
	cr_assert_eq(io.ops->drain(io.be, record, &done), 0);
	cr_assert_eq(done.n, 2);
	cr_assert_eq(result_of(2), 1024);
	cr_assert_eq(result_of(3), 0);
	cr_assert(all_bytes(buf, sizeof(buf), 0x5c));
	cr_assert_eq(io.ops->reap(io.be, record, &done), 0, "nothing left");
}

/* Submit sqe on the backend's own ring and return its completion's result. */
static int raw_result(struct io_uring_sqe *sqe)
{
	struct io_uring_cqe *cqe;
	int res;

	io_uring_sqe_set_data64(sqe, 0x5a5a);
	cr_assert_geq(io_uring_submit(&be.ring), 0);
	cr_assert_eq(io_uring_wait_cqe(&be.ring, &cqe), 0);
	res = cqe->res;
	io_uring_cqe_seen(&be.ring, cqe);
	return res;
}

/*
 * The ring is confined before it runs: only READV, WRITEV, FSYNC and
 * FALLOCATE, only on its registered disk; a request for anything else, or
 * on any other fd, is refused by the kernel (io_uring requests bypass
 * seccomp, so this is what keeps a hijacked ring from opening files).
 */
Test(blk, ring_refuses_other_operations_and_files)
{
	struct kvmini_error err = { .msg = "" };
	struct io_uring_sqe *sqe;
	char buf[512];
	struct iovec iov = { buf, sizeof(buf) };
	int other;

	make_image("/tmp", 64 * 1024, 0x11);
	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 0, &err), 0, "%s", err.msg);
	sqe = io_uring_get_sqe(&be.ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	cr_assert_eq(raw_result(sqe), -EACCES, "OPENAT is not one of the ring's operations");
	other = open(path, O_RDONLY);
	cr_assert_geq(other, 0);
	sqe = io_uring_get_sqe(&be.ring);
	io_uring_prep_readv(sqe, other, &iov, 1, 0);
	cr_assert_eq(raw_result(sqe), -EACCES, "a plain fd, not the registered disk");
	close(other);
	sqe = io_uring_get_sqe(&be.ring);
	io_uring_prep_readv(sqe, 0, &iov, 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	cr_assert_eq(raw_result(sqe), (int)sizeof(buf), "the disk itself is readable");
	cr_assert_eq((uint8_t)buf[0], 0x11);
}

/* A shared OFD lock on byte off of path, from an open file of its own, as QEMU takes. */
static int ofd_hold(off_t off)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1 };
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(fcntl(fd, F_OFD_SETLK, &fl), 0);
	return fd;
}

static int ofd_locked(off_t off)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1 };
	int fd = open(path, O_RDONLY), r;

	cr_assert_geq(fd, 0);
	cr_assert_eq(fcntl(fd, F_OFD_GETLK, &fl), 0);
	r = fl.l_type != F_UNLCK;
	close(fd);
	return r;
}

/*
 * QEMU's byte-range scheme: kvmini read-write holds 100 (consistent read)
 * and 101 (write) and forbids sharing 201 (write) and 203 (resize); read-only
 * holds 100 and forbids 201. A holder of 201 (QEMU read-write or read-only)
 * keeps kvmini from writing; a holder of 101 (a writer) keeps even a
 * read-only kvmini out.
 */
Test(blk, qemu_byte_range_locks)
{
	struct kvmini_error err = { .msg = "" };
	int q;

	make_image("/tmp", 64 * 1024, 0);
	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 0, &err), 0, "%s", err.msg);
	cr_assert(ofd_locked(100) && ofd_locked(101) && ofd_locked(201) && ofd_locked(203));
	cr_assert(!ofd_locked(102) && !ofd_locked(200) && !ofd_locked(202));
	blk_backend_close(&be);
	cr_assert(!ofd_locked(100) && !ofd_locked(201), "closing lets go of every byte");

	q = ofd_hold(201);   /* someone that does not share write */
	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 0, &err), -EBUSY);
	cr_assert(strstr(err.msg, "does not share write access"), "%s", err.msg);
	cr_assert_eq(err.kind, KVMINI_ERR_INPUT);
	cr_assert_eq(blk_backend_open(&be, path, 1, 0, 0, &err), 0, "a reader is fine: %s", err.msg);
	blk_backend_close(&be);
	close(q);

	q = ofd_hold(101);   /* a writer */
	cr_assert_eq(blk_backend_open(&be, path, 1, 0, 0, &err), -EBUSY);
	cr_assert(strstr(err.msg, "with write access, which kvmini (read-only) cannot share"), "%s",
		  err.msg);
	close(q);
	cr_assert_eq(blk_backend_open(&be, path, 0, 0, 0, &err), 0, "%s", err.msg);
}
