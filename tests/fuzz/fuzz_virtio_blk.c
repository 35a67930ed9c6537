/*
 * fuzz_virtio_blk.c - virtio-blk's request path (devices/virtio_blk.c on
 * devices/virtio_dev.c) on the real io_uring back end (vmm/blk_backend.c)
 * over small temporary images made once: writable ones behind a shallow
 * ring (4 entries, so that the request slots run out and the submission
 * queue fills), on /tmp and on tmpfs, and a read-only one. The input lays out rings, descriptors
 * and requests in guest RAM (fuzz_ring.h), kicks queues and completes I/O
 * synchronously (waiting on the completion eventfd), resets with I/O in
 * flight and starts queues again.
 *
 * Input: a header, then ops.
 *   flags:u8   bit 0 the read-only disk, bits 1-2 queues - 1, bit 3 the
 *              writable disk on tmpfs (no ZERO_RANGE: the back end's
 *              fallback to punching holes)
 *   qsize:u8   queue size 1 << (qsize % 16) (too big for RAM: not started)
 *   drop:u8    features not negotiated: bit 0 EVENT_IDX, 1 INDIRECT_DESC,
 *              2 FLUSH, 3 MQ, 4 DISCARD, 5 WRITE_ZEROES, 6 SEG_MAX; bit 7
 *              asks for one the device does not offer (queue_start refuses)
 * Ops (opcode mod OP_COUNT), besides the shared ring ops:
 *   REQ q:u8 type:u8 sector:u32 nsec:u8 nseg:u8 ctl:u8 [raw:u32] [dwz]
 *              a request built as a driver does: header, data split into
 *              nseg % 8 + 1 segments, status byte. type % 8 picks IN, OUT,
 *              FLUSH, GET_ID, DISCARD, WRITE_ZEROES, an unknown type, or
 *              raw. Data is nsec % 32 sectors; ctl bit 0 indirect, bit 1 the
 *              header in two pieces, bit 2 data of the wrong direction,
 *              bit 3 a data length not a multiple of 512, bit 4 a 4-byte
 *              status buffer, bit 5 no status byte at all, bit 6 the header
 *              short by a byte, bit 7 a near-capacity sector (sector counted
 *              back from the end). DISCARD/WRITE_ZEROES carry a segment:
 *              sector:u32 num:u32 flags:u32 (with ctl bit 2: two of them).
 *   KICK q:u8              virtio_blk_kick
 *   COMPLETE wait:u8       virtio_blk_complete; with wait & 1 until no I/O is
 *                          in flight, waiting on the completion eventfd
 *   RESET                  virtio_blk_reset (I/O in flight is waited for)
 *   START q:u8             virtq_init and queue_start on q again (after a
 *                          reset: the queue is gone)
 *   CONFIG off:u8 len:u8   virtio_blk_config_read
 * Checked: used rings as in fuzz_ring.h, broken queues reported with their
 * own number, and after each reset and at the end no I/O left in flight
 * and every request slot free again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#define FZ_RAM_SIZE (1u << 20)   /* room for many requests' data */

#include "base/log.h"
#include "devices/virtio_blk.h"
#include "fuzz_ring.h"
#include "vmm/blk_backend.h"

#define DISK_BYTES (64u << 10)
#define QBASE 5   /* queue 0 as the transport numbers it */

enum { OP_REQ = FZ_OP_FIRST_OWN, OP_KICK, OP_COMPLETE, OP_RESET, OP_START, OP_CONFIG,
       OP_COUNT };

static struct blk_backend disks[3];
static const uint8_t zeros[DISK_BYTES];
static int disks_ok = -1;
static struct virtio_blk blk;
static struct fz_q qs[FZ_MAXQ];
static struct virtq vqs[FZ_MAXQ];
static int started[FZ_MAXQ];
static unsigned int nq;
static uint64_t features;
static int event_idx, indirect;
static unsigned int broken_seen;

/* ---- what the device must do with each request: a model of virtio_blk.h ---- */

#define REC_SEGS 16
#define SECTORS (DISK_BYTES / VIRTIO_BLK_SECTOR_SIZE)
#define UNKNOWN 0xffffffffu
#define MAX_OUT 256

enum { IO_NONE, IO_READ, IO_WRITE, IO_ZERO, IO_DISCARD };

