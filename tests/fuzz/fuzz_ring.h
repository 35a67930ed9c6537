/*
 * fuzz_ring.h - guest RAM and split virtqueues laid out by fuzzer bytes, for
 * the virtqueue and virtio device targets (fuzz_virtq, fuzz_virtio_blk,
 * fuzz_virtio_net, fuzz_net_ctrl, fuzz_virtio_pci).
 *
 * Guest RAM is one malloc'd buffer of FZ_RAM_SIZE bytes at guest-physical 0
 * (AddressSanitizer sees any device access outside it), zeroed before each
 * input. Queue q's rings sit in their own FZ_QREGION-byte slot from gpa 0;
 * the RAM above the FZ_MAXQ slots is where chains built by fz_chain() get
 * their buffers (a bump allocator that wraps).
 *
 * Every target reads its input the same way: a short header, then a
 * sequence of operations, each an opcode byte and its arguments (all
 * integers little-endian; an input that ends early reads zeros). The ops
 * shared by the ring targets are decoded by fz_ring_op():
 *
 *   FZ_OP_WRITE      off:u32 n:u8 bytes[n]     copy bytes to RAM (off mod size)
 *   FZ_OP_DESC       q:u8 idx:u16 addr:u64 len:u32 flags:u16 next:u16
 *                                              descriptor idx of q's table
 *   FZ_OP_AVAIL      q:u8 head:u16             publish head on q's avail ring
 *   FZ_OP_AVAIL_IDX  q:u8 idx:u16              set avail->idx outright
 *   FZ_OP_RING_FLAGS q:u8 sel:u8 v:u16         sel&1 ? used_event : avail->flags
 *   FZ_OP_TABLE_DESC off:u32 idx:u8 addr:u64 len:u32 flags:u16 next:u16
 *                                              an entry of a table anywhere in RAM
 *
 * What the devices may do is checked as they do it (fz_check_used after
 * every call into a device): a queue never pushes more chains than it
 * popped, every push is published in the used ring (used->idx follows),
 * only heads inside the ring, and for the chains fz_chain() built never a
 * used length beyond the chain's writable bytes; a target may look at each
 * used entry itself (fz_on_used). Those that read used entries back from
 * RAM last while the books are sure: the queue's rings fit its slot, no
 * raw op touched descriptors or the avail ring (fz_dirty), the buffer area
 * did not wrap, and a head is not out twice (a chain built over
 * descriptors still out poisons the heads involved). Around each call,
 * fz_irq_before/_after check the interrupts. A violation aborts (FZ_CHECK).
 */
#ifndef KVMINI_FUZZ_RING_H
#define KVMINI_FUZZ_RING_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/guestmem.h"
#include "devices/virtq.h"
#include "virtio_abi.h"

#ifndef FZ_RAM_SIZE
#define FZ_RAM_SIZE (256u << 10)     /* a target may ask for more */
#endif
#define FZ_QREGION (32u << 10)       /* ring slot of each queue, from gpa 0 */
#define FZ_MAXQ 4                    /* queues a ring target drives */
#define FZ_BUF_BASE (FZ_MAXQ * FZ_QREGION) /* buffers of built chains from here */
#define FZ_TRACK 1024                /* heads whose writable bytes are known */
#define FZ_MAX_SEGS 64               /* segments fz_chain() builds at most */

/* A failed check: say which and abort, so that the fuzzer keeps the input. */
#define FZ_CHECK(cond)                                                             \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                            \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* ---- reading the input ---- */

struct fz_in {
	const uint8_t *p;
	size_t n, i;
};

static inline int fz_more(const struct fz_in *in)
{
	return in->i < in->n;
}

/* The next bytes-byte little-endian integer (zeros past the end). */
static inline uint64_t fz_u(struct fz_in *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int k;

	for (k = 0; k < bytes; k++)
		v |= (uint64_t)(in->i < in->n ? in->p[in->i++] : 0) << (8 * k);
	return v;
}

