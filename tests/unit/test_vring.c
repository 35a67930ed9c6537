/*
 * test_vring.c - the guest drivers' polled split virtqueue (guest/vring.c)
 * against a device played by the test: descriptor chains as the spec lays
 * them out, publication and notification (suppressed by
 * VIRTQ_USED_F_NO_NOTIFY), and every impossible used entry a device could
 * return - unknown head, idle head, a chain member that is not a head,
 * a length beyond the writable bytes, a used index that runs ahead -
 * refused without touching the free list. A long run with chains of mixed
 * lengths wraps the 16-bit indices and checks that no descriptor is ever
 * in two chains.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../guest/vring.c"

/* mm_dma_alloc for the host: a static arena, never freed (as in the guest). */
static uint8_t arena[1 << 20] __attribute__((aligned(4096)));
static size_t arena_used;

void *mm_dma_alloc(uint64_t size, uint64_t align)
{
	size_t at = (arena_used + align - 1) & ~(size_t)(align - 1);

	if (at + size > sizeof(arena))
		return NULL;
	arena_used = at + size;
	memset(arena + at, 0, size);
	return arena + at;
}

static struct vring r;
static volatile uint16_t doorbell;
static uint16_t dev_last_avail;   /* the device's view */

static void setup(void)
{
	memset(&r, 0, sizeof(r));
	cr_assert_eq(vring_init(&r, 16), 0);
	r.qidx = 3;
	r.doorbell = &doorbell;
	doorbell = 0xffff;
	dev_last_avail = 0;
}

/* The device takes the next published head. */
static uint16_t dev_take(void)
{
	cr_assert_neq(dev_last_avail, r.avail->idx, "nothing published");
	return r.avail->ring[dev_last_avail++ & (r.size - 1)];
}

/* The device returns head with len bytes written. */
static void dev_put(uint32_t id, uint32_t len)
{
	uint16_t u = r.used->idx;

	r.used->ring[u & (r.size - 1)] = (struct virtq_used_elem){ id, len };
	r.used->idx = (uint16_t)(u + 1);
}

static int add3(uint32_t cookie)
{
	struct vring_seg s[3] = {
		{ 0x1000, 16, 0 }, { 0x20000, 4096, 1 }, { 0x3000, 1, 1 },
	};

	return vring_add(&r, s, 3, cookie);
}

TestSuite(vring, .init = setup);