/* A request fz_chain() published, by queue and head. */
struct rec {
	struct fz_seg seg[REC_SEGS];
	unsigned int nseg;
	uint32_t serial;      /* its data pattern (OUT) */
	int out;              /* published, not yet seen used */
	int tainted;          /* an overlapping write was out at the same time */
	uint8_t status;       /* what the device must answer */
	uint32_t written;     /* bytes it must say it wrote, status byte aside */
	int io;               /* IO_*: what it does to the disk */
	uint64_t s0, ns;      /* the sectors it touches */
	uint32_t data_off;    /* OUT: its data starts this far into the pattern */
	uint32_t type;
};

static struct rec recs[FZ_MAXQ][FZ_TRACK];
static struct { uint8_t q; uint16_t head; } outs[MAX_OUT];
static unsigned int nouts;
static int model_off;          /* the books lost track: no more data checks */
static uint32_t serial;
/* What each sector of the disk holds: the serial and pattern offset of its
 * last write (serial 0: zeros), or UNKNOWN. */
static struct { uint32_t serial, off; } shadow[SECTORS];

static uint8_t pattern(uint32_t ser, uint32_t off)
{
	return (uint8_t)(ser * 37u + off * 7u + (off >> 9) * 101u + 3u);
}

/* Copy len bytes of the readable (writes 0) or writable stream of r from off. */
static uint64_t gather(const struct rec *r, int writes, uint64_t off, uint8_t *dst,
		       uint64_t len)
{
	uint64_t done = 0;
	unsigned int i;

	for (i = 0; i < r->nseg && done < len; i++) {
		const struct fz_seg *g = &r->seg[i];
		uint64_t take;

		if (!!g->writes != writes)
			continue;
		if (off >= g->len) {
			off -= g->len;
			continue;
		}
		take = g->len - off < len - done ? g->len - off : len - done;
		memcpy(dst + done, fz_ram + g->gpa + off, take);
		done += take;
		off = 0;
	}
	return done;
}

static int range_ok(uint64_t sector, uint64_t n)
{
	return sector <= SECTORS && n <= SECTORS - sector;
}

/* Work out status, written and io of r from its chain as the device sees it. */
static void model(struct rec *r)
{
	uint64_t rd = 0, wr = 0, len;
	struct virtio_blk_req_hdr h;
	struct virtio_blk_dwz_seg d;
	uint32_t type, flags;
	unsigned int i;

	for (i = 0; i < r->nseg; i++) {
		if (r->seg[i].writes)
			wr += r->seg[i].len;
		else
			rd += r->seg[i].len;
	}
	r->status = VIRTIO_BLK_S_IOERR;
	r->written = 0;
	r->io = IO_NONE;
	r->type = UINT32_MAX;
	if (wr == 0 || rd < sizeof(h))
		return;   /* wr 0: it breaks the queue and is never used */
	gather(r, 0, 0, (uint8_t *)&h, sizeof(h));
	type = r->type = le32toh(h.type);
	r->s0 = le64toh(h.sector);
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if ((type == VIRTIO_BLK_T_IN ? rd - sizeof(h) : wr - 1) != 0 ||
		    (type == VIRTIO_BLK_T_OUT && blk.readonly))
			return;
		len = type == VIRTIO_BLK_T_IN ? wr - 1 : rd - sizeof(h);
		if (len % VIRTIO_BLK_SECTOR_SIZE || !range_ok(r->s0, len / VIRTIO_BLK_SECTOR_SIZE))
			return;
		r->status = VIRTIO_BLK_S_OK;
		if (!len)
			return;
		r->ns = len / VIRTIO_BLK_SECTOR_SIZE;
		r->io = type == VIRTIO_BLK_T_IN ? IO_READ : IO_WRITE;
		r->written = type == VIRTIO_BLK_T_IN ? (uint32_t)len : 0;
		return;
	case VIRTIO_BLK_T_FLUSH:
		r->status = VIRTIO_BLK_S_OK;
		return;
	case VIRTIO_BLK_T_GET_ID:
		r->status = VIRTIO_BLK_S_OK;
		r->written = (uint32_t)(wr - 1 < VIRTIO_BLK_ID_BYTES ? wr - 1 : VIRTIO_BLK_ID_BYTES);
		return;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		len = rd - sizeof(h);
		if (blk.readonly || len == 0 || len % sizeof(d))
			return;
		r->status = VIRTIO_BLK_S_UNSUPP;
		if (len > sizeof(d))
			return;
		gather(r, 0, sizeof(h), (uint8_t *)&d, sizeof(d));
		flags = le32toh(d.flags);
		if ((flags & ~VIRTIO_BLK_DWZ_F_UNMAP) ||
		    (type == VIRTIO_BLK_T_DISCARD && (flags & VIRTIO_BLK_DWZ_F_UNMAP)))
			return;
		r->status = VIRTIO_BLK_S_IOERR;
		r->s0 = le64toh(d.sector);
		r->ns = le32toh(d.num_sectors);
		if (r->ns > VIRTIO_BLK_MAX_DWZ_SECTORS || !range_ok(r->s0, r->ns))
			return;
		r->status = VIRTIO_BLK_S_OK;
		if (r->ns)
			r->io = type == VIRTIO_BLK_T_DISCARD ? IO_DISCARD : IO_ZERO;
		return;
	default:
		r->status = VIRTIO_BLK_S_UNSUPP;
		return;
	}
}