static inline uint8_t fz_u8(struct fz_in *in) { return (uint8_t)fz_u(in, 1); }
static inline uint16_t fz_u16(struct fz_in *in) { return (uint16_t)fz_u(in, 2); }
static inline uint32_t fz_u32(struct fz_in *in) { return (uint32_t)fz_u(in, 4); }
static inline uint64_t fz_u64(struct fz_in *in) { return fz_u(in, 8); }

/* ---- guest RAM ---- */

static uint8_t *fz_ram;
static struct guest_mem fz_mem;
static uint64_t fz_bump;
static int fz_dirty;     /* a raw write may have changed descriptors */

/* fz_ram_reset - zeroed RAM for a new input (allocated the first time). */
static inline void fz_ram_reset(void)
{
	if (!fz_ram) {
		fz_ram = malloc(FZ_RAM_SIZE);
		if (!fz_ram)
			abort();
	}
	memset(fz_ram, 0, FZ_RAM_SIZE);
	gmem_init_buffer(&fz_mem, fz_ram, FZ_RAM_SIZE);
	fz_bump = FZ_BUF_BASE;
	fz_dirty = 0;
}

/* fz_host - the host address of [gpa, gpa+len) if inside RAM, else NULL. */
static inline void *fz_host(uint64_t gpa, uint64_t len)
{
	if (gpa > FZ_RAM_SIZE || len > FZ_RAM_SIZE - gpa)
		return NULL;
	return fz_ram + gpa;
}

/* fz_put - store len bytes at gpa, as much of them as lies inside RAM. */
static inline void fz_put(uint64_t gpa, const void *data, uint64_t len)
{
	if (gpa >= FZ_RAM_SIZE)
		return;
	if (len > FZ_RAM_SIZE - gpa)
		len = FZ_RAM_SIZE - gpa;
	memcpy(fz_ram + gpa, data, len);
}

/*
 * fz_alloc - len bytes of the buffer area. More than a quarter of RAM is
 * not given: the caller's descriptor then runs over the next buffers, so
 * the books are no longer sure.
 */
static inline uint64_t fz_alloc(uint64_t len, uint64_t align)
{
	uint64_t g;

	if (len > FZ_RAM_SIZE / 4) {
		len = FZ_RAM_SIZE / 4;
		fz_dirty = 1;
	}
	g = ALIGN_UP(fz_bump, align);
	if (g + len > FZ_RAM_SIZE) {
		g = FZ_BUF_BASE;
		fz_dirty = 1;   /* tables of chains still out may be overwritten */
	}
	fz_bump = g + len;
	return g;
}

/* fz_in_ram - a range of host memory lies inside RAM. */
static inline int fz_in_ram(const void *p, uint64_t len)
{
	const uint8_t *b = p;

	return b >= fz_ram && (uint64_t)(b - fz_ram) <= FZ_RAM_SIZE &&
	       len <= FZ_RAM_SIZE - (uint64_t)(b - fz_ram);
}

/* ---- the driver's side of a queue ---- */

struct fz_q {
	uint16_t size;                /* as the device was told */
	uint64_t desc, avail, used;
	uint16_t avail_idx;           /* next avail entry to fill */
	uint16_t next_desc;           /* next descriptor fz_chain() takes */
	uint16_t used_seen;           /* device used_idx at the last check */
	uint64_t pushed_seen;
	/*
	 * The chains fz_chain() built, by head (queues of at most FZ_TRACK
	 * entries): known while the chain is out with the device as built;
	 * poisoned once a head may be out twice (its descriptors were taken
	 * again before it came back), which ends checking that head.
	 */
	uint8_t known[FZ_TRACK], poisoned[FZ_TRACK];
	uint32_t writable[FZ_TRACK], readable[FZ_TRACK];
	uint16_t first[FZ_TRACK], ndesc[FZ_TRACK];
	uint16_t owner[FZ_TRACK];     /* descriptor i: 1 + the head of its known chain */
	/* Interrupts around one call into the device (fz_irq_before/_after). */
	uint16_t irq_old;             /* the device's signalled_used before it */
	unsigned int irq_calls;       /* notifications during it */
};

