/*
 * test_virtio_blk.c - virtio-blk end to end through guest memory: the test
 * plays the driver, placing requests on a virtqueue in a heap-backed
 * guest RAM, kicks the device, waits on its completion eventfd and checks
 * status bytes, used ring entries and lengths, the image file, the
 * notifier (at most once per batch, EVENT_IDX honoured) and the number of
 * io_uring submits. Also: config space, read-only disks, hostile chains,
 * reset with I/O in flight, a ring larger than the request pool, two queues.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file_check.h"
#include "base/guestmem.h"
#include "devices/virtio_blk.h"

#define RAM_SIZE (4ULL << 20)
#define DISK_SECTORS 2048ULL
#define HDR_GPA    0x10000ULL   /* 16 bytes per request */
#define STATUS_GPA 0x20000ULL   /* 1 byte per request */
#define TABLE_GPA  0x30000ULL   /* indirect tables */
#define DATA_GPA   0x100000ULL  /* bump-allocated data buffers */
#define MAX_REQS   1024

struct tq {
	struct virtq vq;
	gpa_t desc, avail, used;
	unsigned int size, next_desc;
};

static uint8_t *ram;
static struct guest_mem mem;
static struct virtio_blk blk;
static int blk_up;
static struct tq tq[2];
static char path[64];
static unsigned int nreq;
static uint16_t req_head[MAX_REQS];
static gpa_t data_next;
static unsigned int notified[2];

static void on_notify(void *ctx, unsigned int q)
{
	cr_assert_eq(ctx, &blk);
	cr_assert_lt(q, 2);
	notified[q]++;
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
	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert_not_null(ram);
	memset(ram, 0, RAM_SIZE);
	gmem_init_buffer(&mem, ram, RAM_SIZE);
	make_disk();
	nreq = 0;
	data_next = DATA_GPA;
	memset(notified, 0, sizeof(notified));
	blk_up = 0;
}

static void teardown(void)
{
	if (blk_up)
		virtio_blk_destroy(&blk);
	unlink(path);
	free(ram);
}

TestSuite(vblk, .init = setup, .fini = teardown);

static void start_queue(unsigned int q, unsigned int size, int event_idx)
{
	struct tq *t = &tq[q];

	t->desc = q ? 0x40000 : 0x0;
	t->avail = t->desc + 0x8000;
	t->used = t->desc + 0x9000;
	t->size = size;
	t->next_desc = 0;
	cr_assert_eq(virtq_init(&t->vq, &mem, size, t->desc, t->avail, t->used,
				event_idx, 1), 0);
	cr_assert_eq(virtio_blk_queue_start(&blk, q, &t->vq), 0);
}

/* A device on the test image with nq queues of size entries. */
static void start(int readonly, int event_idx, unsigned int size, unsigned int nq)
{
	struct kvmini_error err = { { 0 } };
	unsigned int q;

	cr_assert_eq(virtio_blk_init(&blk, path, readonly, 0, nq, &err), 0, "%s", err.msg);
	blk_up = 1;
	virtio_blk_set_notifier(&blk, on_notify, &blk);
	for (q = 0; q < nq && q < ARRAY_SIZE(tq); q++)
		start_queue(q, size, event_idx);
}

static struct virtq_avail *avail_of(unsigned int q)
{
	return (struct virtq_avail *)(ram + tq[q].avail);
}

static struct virtq_used *used_of(unsigned int q)
{
	return (struct virtq_used *)(ram + tq[q].used);
}

static uint16_t new_desc(unsigned int q, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct tq *t = &tq[q];
	uint16_t i = (uint16_t)(t->next_desc++ % t->size);
	struct virtq_desc *d = (struct virtq_desc *)(ram + t->desc) + i;

	*d = (struct virtq_desc){ addr, len, flags, 0 };
	return i;
}

/* Link descriptor a to b. */
static void link_desc(unsigned int q, uint16_t a, uint16_t b)
{
	struct virtq_desc *d = (struct virtq_desc *)(ram + tq[q].desc) + a;

	d->flags |= VIRTQ_DESC_F_NEXT;
	d->next = b;
}

static void offer(unsigned int q, uint16_t head)
{
	struct virtq_avail *a = avail_of(q);

	a->ring[a->idx % tq[q].size] = head;
	a->idx++;
}

static gpa_t data_alloc(uint32_t len)
{
	gpa_t g = data_next;

	data_next += (len + 511) & ~511u;
	cr_assert_leq(data_next, RAM_SIZE);
	return g;
}

static void write_hdr(unsigned int i, uint32_t type, uint64_t sector)
{
	struct virtio_blk_req_hdr *h = (struct virtio_blk_req_hdr *)(ram + HDR_GPA) + i;

	*h = (struct virtio_blk_req_hdr){ .type = type, .sector = sector };
	ram[STATUS_GPA + i] = 0xee;
}