static int overlap(const struct rec *a, const struct rec *b)
{
	return a->io != IO_NONE && b->io != IO_NONE && a->s0 < b->s0 + b->ns &&
	       b->s0 < a->s0 + a->ns;
}

static void forget_sectors(const struct rec *r)
{
	uint64_t s;

	for (s = r->s0; s < r->s0 + r->ns && s < SECTORS; s++)
		shadow[s].serial = UNKNOWN;
}

/* A request fz_chain() just published on queue qi with head h. */
static void rec_publish(unsigned int qi, uint16_t h, const struct fz_seg *segs, unsigned int n,
			unsigned int hdr_len)
{
	struct rec *r;
	unsigned int i;

	if (model_off || fz_dirty || !fz_q_tracked(&qs[qi]) || !qs[qi].known[h] || n > REC_SEGS ||
	    nouts == MAX_OUT) {
		model_off = 1;
		return;
	}
	r = &recs[qi][h];
	memcpy(r->seg, segs, n * sizeof(*segs));
	r->nseg = n;
	r->serial = serial;
	model(r);
	/* OUT data: the header took the first 16 - hdr_len bytes of the pattern. */
	r->data_off = (uint32_t)(sizeof(struct virtio_blk_req_hdr) - hdr_len);
	r->tainted = 0;
	for (i = 0; i < nouts; i++) {
		struct rec *o = &recs[outs[i].q][outs[i].head];

		if (overlap(r, o) && (r->io != IO_READ || o->io != IO_READ)) {
			r->tainted = 1;
			o->tainted = 1;
		}
	}
	r->out = 1;
	outs[nouts].q = (uint8_t)qi;
	outs[nouts++].head = h;
}

/* The device used request head of q: its status, length and data are right. */
static void rec_used(struct fz_q *q, uint16_t head, uint32_t len, int known)
{
	unsigned int qi = (unsigned int)(q - qs), i;
	struct rec *r = &recs[qi][head];
	uint8_t st, buf[VIRTIO_BLK_SECTOR_SIZE];
	uint64_t s, last;

	if (model_off || !known || !r->out)
		return;
	for (i = 0; i < nouts && (outs[i].q != qi || outs[i].head != head); i++)
		;
	FZ_CHECK(i < nouts);
	outs[i] = outs[--nouts];
	r->out = 0;
	/* The status is the last writable byte. */
	for (i = r->nseg, last = 0; i-- > 0;)
		if (r->seg[i].writes) {
			last = r->seg[i].gpa + r->seg[i].len - 1;
			break;
		}
	st = fz_ram[last];
	FZ_CHECK(st == r->status);
	FZ_CHECK(len == r->written + 1);
	if (r->status != VIRTIO_BLK_S_OK) {
		if (r->io != IO_NONE && r->io != IO_READ)
			forget_sectors(r);
		return;
	}
	switch (r->io) {
	case IO_READ:
		for (s = 0; s < r->ns && !r->tainted; s++) {
			unsigned int j;

			if (shadow[r->s0 + s].serial == UNKNOWN)
				continue;
			FZ_CHECK(gather(r, 1, s * VIRTIO_BLK_SECTOR_SIZE, buf, sizeof(buf)) ==
				 sizeof(buf));
			for (j = 0; j < sizeof(buf); j++)
				FZ_CHECK(buf[j] == (shadow[r->s0 + s].serial
							    ? pattern(shadow[r->s0 + s].serial,
								      shadow[r->s0 + s].off + j)
							    : 0));
		}
		break;
	case IO_WRITE:
		for (s = 0; s < r->ns; s++) {
			shadow[r->s0 + s].serial = r->tainted ? UNKNOWN : r->serial;
			shadow[r->s0 + s].off = r->data_off + (uint32_t)(s * VIRTIO_BLK_SECTOR_SIZE);
		}
		break;
	case IO_ZERO:
		for (s = 0; s < r->ns; s++)
			shadow[r->s0 + s].serial = r->tainted ? UNKNOWN : 0;
		break;
	case IO_DISCARD:
		forget_sectors(r);   /* a hint: zeros or what was there */
		break;
	default:
		if (r->type == VIRTIO_BLK_T_GET_ID) {
			/* GET_ID: the serial's first bytes. */
			FZ_CHECK(gather(r, 1, 0, buf, r->written) == r->written);
			FZ_CHECK(memcmp(buf, blk.serial, r->written) == 0);
		}
		break;
	}
}

