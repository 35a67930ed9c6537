/* virtq.c - see virtq.h. */
#include "devices/virtq.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

/* The u16 after the last avail ring entry: the driver's used_event. */
static uint16_t *used_event_ptr(const struct virtq *vq)
{
	return &vq->avail_host->ring[vq->size];
}

/* The u16 after the last used ring entry: the device's avail_event. */
static uint16_t *avail_event_ptr(const struct virtq *vq)
{
	return (uint16_t *)(void *)&vq->used_host->ring[vq->size];
}

static uint16_t load16(const uint16_t *p, int order)
{
	return le16toh(__atomic_load_n(p, order));
}

static void store16(uint16_t *p, uint16_t v, int order)
{
	__atomic_store_n(p, htole16(v), order);
}

/* Translate one ring area, checking its alignment and that it fits in RAM. */
static void *ring_area(const struct guest_mem *mem, gpa_t gpa, uint64_t bytes,
		       uint64_t align)
{
	if (gpa & (align - 1))
		return NULL;
	return gmem_ptr(mem, gpa, bytes);
}

int virtq_init(struct virtq *vq, const struct guest_mem *mem, unsigned int size,
	       gpa_t desc_gpa, gpa_t avail_gpa, gpa_t used_gpa,
	       int event_idx, int indirect)
{
	memset(vq, 0, sizeof(*vq));
	vq->broken = 1;
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	vq->desc_host = ring_area(mem, desc_gpa, VIRTQ_DESC_BYTES(size),
				  VIRTQ_DESC_ALIGN);
	vq->avail_host = ring_area(mem, avail_gpa, VIRTQ_AVAIL_BYTES(size),
				   VIRTQ_AVAIL_ALIGN);
	vq->used_host = ring_area(mem, used_gpa, VIRTQ_USED_BYTES(size),
				  VIRTQ_USED_ALIGN);
	if (!vq->desc_host || !vq->avail_host || !vq->used_host)
		return -EINVAL;
	vq->mem = mem;
	vq->size = (uint16_t)size;
	vq->desc = desc_gpa;
	vq->avail = avail_gpa;
	vq->used = used_gpa;
	vq->event_idx = !!event_idx;
	vq->indirect = !!indirect;
	/* Both ring indexes start at 0 (the driver zeroed the rings). */
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->broken = 0;
	return 0;
}

/*
 * Copy one descriptor out of guest memory and stop the compiler from
 * re-reading the guest's copy afterwards: the guest may change it at any
 * time, so only the local copy is validated and used.
 */
static void read_desc(const uint8_t *src, struct virtq_desc *d)
{
	memcpy(d, src, sizeof(*d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

static int broken(struct virtq *vq)
{
	vq->broken = 1;
	return -EINVAL;
}

/* Append one buffer descriptor to c; 0 or -EINVAL. */
static int add_buffer(const struct virtq *vq, struct virtq_chain *c,
		      const struct virtq_desc *d)
{
	int writes = !!(d->flags & VIRTQ_DESC_F_WRITE);
	void *host;

	if (d->len == 0)
		return 0;             /* accepted and skipped */
	if (!writes && c->writable)
		return -EINVAL;       /* readable after writable */
	if (c->nsegs >= VIRTQ_MAX_SEGS)
		return -EINVAL;
	host = gmem_ptr(vq->mem, d->addr, d->len);
	if (!host)
		return -EINVAL;
	c->seg[c->nsegs++] = (struct virtq_seg){
		.host = host, .len = d->len, .device_writes = writes };
	if (writes) {
		c->writable += d->len;
	} else {
		c->readable += d->len;
		c->nreadable = c->nsegs;
	}
	return 0;
}

/* Walk the chain starting at head (in the main table) into c. */
static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	const uint8_t *table = (const uint8_t *)vq->desc_host;
	unsigned int limit = vq->size, count = 0, idx = head;
	int in_indirect = 0;
	struct virtq_desc d;

	for (;;) {
		if (idx >= limit || ++count > limit)
			return -EINVAL;   /* index out of range, loop, too long */
		read_desc(table + (size_t)idx * sizeof(d), &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!vq->indirect || in_indirect ||
			    (d.flags & VIRTQ_DESC_F_NEXT))
				return -EINVAL;
			if (d.len == 0 || d.len % sizeof(struct virtq_desc))
				return -EINVAL;
			table = gmem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return -EINVAL;
			limit = d.len / sizeof(struct virtq_desc);
			in_indirect = 1;
			count = 0;
			idx = 0;
			continue;
		}
		if (add_buffer(vq, c, &d))
			return -EINVAL;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t avail_idx, pending, head;

	if (vq->broken)
		return -EIO;
	avail_idx = load16(&vq->avail_host->idx, __ATOMIC_ACQUIRE);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending == 0)
		return 0;
	if (pending > vq->size)
		return broken(vq);
	head = load16(&vq->avail_host->ring[vq->last_avail & (vq->size - 1)],
		      __ATOMIC_RELAXED);
	if (head >= vq->size)
		return broken(vq);
	c->head = head;
	c->nsegs = 0;
	c->nreadable = 0;
	c->readable = 0;
	c->writable = 0;
	if (walk_chain(vq, head, c))
		return broken(vq);
	vq->last_avail++;
	vq->popped++;
	return 1;
}

void virtq_unpop(struct virtq *vq, uint16_t n)
{
	if (n > vq->popped)
		n = (uint16_t)vq->popped;
	vq->last_avail = (uint16_t)(vq->last_avail - n);
	vq->popped -= n;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t written_len)
{
	struct virtq_used_elem *e;

	if (!vq->used_host || head >= vq->size)
		return -EINVAL;
	e = &vq->used_host->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(written_len), __ATOMIC_RELAXED);
	vq->used_idx++;
	/* The element (and the data and status before it) before the index. */
	store16(&vq->used_host->idx, vq->used_idx, __ATOMIC_RELEASE);
	vq->pushed++;
	return 0;
}