/*
 * Queue request i on q: header, then data (device-writable if dwrites),
 * then the status byte; returns i. *data_gpa gets the data address.
 */
static unsigned int req(unsigned int q, uint32_t type, uint64_t sector,
			uint32_t len, int dwrites, gpa_t *data_gpa)
{
	unsigned int i = nreq++;
	uint16_t h, d, s;
	gpa_t g = 0;

	cr_assert_lt(i, MAX_REQS);
	write_hdr(i, type, sector);
	h = new_desc(q, HDR_GPA + 16 * i, 16, 0);
	if (len) {
		g = data_alloc(len);
		d = new_desc(q, g, len, dwrites ? VIRTQ_DESC_F_WRITE : 0);
		link_desc(q, h, d);
		s = new_desc(q, STATUS_GPA + i, 1, VIRTQ_DESC_F_WRITE);
		link_desc(q, d, s);
	} else {
		s = new_desc(q, STATUS_GPA + i, 1, VIRTQ_DESC_F_WRITE);
		link_desc(q, h, s);
	}
	if (data_gpa)
		*data_gpa = g;
	req_head[i] = h;
	offer(q, h);
	return i;
}

/* A discard / write-zeroes request with one segment. */
static unsigned int req_dwz(uint32_t type, uint64_t sector, uint32_t num, uint32_t flags)
{
	gpa_t g;
	unsigned int i = req(0, type, 0, 16, 0, &g);
	struct virtio_blk_dwz_seg *seg = (struct virtio_blk_dwz_seg *)(ram + g);

	*seg = (struct virtio_blk_dwz_seg){ sector, num, flags };
	return i;
}

static uint8_t status_of(unsigned int i)
{
	return ram[STATUS_GPA + i];
}

/* The used length reported for request i on q (fails if not used). */
static uint32_t used_len(unsigned int q, unsigned int i)
{
	struct virtq_used *u = used_of(q);
	unsigned int k;

	for (k = 0; k < u->idx && k < tq[q].size; k++)
		if (u->ring[k].id == req_head[i])
			return u->ring[k].len;
	cr_assert_fail("request %u not in the used ring", i);
	return 0;
}

/* Complete until queue q's used index reaches n. */
static void wait_used(unsigned int q, uint16_t n)
{
	struct pollfd p = { .fd = virtio_blk_event_fd(&blk), .events = POLLIN };

	while (used_of(q)->idx != n) {
		cr_assert_eq(poll(&p, 1, 5000), 1, "no completion within 5 s");
		cr_assert_eq(virtio_blk_complete(&blk), 0);
	}
}

/* Wait until the backend has n completions ready, without reaping them. */
static void wait_cqes(unsigned int n)
{
	struct timespec ts = { 0, 1000000 };
	unsigned int tries = 0;

	while (io_uring_cq_ready(&blk.be.ring) < n) {
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
	gpa_t wd, rd;

	start(0, 0, 128, 1);
	w = req(0, VIRTIO_BLK_T_OUT, 8, 4096, 0, &wd);
	memset(ram + wd, 0xc3, 4096);
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
	cr_assert(all_bytes(ram + rd, 512, 7));
	cr_assert(all_bytes(ram + rd + 512, 1536, 0xc3));
	cr_assert_eq(blk.requests, 2);
	cr_assert_eq(blk.notifications, 2);
	cr_assert_eq(notified[0], 2);
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
	cr_assert_eq(blk.be.sqes, 1);
}

Test(vblk, get_id)
{
	unsigned int i, j;
	gpa_t g, g2;

	start(0, 0, 128, 1);
	i = req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, &g);
	j = req(0, VIRTIO_BLK_T_GET_ID, 0, 8, 1, &g2);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	cr_assert_eq(used_of(0)->idx, 2, "answered without I/O");
	cr_assert_eq(blk.be.submits, 0);
	cr_assert_eq(notified[0], 1, "one notification for the kick");
	cr_assert_eq(status_of(i), VIRTIO_BLK_S_OK);
	cr_assert_eq(used_len(0, i), 21);
	cr_assert_eq(memcmp(ram + g, "kvmini-vblk-", 12), 0);
	cr_assert_eq(memcmp(ram + g, blk.serial, 20), 0);
	cr_assert_eq(used_len(0, j), 9, "a short buffer gets a prefix");
	cr_assert_eq(memcmp(ram + g2, blk.serial, 8), 0);
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
	cr_assert_eq(blk.be.submits, 1);
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
	gpa_t g;

	start(0, 0, 128, 1);
	unmap = req_dwz(VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_DWZ_F_UNMAP);
	rsvd = req_dwz(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0x10);
	two = req(0, VIRTIO_BLK_T_DISCARD, 0, 32, 0, &g);
	memset(ram + g, 0, 32);
	big = req_dwz(VIRTIO_BLK_T_WRITE_ZEROES, 0, VIRTIO_BLK_MAX_DWZ_SECTORS + 1, 0);
	past = req_dwz(VIRTIO_BLK_T_DISCARD, DISK_SECTORS - 4, 8, 0);
	zero = req_dwz(VIRTIO_BLK_T_DISCARD, DISK_SECTORS, 0, 0);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 6);
	cr_assert_eq(used_of(0)->idx, 6);
	cr_assert_eq(blk.be.sqes, 0, "no I/O for any of them");
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
	gpa_t g;

	start(0, 0, 128, 1);
	last = req(0, VIRTIO_BLK_T_IN, DISK_SECTORS - 2, 1024, 1, &g);
	past = req(0, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024, 1, NULL);
	wrap = req(0, VIRTIO_BLK_T_OUT, UINT64_MAX, 512, 0, NULL);
	odd = req(0, VIRTIO_BLK_T_IN, 0, 100, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 4);
	cr_assert_eq(blk.be.sqes, 1, "only the valid request reached the disk");
	wait_used(0, 4);
	cr_assert_eq(status_of(last), VIRTIO_BLK_S_OK);
	cr_assert(all_bytes(ram + g, 512, (uint8_t)(DISK_SECTORS - 2)));
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
	cr_assert_eq(blk.be.sqes, 0);
}