/*
 * A reset (all queues, or only qi's rings wiped before it starts): what was
 * out may or may not have reached the disk.
 */
static void rec_reset(int qi)
{
	unsigned int i;

	for (i = 0; i < nouts;) {
		struct rec *r = &recs[outs[i].q][outs[i].head];

		if (qi >= 0 && outs[i].q != qi) {
			i++;
			continue;
		}
		if (r->io != IO_NONE && r->io != IO_READ)
			forget_sectors(r);
		r->out = 0;
		outs[i] = outs[--nouts];
	}
}

static void on_notify(void *ctx, unsigned int q)
{
	FZ_CHECK(ctx == &blk && q >= QBASE && q < QBASE + nq && started[q - QBASE]);
	qs[q - QBASE].irq_calls++;
}

/* Around every call into the device: see fz_irq_before in fuzz_ring.h. */
static void irq_before(void)
{
	unsigned int q;

	for (q = 0; q < nq; q++)
		if (started[q])
			fz_irq_before(&qs[q], &vqs[q]);
}

static void irq_after(void)
{
	unsigned int q;

	for (q = 0; q < nq; q++)
		if (started[q])
			fz_irq_after(&qs[q], &vqs[q]);
}

static void on_broken(void *ctx, unsigned int q)
{
	FZ_CHECK(ctx == &blk && q >= QBASE && q < QBASE + nq);
	broken_seen |= 1u << (q - QBASE);
}

