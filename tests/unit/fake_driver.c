/*
 * fake_driver.c - see fake_driver.h. Included by the test files that use
 * it (it is not built on its own).
 */
#include "fake_driver.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define FD_RAM_FIRST 0x1000u

uint8_t *fd_ram;
uint64_t fd_ram_size;
struct guest_mem fd_mem;
static uint64_t fd_next;

/* ---- guest RAM ---- */

void fd_ram_init(uint64_t size)
{
	fd_ram = aligned_alloc(4096, size);
	cr_assert_not_null(fd_ram);
	memset(fd_ram, 0, size);
	fd_ram_size = size;
	gmem_init_buffer(&fd_mem, fd_ram, size);
	fd_next = FD_RAM_FIRST;
}

void fd_ram_fini(void)
{
	free(fd_ram);
	fd_ram = NULL;
	fd_ram_size = 0;
}

void *fd_ptr(uint64_t gpa, uint64_t len)
{
	cr_assert(gpa <= fd_ram_size && len <= fd_ram_size - gpa,
		  "[%#llx, +%#llx) is not guest RAM", (unsigned long long)gpa,
		  (unsigned long long)len);
	return fd_ram + gpa;
}

uint64_t fd_alloc(uint64_t len, uint64_t align)
{
	uint64_t g = (fd_next + align - 1) & ~(align - 1);

	cr_assert(g <= fd_ram_size && len <= fd_ram_size - g, "guest RAM is full");
	fd_next = g + len;
	memset(fd_ram + g, 0, len);
	return g;
}

uint64_t fd_put(const void *data, uint64_t len)
{
	uint64_t g = fd_alloc(len, 8);

	memcpy(fd_ram + g, data, len);
	return g;
}

/* ---- queues ---- */

/* Zero what of [gpa, gpa+len) lies inside RAM. */
static void zero_inside(uint64_t gpa, uint64_t len)
{
	if (gpa >= fd_ram_size)
		return;
	if (len > fd_ram_size - gpa)
		len = fd_ram_size - gpa;
	memset(fd_ram + gpa, 0, len);
}

void fd_queue_place(struct fd_queue *q, uint16_t size, uint64_t desc, uint64_t avail,
		    uint64_t used)
{
	unsigned int i;

	cr_assert(size && size <= FD_QUEUE_MAX && !(size & (size - 1)), "queue size %u", size);
	memset(q, 0, sizeof(*q));
	q->size = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	zero_inside(desc, VIRTQ_DESC_BYTES(size));
	zero_inside(avail, VIRTQ_AVAIL_BYTES(size));
	zero_inside(used, VIRTQ_USED_BYTES(size));
	q->nfree = size;
	for (i = 0; i < size; i++)
		q->link[i] = (uint16_t)((i + 1) & (size - 1u));
}

void fd_queue_init(struct fd_queue *q, uint16_t size)
{
	uint64_t desc = fd_alloc(VIRTQ_DESC_BYTES(size), 4096);
	uint64_t avail = fd_alloc(VIRTQ_AVAIL_BYTES(size), VIRTQ_AVAIL_ALIGN);
	uint64_t used = fd_alloc(VIRTQ_USED_BYTES(size), 4096);

	fd_queue_place(q, size, desc, avail, used);
}

void fd_queue_start(struct fd_queue *q, struct virtq *vq, int event_idx, int indirect)
{
	cr_assert_eq(virtq_init(vq, &fd_mem, q->size, q->desc, q->avail, q->used,
				event_idx, indirect), 0, "virtq_init refused the fake driver's rings");
}

void fd_queue_jump(struct fd_queue *q, uint16_t idx)
{
	q->avail_next = q->used_last = idx;
	fd_avail(q)->idx = idx;
	fd_used(q)->idx = idx;
}

struct virtq_desc *fd_desc(const struct fd_queue *q, uint16_t i)
{
	cr_assert_lt(i, q->size);
	return (struct virtq_desc *)fd_ptr(q->desc, VIRTQ_DESC_BYTES(q->size)) + i;
}

struct virtq_avail *fd_avail(const struct fd_queue *q)
{
	return fd_ptr(q->avail, VIRTQ_AVAIL_BYTES(q->size));
}

struct virtq_used *fd_used(const struct fd_queue *q)
{
	return fd_ptr(q->used, VIRTQ_USED_BYTES(q->size));
}

uint16_t *fd_used_event(const struct fd_queue *q)
{
	return &fd_avail(q)->ring[q->size];
}