Test(vblk, read_only_disk)
{
	uint8_t buf[512];
	unsigned int w, d, z, r;
	uint64_t f;
	gpa_t g;

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
	cr_assert(all_bytes(ram + g, 512, 3));
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
	cr_assert_eq(blk.be.submits, 1);
	cr_assert_eq(blk.batches, 1);
	cr_assert_eq(blk.be.sqes, 32);
	cr_assert_eq(notified[0], 0, "nothing completed yet");
	wait_cqes(32);
	cr_assert_eq(virtio_blk_complete(&blk), 0);
	cr_assert_eq(used_of(0)->idx, 32);
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
	uint16_t *used_event, *avail_event;

	start(0, 1, 128, 1);
	used_event = &avail_of(0)->ring[128];
	avail_event = (uint16_t *)(void *)&used_of(0)->ring[128];
	*used_event = 0;
	req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(*avail_event, 1, "kick me at the next request");
	wait_used(0, 1);
	cr_assert_eq(notified[0], 1);
	/* The driver only wants to hear at used index 10. */
	*used_event = 10;
	req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL);
	req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	wait_used(0, 3);
	cr_assert_eq(notified[0], 1, "suppressed");
	*used_event = 3;
	req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(notified[0], 2);
}

Test(vblk, no_interrupt_flag)
{
	start(0, 0, 128, 1);
	avail_of(0)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	req(0, VIRTIO_BLK_T_GET_ID, 0, 20, 1, NULL);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(used_of(0)->idx, 1);
	cr_assert_eq(notified[0], 0);
}

Test(vblk, any_layout_and_indirect)
{
	struct virtq_desc *tbl = (struct virtq_desc *)(ram + TABLE_GPA);
	unsigned int a, b, c;
	uint16_t h1, h2, d;
	gpa_t g, gi;

	start(0, 0, 128, 1);
	/* OUT with the header split 8 + 8 and the data sharing the second. */
	a = nreq++;
	write_hdr(a, VIRTIO_BLK_T_OUT, 100);
	g = data_alloc(1024);
	memcpy(ram + g, ram + HDR_GPA + 16 * a + 8, 8);
	memset(ram + g + 8, 0x99, 512);
	h1 = new_desc(0, HDR_GPA + 16 * a, 8, 0);
	h2 = new_desc(0, g, 8 + 512, 0);
	link_desc(0, h1, h2);
	d = new_desc(0, STATUS_GPA + a, 1, VIRTQ_DESC_F_WRITE);
	link_desc(0, h2, d);
	req_head[a] = h1;
	offer(0, h1);
	/* IN whose data and status share one writable buffer. */
	b = nreq++;
	write_hdr(b, VIRTIO_BLK_T_IN, 100);
	gi = data_alloc(1024);
	h1 = new_desc(0, HDR_GPA + 16 * b, 16, 0);
	h2 = new_desc(0, gi, 513, VIRTQ_DESC_F_WRITE);
	link_desc(0, h1, h2);
	req_head[b] = h1;
	/* Written after a's data lands: kick a first. */
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	wait_used(0, 1);
	cr_assert_eq(status_of(a), VIRTIO_BLK_S_OK);
	offer(0, h1);
	/* A FLUSH through an indirect table. */
	c = nreq++;
	write_hdr(c, VIRTIO_BLK_T_FLUSH, 0);
	tbl[0] = (struct virtq_desc){ HDR_GPA + 16 * c, 16, VIRTQ_DESC_F_NEXT, 1 };
	tbl[1] = (struct virtq_desc){ STATUS_GPA + c, 1, VIRTQ_DESC_F_WRITE, 0 };
	req_head[c] = new_desc(0, TABLE_GPA, 32, VIRTQ_DESC_F_INDIRECT);
	offer(0, req_head[c]);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 2);
	wait_used(0, 3);
	cr_assert_eq(used_len(0, b), 513);
	cr_assert(all_bytes(ram + gi, 512, 0x99));
	cr_assert_eq(ram[gi + 512], VIRTIO_BLK_S_OK, "status is the last byte");
	cr_assert_eq(status_of(c), VIRTIO_BLK_S_OK);
}