/* A temporary image of DISK_BYTES in dir, opened and unlinked. */
static int open_disk(struct blk_backend *be, const char *dir, int readonly, unsigned int depth)
{
	char path[64];
	struct kvmini_error err = { 0 };
	int fd, r;

	snprintf(path, sizeof(path), "%s/kvmini-fuzz-blk-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	r = ftruncate(fd, DISK_BYTES);
	close(fd);
	if (r == 0)
		r = blk_backend_open(be, path, readonly, 0, depth, &err);
	unlink(path);
	if (r)
		fprintf(stderr, "fuzz_virtio_blk: %s\n", err.msg);
	return r;
}

static struct blk_backend *disk(void)
{
	return blk.io.be;
}

static void check_all(void)
{
	unsigned int q;

	for (q = 0; q < nq; q++)
		if (started[q])
			fz_check_used(&qs[q], &vqs[q]);
	FZ_CHECK(blk.nfree <= blk.nreqs);
}

/* After a reset: nothing in flight, every slot free. */
static void check_idle(void)
{
	FZ_CHECK(blk_backend_inflight(disk()) == 0);
	FZ_CHECK(blk.nfree == blk.nreqs);
}

static void start_queue(unsigned int q)
{
	rec_reset((int)q);
	fz_q_restart(&qs[q]);
	memset(fz_ram + qs[q].desc, 0, FZ_QREGION);
	started[q] = 0;
	if (virtq_init(&vqs[q], &fz_mem, qs[q].size, qs[q].desc, qs[q].avail, qs[q].used,
		       event_idx, indirect))
		return;
	started[q] = virtio_blk_queue_start(&blk, q, &vqs[q], features) == 0;
}

/* Complete what is done; with wait, until nothing is in flight. */
static void complete(int wait)
{
	struct pollfd p = { .fd = virtio_blk_event_fd(&blk), .events = POLLIN };
	int r;

	do {
		if (wait && blk_backend_inflight(disk()) && poll(&p, 1, 5000) != 1)
			FZ_CHECK(!"I/O did not complete within 5 s");
		irq_before();
		r = virtio_blk_complete(&blk);
		irq_after();
		FZ_CHECK(r == 0 || r == -EIO);
		check_all();
		/* A big ring refills the slots as they free: that is progress. */
	} while (wait && blk_backend_inflight(disk()));
}

static const uint32_t types[] = {
	VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID,
	VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES, 7,
};

static void do_req(struct fz_in *in)
{
	struct fz_q *q = &qs[fz_u8(in) % nq];
	uint8_t tsel = fz_u8(in), nsec, nseg, ctl;
	uint32_t sector = fz_u32(in), type, dlen = 0;
	struct virtio_blk_req_hdr h;
	struct fz_seg s[FZ_MAX_SEGS];
	unsigned int k = 0, n;
	uint64_t hg, dg = 0, sg;
	int writes;
	uint16_t head;
	unsigned int hdr_len;

	nsec = fz_u8(in);
	nseg = fz_u8(in);
	ctl = fz_u8(in);
	type = tsel % 8 < ARRAY_SIZE(types) ? types[tsel % 8] : fz_u32(in);
	if (ctl & 0x80)
		sector = (uint32_t)(blk.capacity - (sector % 128));
	h = (struct virtio_blk_req_hdr){ htole32(type), 0, htole64(sector) };
	hg = fz_alloc(sizeof(h), 8);
	fz_put(hg, &h, sizeof(h));
	n = hdr_len = (ctl & 0x40) ? sizeof(h) - 1 : sizeof(h);
	if (ctl & 2)
		fz_split(s, &k, hg, n, 2, 0);
	else
		s[k++] = (struct fz_seg){ hg, n, 0 };
	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
		struct virtio_blk_dwz_seg d[2];

		d[0] = (struct virtio_blk_dwz_seg){ htole64(fz_u32(in)), htole32(fz_u32(in)),
						    htole32(fz_u32(in)) };
		d[1] = d[0];
		dlen = (ctl & 4) ? sizeof(d) : sizeof(d[0]);
		dg = fz_alloc(dlen, 8);
		fz_put(dg, d, dlen);
		s[k++] = (struct fz_seg){ dg, dlen, 0 };
	} else if (type != VIRTIO_BLK_T_FLUSH) {
		dlen = (uint32_t)(nsec % 32) * VIRTIO_BLK_SECTOR_SIZE + ((ctl & 8) ? 1 + nsec % 7 : 0);
		if (type == VIRTIO_BLK_T_GET_ID)
			dlen = nsec % 64;
		writes = type != VIRTIO_BLK_T_OUT;
		if (ctl & 4)
			writes = !writes;
		if (dlen) {
			dg = fz_alloc(dlen, 512);
			if (!writes) {
				uint32_t i;

				for (i = 0; i < dlen; i++)
					fz_ram[dg + i] = pattern(serial, i);
			}
			fz_split(s, &k, dg, dlen, nseg % 8 + 1, writes);
		}
	}
	if (!(ctl & 0x20)) {
		n = (ctl & 0x10) ? 4 : 1;
		sg = fz_alloc(n, 1);
		fz_ram[sg] = 0xee;
		s[k++] = (struct fz_seg){ sg, n, 1 };
	}
	/* Readable before writable, as the walker insists: a driver would. */
	if (k > 1 && (ctl & 4)) {
		unsigned int i, j;

		for (i = 1; i < k; i++)
			for (j = i; j > 0 && s[j - 1].writes && !s[j].writes; j--) {
				struct fz_seg t = s[j];

				s[j] = s[j - 1];
				s[j - 1] = t;
			}
	}
	head = fz_chain(q, s, k, (ctl & 1) && indirect);
	rec_publish((unsigned int)(q - qs), head, s, k, hdr_len);
	serial++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size, 0 };
	struct kvmini_error err = { 0 };
	struct blk_io io;
	uint8_t flags, drop;
	uint16_t qsize;
	unsigned int q, disk_nr;

	log_set_level(LOG_ERR);
	/* A writable disk, a read-only one, and a writable one on tmpfs (which
	 * refuses ZERO_RANGE: the back end falls back to punching holes). */
	if (disks_ok < 0)
		disks_ok = open_disk(&disks[0], "/tmp", 0, 4) == 0 &&
			   open_disk(&disks[1], "/tmp", 1, 8) == 0 &&
			   (open_disk(&disks[2], "/dev/shm", 0, 4) == 0 ||
			    open_disk(&disks[2], "/tmp", 0, 4) == 0);
	if (!disks_ok)
		abort();
	fz_ram_reset();
	flags = fz_u8(&in);
	qsize = (uint16_t)(1u << (fz_u8(&in) % 16));
	drop = fz_u8(&in);
	nq = ((flags >> 1) & 3) + 1;
	disk_nr = (flags & 1) ? 1 : (flags & 8) ? 2 : 0;
	io = blk_backend_io(&disks[disk_nr]);
	if (virtio_blk_init(&blk, &io, "/fuzz/disk.img", nq, &err))
		abort();
	virtio_blk_set_irq(&blk, (struct virtio_irq){ .notify = on_notify, .broken = on_broken,
						      .ctx = &blk, .qbase = QBASE });
	features = virtio_blk_features(&blk);
	if (drop & 1)
		features &= ~VIRTIO_DEV_BIT(VIRTIO_F_EVENT_IDX);
	if (drop & 2)
		features &= ~VIRTIO_DEV_BIT(VIRTIO_F_INDIRECT_DESC);
	if (drop & 4)
		features &= ~VIRTIO_DEV_BIT(VIRTIO_BLK_F_FLUSH);
	if (drop & 8)
		features &= ~VIRTIO_DEV_BIT(VIRTIO_BLK_F_MQ);
	if (drop & 16)
		features &= ~VIRTIO_DEV_BIT(VIRTIO_BLK_F_DISCARD);
	if (drop & 32)
		features &= ~VIRTIO_DEV_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	if (drop & 64)
		features &= ~VIRTIO_DEV_BIT(VIRTIO_BLK_F_SEG_MAX);
	if (drop & 128)
		features |= VIRTIO_DEV_BIT(VIRTIO_BLK_F_GEOMETRY);
	event_idx = !!(features & VIRTIO_DEV_BIT(VIRTIO_F_EVENT_IDX));
	indirect = !!(features & VIRTIO_DEV_BIT(VIRTIO_F_INDIRECT_DESC));
	broken_seen = 0;
	/* The disk starts as zeros, the books with nothing out. */
	if (disk_nr != 1 && pwrite(disks[disk_nr].fd, zeros, sizeof(zeros), 0) != sizeof(zeros))
		abort();
	memset(shadow, 0, sizeof(shadow));
	nouts = 0;
	model_off = 0;
	serial = 1;
	fz_on_used = rec_used;
	for (q = 0; q < nq; q++) {
		fz_q_layout(&qs[q], q, qsize);
		start_queue(q);
	}
	while (fz_more(&in)) {
		unsigned int op = fz_u8(&in) % OP_COUNT, off, len;
		uint8_t cfg[64];
		int r;

		if (fz_ring_op(&in, op, qs, nq))
			continue;
		switch (op) {
		case OP_REQ:
			do_req(&in);
			break;
		case OP_KICK:
			q = fz_u8(&in) % nq;
			irq_before();
			r = virtio_blk_kick(&blk, q);
			irq_after();
			FZ_CHECK(started[q] ? r >= 0 || r == -EIO : r == -EINVAL);
			if (r == -EIO)
				FZ_CHECK((broken_seen >> q) & 1);
			break;
		case OP_COMPLETE:
			complete(fz_u8(&in) & 1);
			break;
		case OP_RESET:
			virtio_blk_reset(&blk);
			rec_reset(-1);
			check_idle();
			memset(started, 0, sizeof(started));
			broken_seen = 0;
			break;
		case OP_START:
			q = fz_u8(&in) % nq;
			if (!started[q])
				start_queue(q);
			break;
		case OP_CONFIG:
			off = fz_u8(&in);
			len = 1u << (fz_u8(&in) % 4);
			virtio_blk_config_read(&blk, off, cfg, len);
			break;
		}
		check_all();
	}
	virtio_blk_reset(&blk);
	check_idle();
	virtio_blk_destroy(&blk);
	return 0;
}
