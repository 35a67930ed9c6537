/*
 * test_virtio_blk.c - virtio-blk end to end through guest memory, on the
 * real io_uring back end (vmm/blk_backend.c) over a temporary image: the
 * shared fake driver (fake_driver.c) places requests on virtqueues, the
 * test kicks the device, waits on its completion eventfd and checks status
 * bytes, used ring entries and lengths (each checked by the driver), the
 * image file, the interrupts (at most once per batch, EVENT_IDX honoured)
 * and the number of io_uring submits. Also: config space, read-only disks,
 * every hostile chain the fake driver makes, reset with I/O in flight, a
 * ring larger than the request pool, two queues, and which queue a broken
 * one is reported as - by the device and through the PCI transport.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio_blk.h"
#include "devices/virtio_pci.h"
#include "fake_driver.c"
#include "file_check.h"
#include "vmm/blk_backend.h"

#define RAM_SIZE (4ULL << 20)
#define DISK_SECTORS 2048ULL
#define MAX_REQS   1024

static struct blk_backend be;
static struct virtio_blk blk;
static int blk_up;
static struct fd_queue tq[2];
static struct virtq vq[2];
static char path[64];
static unsigned int nreq;
static uint16_t req_head[MAX_REQS];
static uint64_t req_status[MAX_REQS];
static unsigned int notified[2], broken[2];

static void on_notify(void *ctx, unsigned int q)
{
	cr_assert_eq(ctx, &blk);
	cr_assert_lt(q, 2);
	notified[q]++;
}

static void on_broken(void *ctx, unsigned int q)
{
	cr_assert_eq(ctx, &blk);
	cr_assert_lt(q, 2);
	broken[q]++;
}

static void make_disk(void)
{
	uint8_t sec[512];
	unsigned int i;
	int fd;

	snprintf(path, sizeof(path), "/tmp/kvmini-vblk-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	for (i = 0; i < DISK_SECTORS; i++) {
		memset(sec, (uint8_t)i, sizeof(sec));
		cr_assert_eq(write(fd, sec, sizeof(sec)), 512);
	}
	close(fd);
}

static void setup(void)
{
	fd_ram_init(RAM_SIZE);
	make_disk();
	nreq = 0;
	memset(notified, 0, sizeof(notified));
	memset(broken, 0, sizeof(broken));
	memset(&be, 0, sizeof(be));
	be.fd = be.event_fd = -1;
	blk_up = 0;
}

static void teardown(void)
{
	if (blk_up)
		virtio_blk_destroy(&blk);
	blk_backend_close(&be);
	unlink(path);
	fd_ram_fini();
}

TestSuite(vblk, .init = setup, .fini = teardown);

static void start_queue(unsigned int q, unsigned int size, int event_idx)
{
	fd_queue_init(&tq[q], (uint16_t)size);
	fd_queue_start(&tq[q], &vq[q], event_idx, 1);
	cr_assert_eq(virtio_blk_queue_start(&blk, q, &vq[q], virtio_blk_features(&blk)), 0);
}

/* A device on the test image, its back end depth entries deep (0: default). */
static void init_dev(int readonly, unsigned int depth, unsigned int nq)
{
	struct kvmini_error err = { .msg = "" };
	struct blk_io io;

	cr_assert_eq(blk_backend_open(&be, path, readonly, 0, depth, &err), 0, "%s", err.msg);
	io = blk_backend_io(&be);
	cr_assert_eq(virtio_blk_init(&blk, &io, path, nq, &err), 0, "%s", err.msg);
	blk_up = 1;
	virtio_blk_set_irq(&blk, (struct virtio_irq){ .notify = on_notify, .broken = on_broken,
						      .ctx = &blk });
}

/* A device with nq queues of size entries. */
static void start(int readonly, int event_idx, unsigned int size, unsigned int nq)
{
	unsigned int q;

	init_dev(readonly, 0, nq);
	for (q = 0; q < nq && q < ARRAY_SIZE(tq); q++)
		start_queue(q, size, event_idx);
}