Test(vblk, malformed_chain_breaks_the_queue)
{
	uint16_t a, b;

	start(0, 0, 128, 1);
	write_hdr(0, VIRTIO_BLK_T_IN, 0);
	a = new_desc(0, HDR_GPA, 16, 0);
	b = new_desc(0, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE);
	link_desc(0, a, b);
	link_desc(0, b, a);   /* a loop */
	offer(0, a);
	cr_assert_eq(virtio_blk_kick(&blk, 0), -EIO);
	cr_assert(tq[0].vq.broken);
	cr_assert_eq(used_of(0)->idx, 0);
	cr_assert_eq(virtio_blk_kick(&blk, 0), -EIO, "stays broken");
}

Test(vblk, chain_without_status_breaks_the_queue)
{
	start(0, 0, 128, 1);
	write_hdr(0, VIRTIO_BLK_T_FLUSH, 0);
	offer(0, new_desc(0, HDR_GPA, 16, 0));
	cr_assert_eq(virtio_blk_kick(&blk, 0), -EIO);
	cr_assert(tq[0].vq.broken);
	cr_assert_eq(used_of(0)->idx, 0);
}

Test(vblk, short_header_is_an_error)
{
	uint16_t a, b;

	start(0, 0, 128, 1);
	write_hdr(0, VIRTIO_BLK_T_FLUSH, 0);
	a = new_desc(0, HDR_GPA, 12, 0);
	b = new_desc(0, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE);
	link_desc(0, a, b);
	req_head[0] = a;
	nreq = 1;
	offer(0, a);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	cr_assert_eq(status_of(0), VIRTIO_BLK_S_IOERR);
	cr_assert_not(tq[0].vq.broken);
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
	cr_assert_eq(blk_backend_inflight(&blk.be), 0);
	cr_assert_eq(blk.nfree, blk.nreqs);
	cr_assert_eq(virtio_blk_complete(&blk), 0);
	cr_assert_eq(used_of(0)->idx, 0, "nothing completes into a reset queue");
	cr_assert_eq(status_of(0), 0xee);
	cr_assert_eq(notified[0], 0);
	cr_assert_eq(virtio_blk_kick(&blk, 0), -EINVAL, "queue forgotten");
	/* The driver sets the queue up again and goes on. */
	memset(ram + tq[0].avail, 0, 0x1000);
	memset(ram + tq[0].used, 0, 0x1000);
	start_queue(0, 128, 0);
	nreq = 0;
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

Test(vblk, init_refusals)
{
	struct kvmini_error err = { { 0 } };
	struct virtio_blk b2;

	cr_assert_eq(virtio_blk_init(&b2, path, 0, 0, 0, &err), -EINVAL);
	cr_assert_eq(virtio_blk_init(&b2, path, 0, 0, VIRTIO_BLK_MAX_QUEUES + 1, &err), -EINVAL);
	cr_assert_eq(virtio_blk_init(&b2, "/tmp/kvmini-missing.img", 0, 0, 1, &err), -ENOENT);
	cr_assert_not_null(strstr(err.msg, "kvmini-missing.img"), "%s", err.msg);
	start(0, 0, 128, 1);
	cr_assert_eq(virtio_blk_init(&b2, path, 0, 0, 1, &err), -EBUSY, "the image is locked");
	cr_assert_eq(virtio_blk_queue_start(&blk, 1, &tq[0].vq), -EINVAL);
}

Test(vblk, short_read_after_the_image_shrank)
{
	unsigned int i;
	gpa_t g;

	start(0, 0, 128, 1);
	cr_assert_eq(truncate(path, (DISK_SECTORS - 2) * 512), 0);
	i = req(0, VIRTIO_BLK_T_IN, DISK_SECTORS - 3, 1024, 1, &g);
	cr_assert_eq(virtio_blk_kick(&blk, 0), 1);
	wait_used(0, 1);
	cr_assert_eq(status_of(i), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(used_len(0, i), 513, "the bytes read still count");
	cr_assert(all_bytes(ram + g, 512, (uint8_t)(DISK_SECTORS - 3)));
}