/*
 * If set, called for each used entry (while the books are sure, see
 * fz_check_used) in the order the device pushed them, known saying whether
 * the head is a chain the books know (then before it is forgotten): a
 * target checks what the device did with it.
 */
static void (*fz_on_used)(struct fz_q *q, uint16_t head, uint32_t len, int known);

/*
 * fz_q_layout - queue idx of size entries in its ring slot: the descriptor
 * table first, then the avail ring, then the used ring (4-aligned).
 */
static inline void fz_q_layout(struct fz_q *q, unsigned int idx, uint16_t size)
{
	uint64_t base = (uint64_t)idx * FZ_QREGION;

	memset(q, 0, sizeof(*q));
	q->size = size;
	q->desc = base;
	q->avail = base + VIRTQ_DESC_BYTES(size);
	q->used = ALIGN_UP(q->avail + VIRTQ_AVAIL_BYTES(size), 4);
}

/* fz_q_tracked - whether chains of q are checked (its rings fit its slot). */
static inline int fz_q_tracked(const struct fz_q *q)
{
	return q->size && q->size <= FZ_TRACK;
}

/* fz_q_restart - the driver's indexes start again at 0 (a new virtq_init). */
static inline void fz_q_restart(struct fz_q *q)
{
	q->avail_idx = 0;
	q->next_desc = 0;
	q->used_seen = 0;
	q->pushed_seen = 0;
	memset(q->known, 0, sizeof(q->known));
	memset(q->poisoned, 0, sizeof(q->poisoned));
	memset(q->owner, 0, sizeof(q->owner));
}

static inline void fz_put16(uint64_t gpa, uint16_t v)
{
	uint16_t le = htole16(v);

	fz_put(gpa, &le, 2);
}

static inline void fz_put_desc(uint64_t gpa, uint64_t addr, uint32_t len, uint16_t flags,
			       uint16_t next)
{
	struct virtq_desc d = { htole64(addr), htole32(len), htole16(flags), htole16(next) };

	fz_put(gpa, &d, sizeof(d));
}

/* fz_publish - make head available on q. */
static inline void fz_publish(struct fz_q *q, uint16_t head)
{
	if (!q->size)
		return;
	fz_put16(q->avail + 4 + 2ULL * (q->avail_idx & (q->size - 1u)), head);
	q->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	fz_put16(q->avail + 2, q->avail_idx);
}

/* Forget known chain h: its descriptors are free for the books. */
static inline void fz_forget(struct fz_q *q, uint16_t h)
{
	unsigned int k;

	for (k = 0; k < q->ndesc[h]; k++) {
		uint16_t i = (uint16_t)((q->first[h] + k) & (q->size - 1u));

		if (q->owner[i] == h + 1)
			q->owner[i] = 0;
	}
	q->known[h] = 0;
}

/* Descriptor i is taken for a new chain: a known chain using it is spoilt. */
static inline void fz_take_desc(struct fz_q *q, uint16_t i)
{
	uint16_t h;

	if (!fz_q_tracked(q))
		return;
	if (q->owner[i]) {
		h = (uint16_t)(q->owner[i] - 1);
		fz_forget(q, h);
		q->poisoned[h] = 1;
	}
}

/* One buffer of a chain that fz_chain() builds. */
struct fz_seg {
	uint64_t gpa;
	uint32_t len;
	int writes;
};

/*
 * fz_chain - write segs as one chain of q (direct descriptors taken in turn
 * from next_desc, or one indirect descriptor whose table is in the buffer
 * area) and publish it. Returns its head.
 */