/* A request header in guest RAM; a status byte of 0xee for request i. */
static uint64_t new_hdr(unsigned int i, uint32_t type, uint64_t sector)
{
	struct virtio_blk_req_hdr h = { .type = type, .sector = sector };

	req_status[i] = fd_put("\xee", 1);
	return fd_put(&h, sizeof(h));
}

/* Make request i's chain of n segments available on q. */
static unsigned int offer(unsigned int q, unsigned int i, const struct fd_seg *s,
			  unsigned int n)
{
	req_head[i] = fd_add(&tq[q], s, n, i);
	return i;
}

/*
 * Queue request i on q: header, then data (device-writable if dwrites),
 * then the status byte; returns i. *data_gpa gets the data address.
 */
static unsigned int req(unsigned int q, uint32_t type, uint64_t sector,
			uint32_t len, int dwrites, uint64_t *data_gpa)
{
	unsigned int i = nreq++;
	uint64_t h = new_hdr(i, type, sector), g = 0;
	struct fd_seg s[3];
	unsigned int n = 0;

	cr_assert_lt(i, MAX_REQS);
	s[n++] = FD_R(h, 16);
	if (len) {
		g = fd_alloc(len, 512);
		s[n++] = (struct fd_seg){ g, len, dwrites };
	}
	s[n++] = FD_W(req_status[i], 1);
	if (data_gpa)
		*data_gpa = g;
	return offer(q, i, s, n);
}

/* A discard / write-zeroes request with one segment. */
static unsigned int req_dwz(uint32_t type, uint64_t sector, uint32_t num, uint32_t flags)
{
	uint64_t g;
	unsigned int i = req(0, type, 0, 16, 0, &g);
	struct virtio_blk_dwz_seg *seg = fd_ptr(g, sizeof(*seg));

	*seg = (struct virtio_blk_dwz_seg){ sector, num, flags };
	return i;
}

static uint8_t status_of(unsigned int i)
{
	return *(uint8_t *)fd_ptr(req_status[i], 1);
}

/* The used length reported for request i on q (fails if not used). */
static uint32_t used_len(unsigned int q, unsigned int i)
{
	return fd_used_len(&tq[q], req_head[i]);
}

static uint16_t used_idx(unsigned int q)
{
	return fd_used(&tq[q])->idx;
}

/* Complete until queue q's used index reaches n. */
static void wait_used(unsigned int q, uint16_t n)
{
	struct pollfd p = { .fd = virtio_blk_event_fd(&blk), .events = POLLIN };

	while (used_idx(q) != n) {
		cr_assert_eq(poll(&p, 1, 5000), 1, "no completion within 5 s");
		cr_assert_eq(virtio_blk_complete(&blk), 0);
	}
}

/* Wait until the backend has n completions ready, without reaping them. */
static void wait_cqes(unsigned int n)
{
	struct timespec ts = { 0, 1000000 };
	unsigned int tries = 0;

	while (io_uring_cq_ready(&be.ring) < n) {
		cr_assert_lt(tries++, 5000, "completions did not arrive");
		nanosleep(&ts, NULL);
	}
}

/* Bytes of the image at off, read back through the file. */
static void file_read(uint64_t off, void *buf, size_t len)
{
	file_read_at(path, off, buf, len);
}