Test(vring, init_rejects_bad_sizes_and_lays_out_the_rings)
{
	struct vring q;

	memset(&q, 0, sizeof(q));
	cr_expect_eq(vring_init(&q, 0), -PLAT_EINVAL);
	cr_expect_eq(vring_init(&q, 24), -PLAT_EINVAL);
	cr_expect_eq(vring_init(&q, VRING_MAX * 2), -PLAT_EINVAL);
	cr_expect_eq(r.desc_pa % 16, 0);
	cr_expect_eq(r.avail_pa, r.desc_pa + 16 * 16);
	cr_expect_eq(r.used_pa % 4, 0);
	cr_expect_geq(r.used_pa, r.avail_pa + 6 + 2 * 16);
	cr_expect_eq(r.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	cr_expect_eq(vring_free_descs(&r), 16);
}

Test(vring, a_chain_is_linked_and_published_at_the_kick)
{
	uint16_t head, d1, d2;

	cr_assert_eq(add3(7), 0);
	cr_expect_eq(vring_free_descs(&r), 13);
	cr_expect_eq(r.avail->idx, 0, "published before the kick");
	cr_expect_eq(doorbell, 0xffff);
	vring_kick(&r);
	cr_expect_eq(r.avail->idx, 1);
	cr_expect_eq(doorbell, 3, "the doorbell gets the queue index");
	head = dev_take();
	cr_expect_eq(r.desc[head].addr, 0x1000);
	cr_expect_eq(r.desc[head].len, 16);
	cr_expect_eq(r.desc[head].flags, VIRTQ_DESC_F_NEXT);
	d1 = r.desc[head].next;
	cr_expect_eq(r.desc[d1].addr, 0x20000);
	cr_expect_eq(r.desc[d1].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	d2 = r.desc[d1].next;
	cr_expect_eq(r.desc[d2].len, 1);
	cr_expect_eq(r.desc[d2].flags, VIRTQ_DESC_F_WRITE);
	cr_expect(head != d1 && d1 != d2 && head != d2);
}

Test(vring, no_notification_when_the_device_says_so_and_none_for_nothing)
{
	vring_kick(&r);
	cr_expect_eq(doorbell, 0xffff, "a kick with nothing added notifies");
	r.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	cr_assert_eq(add3(1), 0);
	vring_kick(&r);
	cr_expect_eq(r.avail->idx, 1, "published even without a notification");
	cr_expect_eq(doorbell, 0xffff);
}

Test(vring, a_completion_returns_the_cookie_and_frees_the_chain)
{
	uint32_t c = 0, len = 0;

	cr_expect_eq(vring_poll(&r, &c, &len), 0);
	cr_assert_eq(add3(42), 0);
	vring_kick(&r);
	dev_put(dev_take(), 4097);
	cr_expect_eq(vring_poll(&r, &c, &len), 1);
	cr_expect_eq(c, 42);
	cr_expect_eq(len, 4097);
	cr_expect_eq(vring_free_descs(&r), 16);
	cr_expect_eq(vring_in_flight(&r), 0);
	cr_expect_eq(vring_poll(&r, &c, &len), 0);
}

Test(vring, not_enough_descriptors)
{
	struct vring_seg s[16];

	memset(s, 0, sizeof(s));
	cr_expect_eq(vring_add(&r, s, 0, 0), -PLAT_EINVAL);
	cr_assert_eq(vring_add(&r, s, 14, 0), 0);
	cr_expect_eq(add3(1), -PLAT_ENOMEM);
	cr_expect_eq(vring_free_descs(&r), 2);
}

/* A fresh ring with one 3-descriptor chain (4097 writable bytes) at the
 * device; returns its head. */
static uint16_t one_chain_out(void)
{
	setup();
	cr_assert_eq(add3(5), 0);
	vring_kick(&r);
	return dev_take();
}

Test(vring, impossible_used_entries_are_refused)
{
	uint32_t c, len;
	uint16_t head;

	one_chain_out();
	dev_put(16, 0);   /* beyond the ring */
	cr_expect_eq(vring_poll(&r, &c, &len), -PLAT_EIO);
	cr_expect_eq(vring_free_descs(&r), 13, "the free list was touched");

	head = one_chain_out();
	dev_put(r.desc[head].next, 1);   /* in a chain, but not its head */
	cr_expect_eq(vring_poll(&r, &c, &len), -PLAT_EIO);
	cr_expect_eq(vring_free_descs(&r), 13, "the free list was touched");

	head = one_chain_out();
	dev_put(head, 4098);   /* more than the 4097 writable bytes */
	cr_expect_eq(vring_poll(&r, &c, &len), -PLAT_EIO);
	cr_expect_eq(vring_free_descs(&r), 16, "a known head is still freed");

	head = one_chain_out();
	cr_assert_eq(add3(6), 0);   /* a second chain, still at the device */
	vring_kick(&r);
	dev_put(head, 1);
	cr_expect_eq(vring_poll(&r, &c, &len), 1);
	dev_put(head, 1);   /* the first one again: idle now */
	cr_expect_eq(vring_poll(&r, &c, &len), -PLAT_EIO);
	cr_expect_eq(vring_free_descs(&r), 13);
}

Test(vring, a_used_index_running_ahead_is_refused)
{
	uint32_t c, len;

	cr_assert_eq(add3(5), 0);
	vring_kick(&r);
	cr_assert_eq(add3(6), 0);   /* added, not published */
	r.used->idx = 2;
	cr_expect_eq(vring_poll(&r, &c, &len), -PLAT_EIO);
}

static uint32_t lcg(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

/* Mark (or clear) the descriptors of the chain at head. */
static void own_chain(uint8_t *owned, uint16_t head, int on)
{
	uint16_t d = head;

	for (;;) {
		if (on)
			cr_assert_eq(owned[d], 0, "descriptor %u in two chains", d);
		owned[d] = (uint8_t)on;
		if (!(r.desc[d].flags & VIRTQ_DESC_F_NEXT))
			break;
		d = r.desc[d].next;
	}
}

Test(vring, indices_wrap_and_no_descriptor_is_shared)
{
	uint8_t owned[16] = { 0 };
	uint16_t pending[16];
	unsigned int npending = 0, step, k, nowned;
	uint32_t seed = 1, c, len, completed = 0;

	for (step = 0; step < 100000; step++) {
		struct vring_seg s[4];
		unsigned int n = 1 + lcg(&seed) % 4;

		memset(s, 0, sizeof(s));
		s[n - 1] = (struct vring_seg){ 0x1000, 8, 1 };
		if (vring_add(&r, s, n, step) == 0)
			own_chain(owned, r.avail->ring[(uint16_t)(r.avail_next - 1) & 15], 1);
		vring_kick(&r);
		while (dev_last_avail != r.avail->idx)
			pending[npending++] = dev_take();
		/* The device completes some, in any order. */
		for (k = lcg(&seed) % (npending + 1); k > 0; k--) {
			unsigned int j = lcg(&seed) % npending;

			own_chain(owned, pending[j], 0);
			dev_put(pending[j], 8);
			pending[j] = pending[--npending];
		}
		while (vring_poll(&r, &c, &len) == 1) {
			cr_assert_eq(len, 8);
			completed++;
		}
		for (k = 0, nowned = 0; k < 16; k++)
			nowned += owned[k];
		cr_assert_eq(vring_free_descs(&r), 16 - nowned);
		cr_assert_eq(vring_in_flight(&r), npending);
	}
	cr_expect_gt(completed, 65536u, "the used index did not wrap");
}