static inline uint16_t fz_chain(struct fz_q *q, const struct fz_seg *s, unsigned int n,
				int indirect)
{
	uint16_t head, i, nd = indirect ? 1 : (uint16_t)n;
	uint32_t writable = 0, readable = 0;
	unsigned int k;

	if (!q->size || !n)
		return 0;
	for (k = 0; k < n; k++) {
		if (s[k].writes)
			writable += s[k].len;
		else
			readable += s[k].len;
	}
	head = (uint16_t)(q->next_desc & (q->size - 1u));
	for (k = 0; k < nd; k++)
		fz_take_desc(q, (uint16_t)((head + k) & (q->size - 1u)));
	if (indirect) {
		uint64_t t = fz_alloc(16ULL * n, 16);

		for (k = 0; k < n; k++)
			fz_put_desc(t + 16ULL * k, s[k].gpa, s[k].len,
				    (uint16_t)((s[k].writes ? VIRTQ_DESC_F_WRITE : 0) |
					       (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
				    (uint16_t)(k + 1));
		fz_put_desc(q->desc + 16ULL * head, t, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
		q->next_desc++;
	} else {
		for (k = 0; k < n; k++) {
			i = (uint16_t)(q->next_desc & (q->size - 1u));
			q->next_desc++;
			fz_put_desc(q->desc + 16ULL * i, s[k].gpa, s[k].len,
				    (uint16_t)((s[k].writes ? VIRTQ_DESC_F_WRITE : 0) |
					       (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
				    (uint16_t)(q->next_desc & (q->size - 1u)));
		}
	}
	if (fz_q_tracked(q)) {
		if (nd <= q->size && !q->poisoned[head] && !q->known[head]) {
			q->known[head] = 1;
			q->writable[head] = writable;
			q->readable[head] = readable;
			q->first[head] = head;
			q->ndesc[head] = nd;
			for (k = 0; k < nd; k++)
				q->owner[(head + k) & (q->size - 1u)] = (uint16_t)(head + 1);
		} else {
			q->poisoned[head] = 1;   /* out twice, or it overran the ring */
		}
	}
	fz_publish(q, head);
	return head;
}

/*
 * fz_split - cut [gpa, gpa+len) into up to n segments (of the direction
 * writes) appended to s at *k; at least one byte each while there are bytes.
 */
static inline void fz_split(struct fz_seg *s, unsigned int *k, uint64_t gpa, uint32_t len,
			    unsigned int n, int writes)
{
	unsigned int j;

	if (n == 0)
		n = 1;
	if (n > len && len)
		n = len;
	for (j = 0; j < n && *k < FZ_MAX_SEGS; j++) {
		uint32_t part = j + 1 == n ? len : len / n;

		s[(*k)++] = (struct fz_seg){ gpa, part, writes };
		gpa += part;
		len -= part;
	}
}

/*
 * fz_check_used - what the device pushed on q (vq its queue) since the last
 * check is plausible; see the top of this file.
 */
static inline void fz_check_used(struct fz_q *q, const struct virtq *vq)
{
	uint16_t n, k;

	if (!vq->used_host || !q->size)
		return;
	FZ_CHECK(vq->pushed <= vq->popped);
	n = (uint16_t)(vq->used_idx - q->used_seen);
	FZ_CHECK((uint16_t)(vq->pushed - q->pushed_seen) == n);
	/*
	 * The used entries are read back from RAM: only while nothing but the
	 * device writes there (rings inside their slot, no raw descriptors
	 * that may point buffers at them).
	 */
	for (k = 0; k < n && fz_q_tracked(q) && !fz_dirty; k++) {
		const struct virtq_used_elem *e =
			&vq->used_host->ring[(uint16_t)(q->used_seen + k) & (vq->size - 1u)];
		uint32_t id = le32toh(e->id), len = le32toh(e->len);

		FZ_CHECK(id < vq->size);
		if (fz_on_used)
			fz_on_used(q, (uint16_t)id, len, q->known[id]);
		if (q->known[id]) {
			FZ_CHECK(len <= q->writable[id]);
			fz_forget(q, (uint16_t)id);
		}
	}
	q->used_seen = vq->used_idx;
	q->pushed_seen = vq->pushed;
}

/*
 * fz_irq_before / fz_irq_after - around every call into a device, for each
 * started queue (the target's notify callback counts irq_calls): after it,
 * everything pushed was decided on (no interrupt is lost for later), at
 * most one notification went out, and one did exactly when the driver
 * asked for it: EVENT_IDX's used_event crossed, else NO_INTERRUPT clear.
 */
static inline void fz_irq_before(struct fz_q *q, const struct virtq *vq)
{
	q->irq_old = vq->signalled_used;
	q->irq_calls = 0;
}

static inline void fz_irq_after(struct fz_q *q, const struct virtq *vq)
{
	uint16_t flags, event;
	int want;

	if (!vq->used_host)
		return;
	FZ_CHECK(q->irq_calls <= 1);
	FZ_CHECK(vq->signalled_used == vq->used_idx);
	if (!fz_q_tracked(q) || fz_dirty)
		return;   /* what the driver asked is read back from RAM */
	memcpy(&flags, &vq->avail_host->flags, 2);
	memcpy(&event, &vq->avail_host->ring[vq->size], 2);
	if (vq->used_idx == q->irq_old)
		want = 0;
	else if (vq->event_idx)
		want = virtq_need_event(le16toh(event), vq->used_idx, q->irq_old);
	else
		want = !(le16toh(flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	FZ_CHECK(q->irq_calls == (unsigned int)want);
}

/* ---- the shared ops ---- */

enum {
	FZ_OP_WRITE, FZ_OP_DESC, FZ_OP_AVAIL, FZ_OP_AVAIL_IDX, FZ_OP_RING_FLAGS,
	FZ_OP_TABLE_DESC,
	FZ_OP_FIRST_OWN   /* a target's own ops are numbered from here */
};

/*
 * fz_ring_op - decode and run shared op op on queues qs[0..nq). Returns 1
 * if op was one of them, 0 if the target must decode it.
 */
static inline int fz_ring_op(struct fz_in *in, unsigned int op, struct fz_q *qs,
			     unsigned int nq)
{
	struct fz_q *q;
	uint64_t off, addr;
	uint32_t len;
	uint16_t idx, flags, next;
	uint8_t n, sel;

	switch (op) {
	case FZ_OP_WRITE:
		off = fz_u32(in) % FZ_RAM_SIZE;
		n = fz_u8(in);
		if (n > in->n - in->i)
			n = (uint8_t)(in->n - in->i);
		fz_put(off, in->p + in->i, n);
		in->i += n;
		fz_dirty = 1;
		return 1;
	case FZ_OP_TABLE_DESC:
		off = fz_u32(in) % FZ_RAM_SIZE;
		idx = fz_u8(in);
		addr = fz_u64(in);
		len = fz_u32(in);
		flags = fz_u16(in);
		next = fz_u16(in);
		fz_put_desc(off + 16ULL * idx, addr, len, flags, next);
		fz_dirty = 1;
		return 1;
	default:
		break;
	}
	if (op > FZ_OP_TABLE_DESC)
		return 0;
	q = &qs[fz_u8(in) % nq];
	switch (op) {
	case FZ_OP_DESC:
		idx = fz_u16(in);
		addr = fz_u64(in);
		len = fz_u32(in);
		flags = fz_u16(in);
		next = fz_u16(in);
		fz_put_desc(q->desc + 16ULL * idx, addr, len, flags, next);
		fz_dirty = 1;
		break;
	case FZ_OP_AVAIL:
		fz_publish(q, fz_u16(in));
		fz_dirty = 1;
		break;
	case FZ_OP_AVAIL_IDX:
		q->avail_idx = fz_u16(in);
		fz_put16(q->avail + 2, q->avail_idx);
		fz_dirty = 1;
		break;
	case FZ_OP_RING_FLAGS:
		sel = fz_u8(in);
		next = fz_u16(in);
		if (sel & 1)
			fz_put16(q->avail + 4 + 2ULL * q->size, next);   /* used_event */
		else
			fz_put16(q->avail, next);
		break;
	}
	return 1;
}

#endif