Test(vblk, write_then_read)
{
	uint8_t buf[4096];
	unsigned int w, r;
	uint32_t cookie, len;
	uint64_t wd, rd;

	start(0, 0, 128, 1);
	w = req(0, VIRTIO_BLK_T_OUT, 8, 4096, 0, &wd);
	memset(fd_ptr(wd, 4096), 0xc3, 4096);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	wait_used(0, 1);
	cr_assert_eq(status_of(w), VIRTIO_BLK_S_OK);
	cr_assert_eq(used_len(0, w), 1, "an OUT writes only the status");
	file_read(8 * 512, buf, sizeof(buf));
	cr_assert(all_bytes(buf, sizeof(buf), 0xc3));
	file_read(7 * 512, buf, 512);
	cr_assert(all_bytes(buf, 512, 7), "neighbour untouched");

	r = req(0, VIRTIO_BLK_T_IN, 7, 2048, 1, &rd);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	wait_used(0, 2);
	cr_assert_eq(status_of(r), VIRTIO_BLK_S_OK);
	cr_assert_eq(used_len(0, r), 2049);
	cr_assert(all_bytes(fd_ptr(rd, 512), 512, 7));
	cr_assert(all_bytes(fd_ptr(rd + 512, 1536), 1536, 0xc3));
	cr_assert_eq(blk.requests, 2);
	cr_assert_eq(blk.vdev.notifications, 2);
	cr_assert_eq(notified[0], 2);
	/* The driver's checks on what came back. */
	cr_assert_eq(fd_poll(&tq[0], &cookie, &len), 1);
	cr_assert_eq(cookie, w);
	cr_assert_eq(fd_poll(&tq[0], &cookie, &len), 1);
	cr_assert_eq(cookie, r);
	cr_assert_eq(len, 2049);
}

Test(vblk, flush)
{
	unsigned int i;

	start(0, 0, 128, 1);
	i = req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	wait_used(0, 1);
	cr_assert_eq(status_of(i), VIRTIO_BLK_S_OK);
	cr_assert_eq(used_len(0, i), 1);
	cr_assert_eq(be.sqes, 1);
}

Test(vblk, get_id)
{
	unsigned int i, j;
	uint64_t g, g2;

	start(0, 0, 128, 1);
	i = req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, &g);
	j = req(0, VIRTIO_BLK_T_GET_ID, 0, 8, 1, &g2);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	cr_assert_eq(used_idx(0), 2, "answered without I/O");
	cr_assert_eq(be.submits, 0);
	cr_assert_eq(notified[0], 1, "one notification for the kick");
	cr_assert_eq(status_of(i), VIRTIO_BLK_S_OK);
	cr_assert_eq(used_len(0, i), 21);
	cr_assert_eq(memcmp(fd_ptr(g, 20), "kvmini-vblk-", 12), 0);
	cr_assert_eq(memcmp(fd_ptr(g, 20), blk.serial, 20), 0);
	cr_assert_eq(used_len(0, j), 9, "a short buffer gets a prefix");
	cr_assert_eq(memcmp(fd_ptr(g2, 8), blk.serial, 8), 0);
}

Test(vblk, discard_and_write_zeroes)
{
	uint8_t buf[8 * 512];
	unsigned int d, z, zu;

	start(0, 0, 128, 1);
	d = req_dwz(VIRTIO_BLK_T_DISCARD, 16, 8, 0);
	z = req_dwz(VIRTIO_BLK_T_WRITE_ZEROES, 32, 3, 0);
	zu = req_dwz(VIRTIO_BLK_T_WRITE_ZEROES, 40, 8, VIRTIO_BLK_DWZ_F_UNMAP);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 3);
	cr_assert_eq(be.submits, 1);
	wait_used(0, 3);
	cr_assert_eq(status_of(d), VIRTIO_BLK_S_OK);
	cr_assert_eq(status_of(z), VIRTIO_BLK_S_OK);
	cr_assert_eq(status_of(zu), VIRTIO_BLK_S_OK);
	cr_assert_eq(used_len(0, z), 1);
	file_read(16 * 512, buf, sizeof(buf));
	cr_assert(all_bytes(buf, sizeof(buf), 0));
	file_read(31 * 512, buf, 5 * 512);
	cr_assert(all_bytes(buf, 512, 31));
	cr_assert(all_bytes(buf + 512, 3 * 512, 0));
	cr_assert(all_bytes(buf + 4 * 512, 512, 35));
	file_read(40 * 512, buf, sizeof(buf));
	cr_assert(all_bytes(buf, sizeof(buf), 0));
}