uint16_t *fd_avail_event(const struct fd_queue *q)
{
	return (uint16_t *)(void *)&fd_used(q)->ring[q->size];
}

void fd_publish(struct fd_queue *q, uint16_t head)
{
	struct virtq_avail *a = fd_avail(q);

	a->ring[q->avail_next & (q->size - 1u)] = head;
	q->avail_next++;
	/* The entry (and the descriptors before it) before the index. */
	__atomic_store_n(&a->idx, q->avail_next, __ATOMIC_RELEASE);
}

/* Take n descriptors off the free list as one chain; its head. */
static uint16_t take_chain(struct fd_queue *q, unsigned int n)
{
	uint16_t head = q->free_head, i = head;
	unsigned int k;

	cr_assert(n > 0 && n <= q->nfree, "%u descriptors wanted, %u free", n, q->nfree);
	for (k = 1; k < n; k++)
		i = q->link[i];
	q->free_head = q->link[i];
	q->nfree = (uint16_t)(q->nfree - n);
	return head;
}

/* Write segs as descriptors: into the queue's table along link, or a plain table. */
static void write_chain(struct virtq_desc *table, const uint16_t *link, uint16_t first,
			const struct fd_seg *segs, unsigned int n, uint32_t *writable)
{
	uint16_t i = first;
	unsigned int k;

	*writable = 0;
	for (k = 0; k < n; k++) {
		uint16_t next = link ? link[i] : (uint16_t)(i + 1);

		table[i] = (struct virtq_desc){
			.addr = segs[k].gpa, .len = segs[k].len,
			.flags = (uint16_t)((segs[k].writes ? VIRTQ_DESC_F_WRITE : 0) |
					    (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			.next = k + 1 < n ? next : 0,
		};
		if (segs[k].writes)
			*writable += segs[k].len;
		i = next;
	}
}

uint16_t fd_add(struct fd_queue *q, const struct fd_seg *segs, unsigned int n,
		uint32_t cookie)
{
	uint16_t head = take_chain(q, n);

	write_chain(fd_desc(q, 0), q->link, head, segs, n, &q->writable[head]);
	q->chain_n[head] = (uint16_t)n;
	q->cookie[head] = cookie;
	fd_publish(q, head);
	return head;
}

uint16_t fd_add_indirect(struct fd_queue *q, const struct fd_seg *segs, unsigned int n,
			 uint32_t cookie)
{
	uint64_t table = fd_table(n);
	uint16_t head = take_chain(q, 1);

	write_chain(fd_ptr(table, 16ULL * n), NULL, 0, segs, n, &q->writable[head]);
	*fd_desc(q, head) = (struct virtq_desc){ .addr = table, .len = 16 * n,
						 .flags = VIRTQ_DESC_F_INDIRECT };
	q->chain_n[head] = 1;
	q->cookie[head] = cookie;
	fd_publish(q, head);
	return head;
}

/* Put the chain at head back on the free list. */
static void free_chain(struct fd_queue *q, uint16_t head)
{
	uint16_t last = head;
	unsigned int k;

	for (k = 1; k < q->chain_n[head]; k++)
		last = q->link[last];
	q->link[last] = q->free_head;
	q->free_head = head;
	q->nfree = (uint16_t)(q->nfree + q->chain_n[head]);
	q->chain_n[head] = 0;
}

int fd_poll(struct fd_queue *q, uint32_t *cookie, uint32_t *len)
{
	struct virtq_used *u = fd_used(q);
	uint16_t idx = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
	struct virtq_used_elem e;

	if (idx == q->used_last)
		return 0;
	/* The device cannot return more than was made available. */
	if ((uint16_t)(idx - q->used_last) > (uint16_t)(q->avail_next - q->used_last))
		return -1;
	e = u->ring[q->used_last & (q->size - 1u)];
	q->used_last++;
	if (e.id >= q->size || !q->chain_n[e.id])
		return -1;
	*cookie = q->cookie[e.id];
	*len = e.len;
	if (e.len > q->writable[e.id]) {
		free_chain(q, (uint16_t)e.id);
		return -1;
	}
	free_chain(q, (uint16_t)e.id);
	return 1;
}

uint32_t fd_used_len(const struct fd_queue *q, uint16_t head)
{
	struct virtq_used *u = fd_used(q);
	uint16_t k, n = (uint16_t)(u->idx - q->used_last);

	cr_assert_leq(n, q->size, "the used index ran ahead");
	for (k = 0; k < n; k++) {
		const struct virtq_used_elem *e = &u->ring[(q->used_last + k) & (q->size - 1u)];

		if (e->id == head)
			return e->len;
	}
	cr_assert_fail("chain %u is not in the used ring", head);
	return 0;
}

unsigned int fd_free_descs(const struct fd_queue *q)
{
	return q->nfree;
}

/* ---- raw descriptors ---- */

uint16_t fd_raw(struct fd_queue *q, uint64_t addr, uint32_t len, uint16_t flags,
		uint16_t next)
{
	uint16_t i = take_chain(q, 1);

	*fd_desc(q, i) = (struct virtq_desc){ addr, len, flags, next };
	return i;
}

uint64_t fd_table(unsigned int n)
{
	return fd_alloc(16ULL * (n ? n : 1), 16);
}

void fd_table_set(uint64_t table, unsigned int i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next)
{
	struct virtq_desc *d = fd_ptr(table + 16ULL * i, 16);

	*d = (struct virtq_desc){ addr, len, flags, next };
}

/* ---- hostile chains ---- */

static const char *const hostile_names[FD_HOSTILE_COUNT] = {
	[FD_LOOP] = "a descriptor loop",
	[FD_ZERO_LEN_LOOP] = "a zero-length self loop",
	[FD_HEAD_OUT_OF_RANGE] = "a head outside the ring",
	[FD_NEXT_OUT_OF_RANGE] = "a next outside the ring",
	[FD_PAST_RAM] = "a buffer running past RAM",
	[FD_AT_RAM_END] = "a buffer at the end of RAM",
	[FD_ADDR_WRAPS] = "an address that wraps",
	[FD_LEN_WRAPS] = "a 4 GiB length",
	[FD_READ_AFTER_WRITE] = "readable after writable",
	[FD_AVAIL_JUMP] = "an avail index jump",
	[FD_TOO_MANY] = "too many descriptors",
	[FD_NESTED_INDIRECT] = "nested indirect tables",
	[FD_INDIRECT_LOOP] = "a loop in an indirect table",
	[FD_INDIRECT_OUT_OF_RANGE] = "a next outside the indirect table",
	[FD_INDIRECT_BAD_LEN] = "an indirect table of 20 bytes",
	[FD_INDIRECT_EMPTY] = "an empty indirect table",
	[FD_INDIRECT_PAST_RAM] = "an indirect table past RAM",
	[FD_INDIRECT_WITH_NEXT] = "an indirect descriptor with NEXT",
};

const char *fd_hostile_name(enum fd_hostile h)
{
	return h < FD_HOSTILE_COUNT ? hostile_names[h] : "?";
}

/* An indirect descriptor for table (len bytes), published. */
static void publish_indirect(struct fd_queue *q, uint64_t table, uint32_t len, uint16_t flags,
			     uint16_t next)
{
	fd_publish(q, fd_raw(q, table, len, VIRTQ_DESC_F_INDIRECT | flags, next));
}

/* The hostile chains of one descriptor: it in *d; 0 for the others. */
static int one_descriptor(enum fd_hostile h, uint64_t buf, struct virtq_desc *d)
{
	const uint16_t w = VIRTQ_DESC_F_WRITE, next = VIRTQ_DESC_F_NEXT;

	switch (h) {
	case FD_NEXT_OUT_OF_RANGE: *d = (struct virtq_desc){ buf, 16, next, 0xffff }; break;
	case FD_PAST_RAM: *d = (struct virtq_desc){ fd_ram_size - 8, 16, 0, 0 }; break;
	case FD_AT_RAM_END: *d = (struct virtq_desc){ fd_ram_size, 1, w, 0 }; break;
	case FD_ADDR_WRAPS: *d = (struct virtq_desc){ UINT64_MAX - 4, 16, 0, 0 }; break;
	case FD_LEN_WRAPS: *d = (struct virtq_desc){ buf, UINT32_MAX, 0, 0 }; break;
	default: return 0;
	}
	return 1;
}

void fd_hostile(struct fd_queue *q, enum fd_hostile h)
{
	uint64_t buf = fd_alloc(64, 16), t;
	struct virtq_desc d;
	uint16_t a, b;
	unsigned int i, n;

	if (one_descriptor(h, buf, &d)) {
		fd_publish(q, fd_raw(q, d.addr, d.len, d.flags, d.next));
		return;
	}
	switch (h) {
	case FD_LOOP:
		a = fd_raw(q, buf, 16, VIRTQ_DESC_F_NEXT, 0);
		b = fd_raw(q, buf + 16, 16, VIRTQ_DESC_F_NEXT, a);
		fd_desc(q, a)->next = b;
		fd_publish(q, a);
		break;
	case FD_ZERO_LEN_LOOP:
		a = fd_raw(q, 0, 0, VIRTQ_DESC_F_NEXT, 0);
		fd_desc(q, a)->next = a;
		fd_publish(q, a);
		break;
	case FD_HEAD_OUT_OF_RANGE:
		fd_publish(q, q->size);
		break;
	case FD_READ_AFTER_WRITE:
		a = fd_raw(q, buf, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
		b = fd_raw(q, buf + 16, 16, 0, 0);
		fd_desc(q, a)->next = b;
		fd_publish(q, a);
		break;
	case FD_AVAIL_JUMP:
		fd_raw(q, buf, 16, 0, 0);
		fd_avail(q)->idx = (uint16_t)(q->avail_next + q->size + 1);
		break;
	case FD_TOO_MANY:
		n = VIRTQ_MAX_SEGS + 1;
		t = fd_table(n);
		for (i = 0; i < n; i++)
			fd_table_set(t, i, buf + i % 64, 1, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0,
				     (uint16_t)(i + 1));
		publish_indirect(q, t, 16 * n, 0, 0);
		break;
	case FD_NESTED_INDIRECT:
		t = fd_table(2);
		fd_table_set(t, 1, buf, 16, 0, 0);
		fd_table_set(t, 0, t + 16, 16, VIRTQ_DESC_F_INDIRECT, 0);
		publish_indirect(q, t, 16, 0, 0);
		break;
	case FD_INDIRECT_LOOP:
	case FD_INDIRECT_OUT_OF_RANGE:
		t = fd_table(4);
		for (i = 0; i < 4; i++)
			fd_table_set(t, i, buf + 16 * i, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
		fd_table_set(t, 3, buf + 48, 16, VIRTQ_DESC_F_NEXT, h == FD_INDIRECT_LOOP ? 0 : 4);
		publish_indirect(q, t, 64, 0, 0);
		break;
	case FD_INDIRECT_BAD_LEN:
	case FD_INDIRECT_EMPTY:
		t = fd_table(2);
		fd_table_set(t, 0, buf, 16, 0, 0);
		publish_indirect(q, t, h == FD_INDIRECT_EMPTY ? 0 : 20, 0, 0);
		break;
	case FD_INDIRECT_PAST_RAM:
		publish_indirect(q, fd_ram_size - 32, 64, 0, 0);
		break;
	case FD_INDIRECT_WITH_NEXT:
		t = fd_table(1);
		fd_table_set(t, 0, buf, 16, 0, 0);
		b = fd_raw(q, buf + 16, 16, 0, 0);
		publish_indirect(q, t, 16, VIRTQ_DESC_F_NEXT, b);
		break;
	default:
		cr_assert_fail("no hostile chain %d", (int)h);
	}
}

/* ---- the virtio-pci transport ---- */

/* Common configuration (virtio 1.x, 4.1.4.3). */
enum {
	FD_CC_DFSELECT = 0x00, FD_CC_DF = 0x04, FD_CC_GFSELECT = 0x08, FD_CC_GF = 0x0c,
	FD_CC_NUM_QUEUES = 0x12, FD_CC_STATUS = 0x14, FD_CC_Q_SELECT = 0x16,
	FD_CC_Q_SIZE = 0x18, FD_CC_Q_MSIX = 0x1a, FD_CC_Q_ENABLE = 0x1c,
	FD_CC_Q_NOTIFY_OFF = 0x1e, FD_CC_Q_DESC = 0x20, FD_CC_Q_DRIVER = 0x28,
	FD_CC_Q_DEVICE = 0x30,
};

uint64_t fd_pci_read(const struct fd_pci *p, uint64_t off, unsigned int len)
{
	uint64_t v = 0;

	p->vp->pci.ops->bar_read(p->vp->pci.opaque, 0, off, &v, len);
	return v;
}

void fd_pci_write(const struct fd_pci *p, uint64_t off, uint64_t val, unsigned int len)
{
	p->vp->pci.ops->bar_write(p->vp->pci.opaque, 0, off, &val, len);
}

void fd_pci_attach(struct fd_pci *p, struct virtio_pci *vp)
{
	const uint8_t *cfg = vp->pci.cfg;
	unsigned int cap, seen = 0;

	memset(p, 0, sizeof(*p));
	p->vp = vp;
	for (cap = cfg[0x34]; cap; cap = cfg[cap + 1]) {
		uint32_t off;

		cr_assert_lt(cap, 256 - 16, "capability list runs off config space");
		if (cfg[cap] != 0x09)   /* vendor-specific: a virtio structure */
			continue;
		cr_assert_eq(cfg[cap + 4], 0, "a virtio structure outside BAR 0");
		memcpy(&off, &cfg[cap + 8], 4);
		switch (cfg[cap + 3]) {
		case 1: p->common = off; break;
		case 2:
			p->notify = off;
			memcpy(&p->notify_mult, &cfg[cap + 16], 4);
			break;
		case 3: p->isr = off; break;
		case 4: p->device = off; break;
		default: continue;
		}
		seen |= 1u << cfg[cap + 3];
	}
	cr_assert_eq(seen, 0x1eu, "common, notify, ISR and device structures");
}

uint8_t fd_pci_status(const struct fd_pci *p)
{
	return (uint8_t)fd_pci_read(p, p->common + FD_CC_STATUS, 1);
}

uint64_t fd_pci_features(const struct fd_pci *p)
{
	uint64_t f;

	fd_pci_write(p, p->common + FD_CC_DFSELECT, 0, 4);
	f = fd_pci_read(p, p->common + FD_CC_DF, 4);
	fd_pci_write(p, p->common + FD_CC_DFSELECT, 1, 4);
	return f | fd_pci_read(p, p->common + FD_CC_DF, 4) << 32;
}

uint8_t fd_pci_start(const struct fd_pci *p, uint64_t features, const struct fd_queue *qs,
		     unsigned int nq)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	unsigned int q;

	fd_pci_reset(p);
	fd_pci_write(p, p->common + FD_CC_STATUS, s, 1);
	cr_assert_geq(fd_pci_read(p, p->common + FD_CC_NUM_QUEUES, 2), nq);
	fd_pci_write(p, p->common + FD_CC_GFSELECT, 0, 4);
	fd_pci_write(p, p->common + FD_CC_GF, (uint32_t)features, 4);
	fd_pci_write(p, p->common + FD_CC_GFSELECT, 1, 4);
	fd_pci_write(p, p->common + FD_CC_GF, features >> 32, 4);
	s |= VIRTIO_STATUS_FEATURES_OK;
	fd_pci_write(p, p->common + FD_CC_STATUS, s, 1);
	if (!(fd_pci_status(p) & VIRTIO_STATUS_FEATURES_OK))
		return fd_pci_status(p);
	for (q = 0; q < nq; q++) {
		fd_pci_write(p, p->common + FD_CC_Q_SELECT, q, 2);
		cr_assert_geq(fd_pci_read(p, p->common + FD_CC_Q_SIZE, 2), qs[q].size);
		fd_pci_write(p, p->common + FD_CC_Q_SIZE, qs[q].size, 2);
		fd_pci_write(p, p->common + FD_CC_Q_MSIX, q, 2);
		fd_pci_write(p, p->common + FD_CC_Q_DESC, qs[q].desc, 8);
		fd_pci_write(p, p->common + FD_CC_Q_DRIVER, qs[q].avail, 8);
		fd_pci_write(p, p->common + FD_CC_Q_DEVICE, qs[q].used, 8);
		fd_pci_write(p, p->common + FD_CC_Q_ENABLE, 1, 2);
	}
	fd_pci_write(p, p->common + FD_CC_STATUS, s | VIRTIO_STATUS_DRIVER_OK, 1);
	return fd_pci_status(p);
}

void fd_pci_kick(const struct fd_pci *p, unsigned int q)
{
	uint64_t off;

	fd_pci_write(p, p->common + FD_CC_Q_SELECT, q, 2);
	off = fd_pci_read(p, p->common + FD_CC_Q_NOTIFY_OFF, 2);
	fd_pci_write(p, p->notify + off * p->notify_mult, q, 2);
	virtio_pci_kick_ready(p->vp, q);
}

void fd_pci_reset(const struct fd_pci *p)
{
	fd_pci_write(p, p->common + FD_CC_STATUS, 0, 1);
}
