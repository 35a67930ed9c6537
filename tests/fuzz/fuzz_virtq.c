/*
 * fuzz_virtq.c - the split-virtqueue walker (devices/virtq.c) on rings and
 * descriptors the input writes into guest RAM (tests/fuzz/fuzz_ring.h):
 * loops, wrapping lengths, indirect tables (inside indirect tables too),
 * addresses near 2^64, more descriptors than the queue, odd queue sizes and
 * ring placements.
 *
 * Input: a 4-byte header, then ops (fuzz_ring.h for the shared ones).
 *   size:u16        queue size as given to virtq_init (need not be valid)
 *   flags:u8        bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 the rings
 *                   at raw addresses desc:u64 avail:u64 used:u64 (which
 *                   follow the header), else laid out from gpa 0
 *   pad:u8
 * Own ops (opcode mod OP_COUNT):
 *   POP                       virtq_pop; a popped chain is checked and kept
 *   PUSH n:u8 len:u32         push the kept chain n back (or raw head n if
 *                             none is kept) with used length len
 *   UNPOP n:u8                virtq_unpop(n), forgetting that many kept chains
 *   COPY off:u32 len:u32 sel:u8
 *                             virtq_chain_read / _write / _iov on the last
 *                             chain popped, at any offset and length
 *   NOTIFY sel:u8             needs_notify, disable, enable, enable_more,
 *                             has_work
 *   CHAIN ctl:u8 segs...      build a chain with fz_chain(): ctl bits 0-4 the
 *                             count - 1, bit 5 indirect, bit 6 a nested
 *                             indirect table (which pop must refuse); each
 *                             segment len:u16, bit 15 device-writable
 *   INIT size:u16 flags:u8    virtq_init again (flags as in the header) on
 *                             zeroed rings: the header's raw ones, or laid
 *                             out afresh for the new size
 * Checked: every popped chain (segments inside RAM, non-empty, readable
 * before writable, byte totals, at most VIRTQ_MAX_SEGS; for a chain
 * fz_chain() built, exactly the bytes it has), a failing pop leaves the
 * queue broken, copies return what they may.
 */
#include <errno.h>
#include <sys/uio.h>

#include "fuzz_ring.h"

enum { OP_POP = FZ_OP_FIRST_OWN, OP_PUSH, OP_UNPOP, OP_COPY, OP_NOTIFY, OP_CHAIN, OP_INIT,
       OP_COUNT };

#define KEEP 64

static struct virtq vq;
static struct virtq_chain chain;
static struct iovec iov[VIRTQ_MAX_SEGS];
static uint8_t bounce[8192];
static struct fz_q q;
static uint16_t kept[KEEP];
static unsigned int nkept;
static int have_chain;

/* A popped chain is what the walker promises. */
static void check_chain(const struct virtq_chain *c)
{
	uint64_t r = 0, w = 0;
	unsigned int i;

	FZ_CHECK(c->head < vq.size);
	FZ_CHECK(c->nsegs <= VIRTQ_MAX_SEGS);
	FZ_CHECK(c->nreadable <= c->nsegs);
	for (i = 0; i < c->nsegs; i++) {
		const struct virtq_seg *s = &c->seg[i];

		FZ_CHECK(s->len > 0);
		FZ_CHECK(fz_in_ram(s->host, s->len));
		FZ_CHECK(!!s->device_writes == (i >= c->nreadable));
		if (s->device_writes)
			w += s->len;
		else
			r += s->len;
	}
	FZ_CHECK(r == c->readable && w == c->writable);
	if (!fz_dirty && fz_q_tracked(&q) && q.known[c->head]) {
		FZ_CHECK(c->readable == q.readable[c->head]);
		FZ_CHECK(c->writable == q.writable[c->head]);
	}
}

static void do_copy(struct fz_in *in)
{
	uint64_t off = fz_u32(in), len = fz_u32(in) % (sizeof(bounce) + 1), got, k;
	uint8_t sel = fz_u8(in);
	unsigned int first, end, n, i;
	uint64_t total = 0;

	if (!have_chain)
		return;
	if (sel & 0x80)
		off |= (uint64_t)fz_u32(in) << 32;   /* offsets past 4 GiB */
	switch (sel % 3) {
	case 0:
		got = virtq_chain_read(&chain, off, bounce, len);
		FZ_CHECK(got <= len);
		FZ_CHECK(off >= chain.readable ? got == 0
					       : got == (len < chain.readable - off ? len
										: chain.readable - off));
		break;
	case 1:
		memset(bounce, 0xa5, sizeof(bounce));
		got = virtq_chain_write(&chain, off, bounce, len);
		FZ_CHECK(off >= chain.writable ? got == 0
					       : got == (len < chain.writable - off ? len
										: chain.writable - off));
		break;
	default:
		first = (sel >> 2) & 1 ? chain.nreadable : 0;
		end = (sel >> 3) & 1 ? chain.nsegs : chain.nreadable;
		if (first > end)
			first = end;
		n = virtq_chain_iov(&chain, first, end, off, len, iov);
		FZ_CHECK(n <= end - first);
		for (i = first; i < end; i++)
			total += chain.seg[i].len;
		for (i = 0, k = 0; i < n; i++) {
			FZ_CHECK(iov[i].iov_len > 0);
			FZ_CHECK(fz_in_ram(iov[i].iov_base, iov[i].iov_len));
			k += iov[i].iov_len;
		}
		FZ_CHECK(k == (off >= total ? 0 : len < total - off ? len : total - off));
		break;
	}
}