Test(vblk, discard_and_write_zeroes_refusals)
{
	unsigned int unmap, rsvd, two, big, past, zero;

	start(0, 0, 128, 1);
	unmap = req_dwz(VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_DWZ_F_UNMAP);
	rsvd = req_dwz(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0x10);
	two = req(0, VIRTIO_BLK_T_DISCARD, 0, 32, 0, NULL);
	big = req_dwz(VIRTIO_BLK_T_WRITE_ZEROES, 0, VIRTIO_BLK_MAX_DWZ_SECTORS + 1, 0);
	past = req_dwz(VIRTIO_BLK_T_DISCARD, DISK_SECTORS - 4, 8, 0);
	zero = req_dwz(VIRTIO_BLK_T_DISCARD, DISK_SECTORS, 0, 0);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 6);
	cr_assert_eq(used_idx(0), 6);
	cr_assert_eq(be.sqes, 0, "no I/O for any of them");
	cr_assert_eq(status_of(unmap), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(status_of(rsvd), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(status_of(two), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(status_of(big), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(past), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(zero), VIRTIO_BLK_S_OK);
}

Test(vblk, unsupported_type)
{
	unsigned int a, b;

	start(0, 0, 128, 1);
	a = req(0, 99, 0, 0, 0, NULL);
	b = req(0, 7, 0, 512, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	cr_assert_eq(status_of(a), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(status_of(b), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(used_len(0, a), 1);
	cr_assert_eq(used_len(0, b), 1);
}

Test(vblk, sector_range_checks)
{
	unsigned int last, past, wrap, odd;
	uint64_t g;

	start(0, 0, 128, 1);
	last = req(0, VIRTIO_BLK_T_IN, DISK_SECTORS - 2, 1024, 1, &g);
	past = req(0, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024, 1, NULL);
	wrap = req(0, VIRTIO_BLK_T_OUT, UINT64_MAX, 512, 0, NULL);
	odd = req(0, VIRTIO_BLK_T_IN, 0, 100, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 4);
	cr_assert_eq(be.sqes, 1, "only the valid request reached the disk");
	wait_used(0, 4);
	cr_assert_eq(status_of(last), VIRTIO_BLK_S_OK);
	cr_assert(all_bytes(fd_ptr(g, 512), 512, (uint8_t)(DISK_SECTORS - 2)));
	cr_assert_eq(status_of(past), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(used_len(0, past), 1);
	cr_assert_eq(status_of(wrap), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(odd), VIRTIO_BLK_S_IOERR);
}

Test(vblk, wrong_data_direction)
{
	unsigned int in_ro, out_wr;

	start(0, 0, 128, 1);
	in_ro = req(0, VIRTIO_BLK_T_IN, 0, 512, 0, NULL);
	out_wr = req(0, VIRTIO_BLK_T_OUT, 0, 512, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	cr_assert_eq(status_of(in_ro), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(out_wr), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(be.sqes, 0);
}

Test(vblk, read_only_disk)
{
	uint8_t buf[512];
	unsigned int w, d, z, r;
	uint64_t f, g;

	start(1, 0, 128, 1);
	f = virtio_blk_features(&blk);
	cr_assert(f & (1ULL << VIRTIO_BLK_F_RO));
	cr_assert_not(f & (1ULL << VIRTIO_BLK_F_DISCARD));
	cr_assert_not(f & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	w = req(0, VIRTIO_BLK_T_OUT, 3, 512, 0, NULL);
	d = req_dwz(VIRTIO_BLK_T_DISCARD, 3, 1, 0);
	z = req_dwz(VIRTIO_BLK_T_WRITE_ZEROES, 3, 1, 0);
	r = req(0, VIRTIO_BLK_T_IN, 3, 512, 1, &g);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 4);
	wait_used(0, 4);
	cr_assert_eq(status_of(w), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(d), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(z), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(r), VIRTIO_BLK_S_OK);
	cr_assert(all_bytes(fd_ptr(g, 512), 512, 3));
	file_read(3 * 512, buf, sizeof(buf));
	cr_assert(all_bytes(buf, sizeof(buf), 3));
}

Test(vblk, batch_of_32_is_one_submit_and_one_interrupt)
{
	unsigned int i, first = 0;

	start(0, 0, 128, 1);
	for (i = 0; i < 32; i++) {
		unsigned int k = req(0, VIRTIO_BLK_T_IN, i * 8, 4096, 1, NULL);

		if (i == 0)
			first = k;
	}
	cr_assert_eq(virtio_blk_kick(&blk, 0), 32);
	cr_assert_eq(be.submits, 1);
	cr_assert_eq(blk.batches, 1);
	cr_assert_eq(be.sqes, 32);
	cr_assert_eq(notified[0], 0, "nothing completed yet");
	wait_cqes(32);
	cr_assert_eq(virtio_blk_complete(&blk), 0);
	cr_assert_eq(used_idx(0), 32);
	cr_assert_eq(notified[0], 1, "one interrupt for the batch");
	for (i = first; i < first + 32; i++) {
		cr_assert_eq(status_of(i), VIRTIO_BLK_S_OK);
		cr_assert_eq(used_len(0, i), 4097);
	}
	/* A complete with nothing new neither pushes nor notifies. */
	cr_assert_eq(virtio_blk_complete(&blk), 0);
	cr_assert_eq(notified[0], 1);
}

Test(vblk, event_idx_suppresses_interrupts)
{
	start(0, 1, 128, 1);
	*fd_used_event(&tq[0]) = 0;
	req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(*fd_avail_event(&tq[0]), 1, "kick me at the next request");
	wait_used(0, 1);
	cr_assert_eq(notified[0], 1);
	/* The driver only wants to hear at used index 10. */
	*fd_used_event(&tq[0]) = 10;
	req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL);
	req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	wait_used(0, 3);
	cr_assert_eq(notified[0], 1, "suppressed");
	*fd_used_event(&tq[0]) = 3;
	req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(notified[0], 2);
}

Test(vblk, no_interrupt_flag)
{
	start(0, 0, 128, 1);
	fd_avail(&tq[0])->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(used_idx(0), 1);
	cr_assert_eq(notified[0], 0);
}

Test(vblk, any_layout_and_indirect)
{
	unsigned int a, b, c;
	struct fd_seg s[3];
	uint64_t h, g, gi;

	start(0, 0, 128, 1);
	/* OUT with the header split 8 + 8 and the data sharing the second. */
	a = nreq++;
	h = new_hdr(a, VIRTIO_BLK_T_OUT, 100);
	g = fd_alloc(8 + 512, 16);
	memcpy(fd_ptr(g, 8), fd_ptr(h + 8, 8), 8);
	memset(fd_ptr(g + 8, 512), 0x99, 512);
	s[0] = FD_R(h, 8);
	s[1] = FD_R(g, 8 + 512);
	s[2] = FD_W(req_status[a], 1);
	offer(0, a, s, 3);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	wait_used(0, 1);
	cr_assert_eq(status_of(a), VIRTIO_BLK_S_OK);
	/* IN whose data and status share one writable buffer. */
	b = nreq++;
	s[0] = FD_R(new_hdr(b, VIRTIO_BLK_T_IN, 100), 16);
	gi = fd_alloc(513, 16);
	s[1] = FD_W(gi, 513);
	offer(0, b, s, 2);
	/* A FLUSH through an indirect table. */
	c = nreq++;
	s[0] = FD_R(new_hdr(c, VIRTIO_BLK_T_FLUSH, 0), 16);
	s[1] = FD_W(req_status[c], 1);
	req_head[c] = fd_add_indirect(&tq[0], s, 2, c);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	wait_used(0, 3);
	cr_assert_eq(used_len(0, b), 513);
	cr_assert(all_bytes(fd_ptr(gi, 512), 512, 0x99));
	cr_assert_eq(*(uint8_t *)fd_ptr(gi + 512, 1), VIRTIO_BLK_S_OK, "status is the last byte");
	cr_assert_eq(status_of(c), VIRTIO_BLK_S_OK);
}

Test(vblk, malformed_chain_breaks_the_queue)
{
	start(0, 0, 128, 1);
	fd_hostile(&tq[0], FD_LOOP);
	cr_assert_eq(virtio_blk_kick(&blk, 0), -EIO);
	cr_assert(vq[0].broken);
	cr_assert_eq(broken[0], 1, "reported as queue 0");
	cr_assert_eq(used_idx(0), 0);
	cr_assert_eq(virtio_blk_kick(&blk, 0), -EIO, "stays broken");
}

Test(vblk, every_hostile_chain_breaks_the_queue)
{
	unsigned int h;

	init_dev(0, 0, 1);
	for (h = 0; h < FD_HOSTILE_COUNT; h++) {
		start_queue(0, 128, h & 1);
		memset(broken, 0, sizeof(broken));
		fd_hostile(&tq[0], h);
		cr_assert_eq(virtio_blk_kick(&blk, 0), -EIO, "%s accepted", fd_hostile_name(h));
		cr_assert(vq[0].broken, "%s", fd_hostile_name(h));
		cr_assert_geq(broken[0], 1, "%s not reported", fd_hostile_name(h));
		cr_assert_eq(used_idx(0), 0, "%s", fd_hostile_name(h));
		cr_assert_eq(blk.requests, 0, "%s", fd_hostile_name(h));
		cr_assert_eq(be.sqes, 0, "%s", fd_hostile_name(h));
	}
}

Test(vblk, chain_without_status_breaks_the_queue)
{
	struct fd_seg s;

	start(0, 0, 128, 1);
	s = FD_R(new_hdr(0, VIRTIO_BLK_T_FLUSH, 0), 16);
	fd_add(&tq[0], &s, 1, 0);
	cr_assert_eq(virtio_blk_kick(&blk, 0), -EIO);
	cr_assert(vq[0].broken);
	cr_assert_eq(broken[0], 1);
	cr_assert_eq(used_idx(0), 0);
}

Test(vblk, short_header_is_an_error)
{
	struct fd_seg s[2];

	start(0, 0, 128, 1);
	s[0] = FD_R(new_hdr(0, VIRTIO_BLK_T_FLUSH, 0), 12);
	s[1] = FD_W(req_status[0], 1);
	nreq = 1;
	offer(0, 0, s, 2);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(status_of(0), VIRTIO_BLK_S_IOERR);
	cr_assert_not(vq[0].broken);
}

Test(vblk, config_space)
{
	uint8_t b[8];
	uint64_t cap = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;

	start(0, 0, 128, 3);
	virtio_blk_config_read(&blk, 0, &cap, 8);
	cr_assert_eq(cap, DISK_SECTORS);
	virtio_blk_config_read(&blk, 0x0c, &v32, 4);
	cr_assert_eq(v32, VIRTIO_BLK_SEG_MAX);
	virtio_blk_config_read(&blk, 0x14, &v32, 4);
	cr_assert_eq(v32, 512);
	virtio_blk_config_read(&blk, 0x22, &v16, 2);
	cr_assert_eq(v16, 3);
	virtio_blk_config_read(&blk, 0x28, &v32, 4);
	cr_assert_eq(v32, 1, "max_discard_seg");
	virtio_blk_config_read(&blk, 0x38, b, 1);
	cr_assert_eq(b[0], 1, "write_zeroes_may_unmap");
	memset(b, 0xff, sizeof(b));
	virtio_blk_config_read(&blk, 0x38, b, 8);   /* straddles the end */
	cr_assert_eq(b[0], 1);
	cr_assert(all_bytes(b + 1, 7, 0));
	memset(b, 0xff, sizeof(b));
	virtio_blk_config_read(&blk, 0x1000, b, 8);
	cr_assert(all_bytes(b, 8, 0));
	virtio_blk_config_read(&blk, UINT64_MAX - 2, b, 8);
	cr_assert(all_bytes(b, 8, 0));
	cr_assert_eq(virtio_blk_features(&blk),
		     1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_EVENT_IDX |
		     1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH |
		     1ULL << VIRTIO_BLK_F_MQ | 1ULL << VIRTIO_BLK_F_DISCARD |
		     1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
}

Test(vblk, reset_with_io_in_flight)
{
	unsigned int i;

	start(0, 0, 128, 1);
	for (i = 0; i < 4; i++)
		req(0, VIRTIO_BLK_T_IN, i, 512, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 4);
	virtio_blk_reset(&blk);
	cr_assert_eq(blk_backend_inflight(&be), 0);
	cr_assert_eq(blk.nfree, blk.nreqs);
	cr_assert_eq(virtio_blk_complete(&blk), 0);
	cr_assert_eq(used_idx(0), 0, "nothing completes into a reset queue");
	cr_assert_eq(status_of(0), 0xee);
	cr_assert_eq(notified[0], 0);
	cr_assert_eq(virtio_blk_kick(&blk, 0), -EINVAL, "queue forgotten");
	/* The driver sets the queue up again and goes on. */
	start_queue(0, 128, 0);
	i = req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	wait_used(0, 1);
	cr_assert_eq(status_of(i), VIRTIO_BLK_S_OK);
}

Test(vblk, more_requests_than_slots)
{
	unsigned int i, n = 300;
	int r;

	start(0, 0, 1024, 1);
	cr_assert_lt(blk.nreqs, n);
	for (i = 0; i < n; i++)
		req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL);
	r = virtio_blk_kick(&blk, 0);
	cr_assert_eq(r, (int)blk.nreqs, "took as many as there are slots");
	cr_assert(blk.throttled[0]);
	wait_used(0, (uint16_t)n);
	cr_assert_not(blk.throttled[0]);
	for (i = 0; i < n; i++)
		cr_assert_eq(status_of(i), VIRTIO_BLK_S_OK);
	cr_assert_eq(blk.requests, n);
}

Test(vblk, two_queues)
{
	unsigned int a, b;

	start(0, 0, 128, 2);
	a = req(1, VIRTIO_BLK_T_IN, 5, 512, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 0, "queue 0 is empty");
	cr_assert_eq(virtio_blk_kick(&blk, 1), 1);
	wait_used(1, 1);
	cr_assert_eq(status_of(a), VIRTIO_BLK_S_OK);
	cr_assert_eq(notified[1], 1);
	cr_assert_eq(notified[0], 0);
	b = req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(status_of(b), VIRTIO_BLK_S_OK);
	cr_assert_eq(notified[0], 1);
	cr_assert_eq(virtio_blk_kick(&blk, 2), -EINVAL);
}

/*
 * Two queues on a disk with two request slots: queue 0 takes both, so a
 * hostile chain on queue 1 waits (throttled) and is only seen when the
 * completions free the slots. Returns with queue 1's chain published.
 */
static void throttle_then_break_queue_1(void)
{
	unsigned int i;

	cr_assert_eq(blk.nreqs, 2, "a disk of depth 1 has two slots");
	for (i = 0; i < 2; i++)
		req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL);
	fd_hostile(&tq[1], FD_LOOP);
}

Test(vblk, a_queue_broken_while_resuming_is_reported_as_itself)
{
	init_dev(0, 1, 2);
	start_queue(0, 16, 0);
	start_queue(1, 16, 0);
	throttle_then_break_queue_1();
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	cr_assert(blk.throttled[0]);
	cr_assert_eq(virtio_blk_kick(&blk, 1), 0, "no slot: the chain waits");
	cr_assert(blk.throttled[1]);
	cr_assert_not(vq[1].broken);
	wait_cqes(2);
	cr_assert_eq(virtio_blk_complete(&blk), -EIO);
	cr_assert(vq[1].broken);
	cr_assert_not(vq[0].broken);
	cr_assert_eq(broken[1], 1, "queue 1 is the broken one");
	cr_assert_eq(broken[0], 0, "queue 0 is fine");
	cr_assert_eq(used_idx(0), 2);
}

Test(vblk, through_the_transport_the_broken_queue_is_the_one_named)
{
	static struct virtio_pci vp;
	struct fd_pci p;
	uint8_t s;

	init_dev(0, 1, 2);
	cr_assert_eq(virtio_pci_init(&vp, &virtio_blk_ops, &blk, &fd_mem, (struct msi_host){ 0 },
				     (struct irq_line){ 0 }, 2, 256), 0);
	virtio_blk_set_irq(&blk, virtio_pci_irq(&vp, 0));
	fd_pci_attach(&p, &vp);
	cr_assert_eq(fd_pci_features(&p), virtio_blk_features(&blk));
	fd_queue_init(&tq[0], 16);
	fd_queue_init(&tq[1], 16);
	s = fd_pci_start(&p, virtio_blk_features(&blk), tq, 2);
	cr_assert(s & VIRTIO_STATUS_DRIVER_OK);
	throttle_then_break_queue_1();
	fd_pci_kick(&p, 0);
	fd_pci_kick(&p, 1);
	cr_assert_not(fd_pci_status(&p) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	wait_cqes(2);
	/* What vmm/blkdev.c does when io_uring's eventfd is readable. */
	virtio_pci_lock(&vp);
	cr_assert_eq(virtio_blk_complete(&blk), -EIO);
	virtio_pci_unlock(&vp);
	cr_assert(fd_pci_status(&p) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	cr_assert_eq(vp.broken_queues, 1u << 1, "queue 1, not 0, is reported broken");
	cr_assert_eq(used_idx(0), 2, "queue 0's requests completed");
	fd_pci_reset(&p);
	cr_assert_eq(vp.broken_queues, 0);
	virtio_pci_destroy(&vp);
}

Test(vblk, init_refusals)
{
	struct kvmini_error err = { .msg = "" };
	struct blk_backend b2;
	struct virtio_blk blk2;
	struct blk_io io;

	start(0, 0, 128, 1);
	io = blk_backend_io(&be);
	cr_assert_eq(virtio_blk_init(&blk2, &io, path, 0, &err), -EINVAL);
	cr_assert_eq(virtio_blk_init(&blk2, &io, path, VIRTIO_BLK_MAX_QUEUES + 1, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
	cr_assert_eq(virtio_blk_init(&blk2, NULL, path, 1, &err), -EINVAL);
	cr_assert_eq(blk_backend_open(&b2, "/tmp/kvmini-missing.img", 0, 0, 0, &err), -ENOENT);
	cr_assert_not_null(strstr(err.msg, "kvmini-missing.img"), "%s", err.msg);
	cr_assert_eq(blk_backend_open(&b2, path, 0, 0, 0, &err), -EBUSY, "the image is locked");
	cr_assert_eq(virtio_blk_queue_start(&blk, 1, &vq[0], virtio_blk_features(&blk)), -EINVAL);
	cr_assert_eq(virtio_blk_queue_start(&blk, 0, &vq[0], 1ULL << VIRTIO_F_EVENT_IDX), -EINVAL,
		     "no VERSION_1");
	cr_assert_eq(virtio_blk_queue_start(&blk, 0, &vq[0], virtio_blk_features(&blk) |
					    1ULL << VIRTIO_BLK_F_RO), -EINVAL, "not offered");
}

Test(vblk, short_read_after_the_image_shrank)
{
	unsigned int i;
	uint64_t g;

	start(0, 0, 128, 1);
	cr_assert_eq(truncate(path, (DISK_SECTORS - 2) * 512), 0);
	i = req(0, VIRTIO_BLK_T_IN, DISK_SECTORS - 3, 1024, 1, &g);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	wait_used(0, 1);
	cr_assert_eq(status_of(i), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(used_len(0, i), 513, "the bytes read still count");
	cr_assert(all_bytes(fd_ptr(g, 512), 512, (uint8_t)(DISK_SECTORS - 3)));
}