bool virtq_needs_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;

	if (!vq->used_host || old == now)
		return false;
	vq->signalled_used = now;
	/* used->idx must be visible before we read the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx)
		return virtq_need_event(load16(used_event_ptr(vq), __ATOMIC_RELAXED),
					now, old);
	return !(load16(&vq->avail_host->flags, __ATOMIC_RELAXED) &
		 VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void virtq_disable_notify(struct virtq *vq)
{
	if (!vq->used_host || vq->event_idx)
		return;
	store16(&vq->used_host->flags, VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (!vq->used_host)
		return false;
	if (vq->event_idx)
		store16(avail_event_ptr(vq), vq->last_avail, __ATOMIC_RELAXED);
	else
		store16(&vq->used_host->flags, 0, __ATOMIC_RELAXED);
	/* Publish the request for a kick before looking at avail->idx again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_work(vq);
}

bool virtq_enable_notify_more(struct virtq *vq)
{
	uint16_t seen;

	if (!vq->used_host || vq->broken)
		return false;
	seen = load16(&vq->avail_host->idx, __ATOMIC_ACQUIRE);
	if (vq->event_idx)
		store16(avail_event_ptr(vq), seen, __ATOMIC_RELAXED);
	else
		store16(&vq->used_host->flags, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(&vq->avail_host->idx, __ATOMIC_ACQUIRE) != seen;
}

bool virtq_has_work(struct virtq *vq)
{
	if (!vq->avail_host || vq->broken)
		return false;
	return load16(&vq->avail_host->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

unsigned int virtq_chain_iov(const struct virtq_chain *c, unsigned int first,
			      unsigned int end, uint64_t skip, uint64_t len,
			      struct iovec *iov)
{
	unsigned int i, n = 0;
	uint64_t take;

	for (i = first; i < end && len; i++) {
		const struct virtq_seg *s = &c->seg[i];

		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		take = s->len - skip;
		if (take > len)
			take = len;
		iov[n++] = (struct iovec){ .iov_base = (uint8_t *)s->host + skip,
					   .iov_len = (size_t)take };
		len -= take;
		skip = 0;
	}
	return n;
}

/*
 * Copy between the caller's buffer and segments [first, end) of c, which
 * hold total bytes, starting off bytes in: from src into the chain, or (src
 * NULL) from the chain to dst. Returns the bytes copied.
 */
static uint64_t chain_copy(const struct virtq_chain *c, unsigned int first,
			   unsigned int end, uint64_t total, uint64_t off, uint8_t *dst,
			   const uint8_t *src, uint64_t len)
{
	uint64_t done = 0, take;
	unsigned int i;

	if (off >= total)
		return 0;
	if (len > total - off)
		len = total - off;
	if (end > c->nsegs)
		end = c->nsegs;
	for (i = first; i < end && done < len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		uint8_t *host = s->host;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		take = s->len - off;
		if (take > len - done)
			take = len - done;
		if (src)
			memcpy(host + off, src + done, (size_t)take);
		else
			memcpy(dst + done, host + off, (size_t)take);
		done += take;
		off = 0;
	}
	return done;
}

uint64_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst,
			  uint64_t len)
{
	return chain_copy(c, 0, c->nreadable, c->readable, off, dst, NULL, len);
}

uint64_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src,
			   uint64_t len)
{
	if (!src)
		return 0;
	return chain_copy(c, c->nreadable, c->nsegs, c->writable, off, NULL, src, len);
}