static void do_chain(struct fz_in *in)
{
	struct fz_seg s[33];
	uint8_t ctl = fz_u8(in);
	unsigned int n = (ctl & 31) + 1, k;

	for (k = 0; k < n; k++) {
		uint16_t v = fz_u16(in);
		uint32_t len = v & 0x7fff;

		s[k] = (struct fz_seg){ fz_alloc(len, 8), len, v >> 15 };
	}
	if (ctl & 0x40) {
		/* A table whose only entry is another table: refused. */
		uint64_t inner = fz_alloc(16ULL * n, 16), outer = fz_alloc(16, 16);

		for (k = 0; k < n; k++)
			fz_put_desc(inner + 16ULL * k, s[k].gpa, s[k].len,
				    (uint16_t)((s[k].writes ? VIRTQ_DESC_F_WRITE : 0) |
					       (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
				    (uint16_t)(k + 1));
		fz_put_desc(outer, inner, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
		s[0] = (struct fz_seg){ outer, 16, 0 };
		/* fz_chain would take it for a buffer: write the head by hand. */
		fz_put_desc(q.desc + 16ULL * (q.next_desc & (q.size - 1u)), outer, 16,
			    VIRTQ_DESC_F_INDIRECT, 0);
		fz_publish(&q, (uint16_t)(q.next_desc++ & (q.size - 1u)));
		fz_dirty = 1;
		return;
	}
	fz_chain(&q, s, n, !!(ctl & 0x20));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size, 0 };
	uint16_t qsize;
	uint8_t flags;
	uint64_t desc, avail, used;
	int r;

	fz_ram_reset();
	qsize = fz_u16(&in);
	flags = fz_u8(&in);
	fz_u8(&in);
	/* The standard layout, or the rings wherever the input says. */
	fz_q_layout(&q, 0, qsize);
	if (flags & 4) {
		q.desc = fz_u64(&in);
		q.avail = fz_u64(&in);
		q.used = fz_u64(&in);
	}
	desc = q.desc;
	avail = q.avail;
	used = q.used;
	nkept = 0;
	have_chain = 0;
	r = virtq_init(&vq, &fz_mem, qsize, desc, avail, used, flags & 1, flags & 2);
	FZ_CHECK(r == 0 || (r == -EINVAL && vq.broken));
	while (fz_more(&in)) {
		unsigned int op = fz_u8(&in) % OP_COUNT;
		uint32_t len;
		uint8_t n;

		if (fz_ring_op(&in, op, &q, 1))
			continue;
		switch (op) {
		case OP_POP:
			r = virtq_pop(&vq, &chain);
			if (r == 1) {
				check_chain(&chain);
				have_chain = 1;
				if (nkept < KEEP)
					kept[nkept++] = chain.head;
			} else if (r < 0) {
				FZ_CHECK(vq.broken && (r == -EINVAL || r == -EIO));
			}
			break;
		case OP_PUSH:
			n = fz_u8(&in);
			len = fz_u32(&in);
			if (nkept) {
				unsigned int at = n % nkept;
				uint16_t h = kept[at];

				nkept--;
				kept[at] = kept[nkept];
				r = virtq_push(&vq, h, len);
				FZ_CHECK(r == 0);
				if (fz_q_tracked(&q) && q.known[h])
					fz_forget(&q, h);
			} else {
				r = virtq_push(&vq, n, len);
				FZ_CHECK(r == 0 || r == -EINVAL);
			}
			break;
		case OP_UNPOP:
			n = fz_u8(&in);
			virtq_unpop(&vq, n);
			nkept = n >= nkept ? 0 : nkept - n;
			have_chain = 0;
			break;
		case OP_COPY:
			do_copy(&in);
			break;
		case OP_NOTIFY:
			switch (fz_u8(&in) % 5) {
			case 0: (void)virtq_needs_notify(&vq); break;
			case 1: virtq_disable_notify(&vq); break;
			case 2: (void)virtq_enable_notify(&vq); break;
			case 3: (void)virtq_enable_notify_more(&vq); break;
			default: (void)virtq_has_work(&vq); break;
			}
			break;
		case OP_CHAIN:
			if (q.size && !(q.size & (q.size - 1u)))
				do_chain(&in);
			break;
		case OP_INIT:
			qsize = fz_u16(&in);
			n = fz_u8(&in);
			if (!(flags & 4)) {   /* laid out again for the new size */
				fz_q_layout(&q, 0, qsize);
				desc = q.desc;
				avail = q.avail;
				used = q.used;
			}
			memset(fz_ram, 0, FZ_BUF_BASE);   /* the driver zeroes its rings */
			r = virtq_init(&vq, &fz_mem, qsize, desc, avail, used, n & 1, n & 2);
			FZ_CHECK(r == 0 || (r == -EINVAL && vq.broken));
			q.size = qsize;
			fz_q_restart(&q);
			nkept = 0;
			have_chain = 0;
			break;
		}
	}
	return 0;
}
