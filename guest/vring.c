/* vring.c - see vring.h. Ring layout and rules: virtio 1.x, 2.7. */
#include "vring.h"
#include "platform.h"
#include "runtime.h"

/* x86 keeps stores in order and loads in order (TSO): between those a
 * compiler barrier is enough; a store followed by a load needs mfence. */
#define barrier() __asm__ volatile("" ::: "memory")
#define full_barrier() __asm__ volatile("mfence" ::: "memory")

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

int vring_init(struct vring *r, uint16_t size)
{
	uint64_t avail_off = VIRTQ_DESC_BYTES(size);
	uint64_t used_off = align_up(avail_off + VIRTQ_AVAIL_BYTES(size), VIRTQ_USED_ALIGN);
	uint64_t bytes = used_off + VIRTQ_USED_BYTES(size);
	uint8_t *mem;
	unsigned int i;

	if (!size || size > VRING_MAX || (size & (size - 1)))
		return -PLAT_EINVAL;
	if (r->desc && r->size == size) {
		mem = (uint8_t *)r->desc;
		memset(mem, 0, bytes);
	} else {
		mem = mm_dma_alloc(bytes, 4096);
		if (!mem)
			return -PLAT_ENOMEM;
	}
	r->size = size;
	r->desc = (struct virtq_desc *)mem;
	r->avail = (struct virtq_avail *)(mem + avail_off);
	r->used = (struct virtq_used *)(mem + used_off);
	r->desc_pa = (uint64_t)(uintptr_t)mem;   /* mm_dma_alloc: identity-mapped */
	r->avail_pa = r->desc_pa + avail_off;
	r->used_pa = r->desc_pa + used_off;
	r->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	r->free_head = 0;
	r->nfree = size;
	r->avail_next = r->unpublished = r->used_last = 0;
	for (i = 0; i < size; i++) {
		r->link[i] = (uint16_t)((i + 1) & (size - 1u));
		r->chain_n[i] = 0;
	}
	return 0;
}

unsigned int vring_free_descs(const struct vring *r)
{
	return r->nfree;
}

unsigned int vring_in_flight(const struct vring *r)
{
	return (uint16_t)(r->avail_next - r->used_last);
}

unsigned int vring_device_held(const struct vring *r)
{
	uint16_t used = *(volatile uint16_t *)&r->used->idx;

	return (uint16_t)(r->avail_next - r->unpublished - used);
}

int vring_add(struct vring *r, const struct vring_seg *segs, unsigned int n, uint32_t cookie)
{
	uint16_t head = r->free_head, i = head;
	uint32_t writable = 0;
	unsigned int k;

	if (n == 0)
		return -PLAT_EINVAL;
	if (n > r->nfree)
		return -PLAT_ENOMEM;
	for (k = 0; k < n; k++) {
		struct virtq_desc *d = &r->desc[i];

		d->addr = segs[k].pa;
		d->len = segs[k].len;
		d->flags = segs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0;
		d->next = 0;
		if (segs[k].device_writes)
			writable += segs[k].len;
		if (k + 1 < n) {
			d->flags |= VIRTQ_DESC_F_NEXT;
			d->next = r->link[i];
			i = r->link[i];
		}
	}
	r->free_head = r->link[i];
	r->nfree = (uint16_t)(r->nfree - n);
	r->chain_n[head] = (uint16_t)n;
	r->writable[head] = writable;
	r->cookie[head] = cookie;
	r->avail->ring[r->avail_next & (r->size - 1u)] = head;
	r->avail_next++;
	r->unpublished++;
	return 0;
}

void vring_kick(struct vring *r)
{
	if (!r->unpublished)
		return;
	barrier();   /* descriptors and ring entries before the index */
	*(volatile uint16_t *)&r->avail->idx = r->avail_next;
	r->unpublished = 0;
	full_barrier();   /* the index is visible before the flags are read */
	if (!(*(volatile uint16_t *)&r->used->flags & VIRTQ_USED_F_NO_NOTIFY))
		*r->doorbell = r->qidx;
}

/* Put the chain at head back on the free list. */
static void free_chain(struct vring *r, uint16_t head)
{
	uint16_t last = head;
	unsigned int k;

	for (k = 1; k < r->chain_n[head]; k++)
		last = r->link[last];
	r->link[last] = r->free_head;
	r->free_head = head;
	r->nfree = (uint16_t)(r->nfree + r->chain_n[head]);
	r->chain_n[head] = 0;
}

int vring_poll(struct vring *r, uint32_t *cookie, uint32_t *len)
{
	uint16_t idx = *(volatile uint16_t *)&r->used->idx;
	volatile struct virtq_used_elem *e;
	uint32_t id, n;

	if (idx == r->used_last)
		return 0;
	/* The device cannot return more than the driver published. */
	if ((uint16_t)(idx - r->used_last) > (uint16_t)(r->avail_next - r->unpublished - r->used_last))
		return -PLAT_EIO;
	barrier();   /* the index before the entry it covers */
	e = &r->used->ring[r->used_last & (r->size - 1u)];
	id = e->id;
	n = e->len;
	r->used_last++;
	if (id >= r->size || !r->chain_n[id])
		return -PLAT_EIO;
	*cookie = r->cookie[id];
	*len = n;
	free_chain(r, (uint16_t)id);
	return n > r->writable[id] ? -PLAT_EIO : 1;
}
