/*
 * test_virtq.c - the split virtqueue, device side: normal and indirect
 * chains, used ring publication, interrupt suppression (EVENT_IDX and
 * NO_INTERRUPT, wraparound included), and hostile rings: loops, indexes out
 * of range, buffers past RAM or wrapping 2^64, bad indirect tables,
 * readable-after-writable, avail index jumps, too many segments and rings
 * placed partly outside RAM. Guest RAM is a heap buffer, so AddressSanitizer
 * catches any access outside it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/guestmem.h"
#include "devices/virtq.h"

#define RAM_SIZE (1ULL << 20)
#define QSIZE 8
#define DESC_GPA  0x1000ULL
#define AVAIL_GPA 0x2000ULL
#define USED_GPA  0x3000ULL
#define TABLE_GPA 0x8000ULL
#define DATA_GPA  0x10000ULL

static uint8_t *ram;
static struct guest_mem mem;
static struct virtq vq;
static struct virtq_chain *chain;

static void setup(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert_not_null(ram);
	memset(ram, 0, RAM_SIZE);
	gmem_init_buffer(&mem, ram, RAM_SIZE);
	chain = malloc(sizeof(*chain));
	cr_assert_not_null(chain);
	cr_assert_eq(virtq_init(&vq, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 1), 0);
}

static void teardown(void)
{
	free(chain);
	free(ram);
}

TestSuite(virtq, .init = setup, .fini = teardown);

static struct virtq_desc *desc_at(gpa_t table, unsigned int i)
{
	return (struct virtq_desc *)(ram + table + 16 * i);
}

static void set_desc(gpa_t table, unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	*desc_at(table, i) = (struct virtq_desc){ addr, len, flags, next };
}

static struct virtq_avail *avail(void)
{
	return (struct virtq_avail *)(ram + AVAIL_GPA);
}

static struct virtq_used *used(void)
{
	return (struct virtq_used *)(ram + USED_GPA);
}

/* Make head available, as a driver would. */
static void offer(uint16_t head)
{
	avail()->ring[avail()->idx % QSIZE] = head;
	avail()->idx++;
}

static uint16_t *used_event(void)
{
	return &avail()->ring[QSIZE];
}

static uint16_t *avail_event(void)
{
	return (uint16_t *)(void *)&used()->ring[QSIZE];
}

/* Expect pop to refuse the ring, break the queue, and stay broken. */
static void expect_broken(void)
{
	cr_assert_lt(virtq_pop(&vq, chain), 0);
	cr_assert(vq.broken);
	cr_assert_eq(virtq_pop(&vq, chain), -EIO);
	cr_assert_not(virtq_has_work(&vq));
}

Test(virtq, three_descriptor_chain)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 5);
	set_desc(DESC_GPA, 5, DATA_GPA + 0x1000, 512,
		 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	set_desc(DESC_GPA, 2, DATA_GPA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	cr_assert(virtq_has_work(&vq));
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->head, 0);
	cr_assert_eq(chain->nsegs, 3);
	cr_assert_eq(chain->nreadable, 1);
	cr_assert_eq(chain->readable, 16);
	cr_assert_eq(chain->writable, 513);
	cr_assert_eq(chain->seg[0].host, ram + DATA_GPA);
	cr_assert_eq(chain->seg[1].host, ram + DATA_GPA + 0x1000);
	cr_assert_eq(chain->seg[1].len, 512);
	cr_assert(chain->seg[1].device_writes);
	cr_assert_not(chain->seg[0].device_writes);
	cr_assert_eq(virtq_pop(&vq, chain), 0, "ring is empty now");

	cr_assert_eq(virtq_push(&vq, 0, 513), 0);
	cr_assert_eq(used()->idx, 1);
	cr_assert_eq(used()->ring[0].id, 0);
	cr_assert_eq(used()->ring[0].len, 513);
	cr_assert_eq(virtq_push(&vq, QSIZE, 0), -EINVAL, "head out of range");
	cr_assert_eq(used()->idx, 1);
}

Test(virtq, full_length_chain_and_ring_wrap)
{
	unsigned int i, round;

	/* A chain using every descriptor is fine. */
	for (i = 0; i < QSIZE; i++)
		set_desc(DESC_GPA, i, DATA_GPA + i * 64, 64,
			 i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	/* Reuse it across many laps of the 16-bit indexes. */
	vq.last_avail = 0xfff0;
	vq.used_idx = vq.signalled_used = 0xfff0;
	avail()->idx = 0xfff0;
	for (round = 0; round < 40; round++) {
		offer(0);
		cr_assert_eq(virtq_pop(&vq, chain), 1);
		cr_assert_eq(chain->nsegs, QSIZE);
		cr_assert_eq(chain->readable, 64 * QSIZE);
		cr_assert_eq(virtq_push(&vq, chain->head, 0), 0);
	}
	cr_assert_eq(used()->idx, (uint16_t)(0xfff0 + 40));
}

Test(virtq, indirect_chain)
{
	set_desc(TABLE_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(TABLE_GPA, 1, DATA_GPA + 0x100, 4096,
		 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	set_desc(TABLE_GPA, 2, DATA_GPA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
	/* The WRITE flag on the indirect descriptor itself is ignored. */
	set_desc(DESC_GPA, 3, TABLE_GPA, 48, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->head, 3);
	cr_assert_eq(chain->nsegs, 3);
	cr_assert_eq(chain->readable, 16);
	cr_assert_eq(chain->writable, 4097);
	cr_assert_eq(chain->seg[2].host, ram + DATA_GPA + 0x2000);
}

Test(virtq, direct_then_indirect)
{
	set_desc(TABLE_GPA, 0, DATA_GPA + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
	set_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->nsegs, 2);
	cr_assert_eq(chain->writable, 8);
}

Test(virtq, indirect_not_negotiated)
{
	cr_assert_eq(virtq_init(&vq, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0), 0);
	set_desc(TABLE_GPA, 0, DATA_GPA, 16, 0, 0);
	set_desc(DESC_GPA, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, zero_length_descriptors_are_skipped)
{
	/* Its address is past RAM: a zero-length buffer is never translated. */
	set_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, RAM_SIZE + 0x1000, 0, VIRTQ_DESC_F_NEXT, 2);
	set_desc(DESC_GPA, 2, DATA_GPA + 0x100, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	set_desc(DESC_GPA, 3, DATA_GPA + 0x200, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->nsegs, 2);
	cr_assert_eq(chain->readable, 16);
	cr_assert_eq(chain->writable, 1);
	cr_assert_eq(chain->seg[1].host, ram + DATA_GPA + 0x200);
}

Test(virtq, no_interrupt_flag)
{
	cr_assert_not(virtq_needs_notify(&vq), "nothing pushed yet");
	cr_assert_eq(virtq_push(&vq, 1, 0), 0);
	cr_assert(virtq_needs_notify(&vq));
	cr_assert_not(virtq_needs_notify(&vq), "already signalled");
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	cr_assert_eq(virtq_push(&vq, 1, 0), 0);
	cr_assert_not(virtq_needs_notify(&vq));
	avail()->flags = 0;
	cr_assert_eq(virtq_push(&vq, 1, 0), 0);
	cr_assert(virtq_needs_notify(&vq));
}

Test(virtq, no_notify_flag_while_draining)
{
	virtq_disable_notify(&vq);
	cr_assert_eq(used()->flags, VIRTQ_USED_F_NO_NOTIFY);
	cr_assert_not(virtq_enable_notify(&vq));
	cr_assert_eq(used()->flags, 0);
}

Test(virtq, need_event_arithmetic)
{
	/* True when the entry numbered event was written: event in [old, new). */
	cr_assert(virtq_need_event(0, 1, 0));
	cr_assert_not(virtq_need_event(1, 1, 0), "entry 1 not written yet");
	cr_assert(virtq_need_event(3, 5, 2), "3 in [2,5)");
	cr_assert(virtq_need_event(2, 5, 2), "2 in [2,5)");
	cr_assert_not(virtq_need_event(5, 5, 2), "5 not in [2,5)");
	cr_assert_not(virtq_need_event(1, 5, 2), "1 was signalled before");
	/* Windows that wrap around 0xffff: [0xfffe, 1) = {0xfffe, 0xffff, 0}. */
	cr_assert(virtq_need_event(0xfffe, 1, 0xfffe));
	cr_assert(virtq_need_event(0xffff, 1, 0xfffe));
	cr_assert(virtq_need_event(0, 1, 0xfffe));
	cr_assert_not(virtq_need_event(1, 1, 0xfffe));
	cr_assert_not(virtq_need_event(0xfffd, 1, 0xfffe));
	cr_assert_not(virtq_need_event(0x8000, 1, 0xfffe));
}

Test(virtq, event_idx_notify_decisions)
{
	cr_assert_eq(virtq_init(&vq, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 1, 1), 0);
	/* The NO_INTERRUPT flag is ignored with EVENT_IDX. */
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	*used_event() = 0;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* used idx 0 -> 1 */
	cr_assert(virtq_needs_notify(&vq));
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 1 -> 2, event 0 passed */
	cr_assert_not(virtq_needs_notify(&vq));
	*used_event() = 3;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 2 -> 3 */
	cr_assert_not(virtq_needs_notify(&vq));
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 3 -> 4 crosses 3 */
	cr_assert(virtq_needs_notify(&vq));
	/* Several pushes in one window: one decision over all of them. */
	*used_event() = 5;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 4 -> 7 */
	cr_assert(virtq_needs_notify(&vq));
}

Test(virtq, event_idx_wraparound)
{
	cr_assert_eq(virtq_init(&vq, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 1, 1), 0);
	vq.used_idx = vq.signalled_used = 0xfffe;
	*used_event() = 0xffff;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 0xfffe -> 0 */
	cr_assert_eq(used()->idx, 0);
	cr_assert(virtq_needs_notify(&vq));
	*used_event() = 0xfff0;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);
	cr_assert_not(virtq_needs_notify(&vq));
}

Test(virtq, event_idx_enable_rechecks)
{
	cr_assert_eq(virtq_init(&vq, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 1, 1), 0);
	set_desc(DESC_GPA, 0, DATA_GPA, 16, 0, 0);
	offer(0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert(virtq_enable_notify(&vq), "one chain still waits");
	cr_assert_eq(*avail_event(), 1);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_not(virtq_enable_notify(&vq));
	cr_assert_eq(*avail_event(), 2);
	offer(0);   /* the driver adds one after we enabled: caught */
	cr_assert(virtq_has_work(&vq));
}

Test(virtq, hostile_loop)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_self_loop_of_zero_length)
{
	set_desc(DESC_GPA, 4, 0, 0, VIRTQ_DESC_F_NEXT, 4);
	offer(4);
	expect_broken();
}

Test(virtq, hostile_head_out_of_range)
{
	offer(QSIZE);
	expect_broken();
}

Test(virtq, hostile_next_out_of_range)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 0xffff);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_address_past_ram)
{
	set_desc(DESC_GPA, 0, RAM_SIZE - 8, 16, 0, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_address_at_ram_end)
{
	set_desc(DESC_GPA, 0, RAM_SIZE, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_address_wraps)
{
	set_desc(DESC_GPA, 0, UINT64_MAX - 4, 16, 0, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_length_wraps_from_ram)
{
	set_desc(DESC_GPA, 0, DATA_GPA, UINT32_MAX, 0, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_readable_after_writable)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set_desc(DESC_GPA, 1, DATA_GPA + 16, 16, 0, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_avail_idx_jump)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 16, 0, 0);
	avail()->idx = QSIZE + 1;
	expect_broken();
}

Test(virtq, avail_idx_full_ring_is_fine)
{
	set_desc(DESC_GPA, 0, DATA_GPA, 16, 0, 0);
	avail()->idx = QSIZE;
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_not(vq.broken);
}

Test(virtq, hostile_indirect_bad_length)
{
	static const uint32_t lens[] = { 0, 20, 8 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		cr_assert_eq(virtq_init(&vq, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 1), 0);
		memset(ram + AVAIL_GPA, 0, 0x100);
		set_desc(TABLE_GPA, 0, DATA_GPA, 16, 0, 0);
		set_desc(DESC_GPA, 0, TABLE_GPA, lens[i], VIRTQ_DESC_F_INDIRECT, 0);
		offer(0);
		expect_broken();
	}
}

Test(virtq, hostile_indirect_table_past_ram)
{
	set_desc(DESC_GPA, 0, RAM_SIZE - 32, 64, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_nested_indirect)
{
	set_desc(TABLE_GPA + 0x100, 0, DATA_GPA, 16, 0, 0);
	set_desc(TABLE_GPA, 0, TABLE_GPA + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(DESC_GPA, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_indirect_with_next)
{
	set_desc(TABLE_GPA, 0, DATA_GPA, 16, 0, 0);
	set_desc(DESC_GPA, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, DATA_GPA, 16, 0, 0);
	offer(0);
	expect_broken();
}

Test(virtq, hostile_indirect_loop_and_range)
{
	/* A four-entry table whose last entry points back to the first. */
	set_desc(TABLE_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(TABLE_GPA, 1, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
	set_desc(TABLE_GPA, 2, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 3);
	set_desc(TABLE_GPA, 3, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 0);
	set_desc(DESC_GPA, 0, TABLE_GPA, 64, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();

	/* next beyond the table (but inside the main queue size). */
	cr_assert_eq(virtq_init(&vq, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 1), 0);
	memset(ram + AVAIL_GPA, 0, 0x100);
	set_desc(TABLE_GPA, 3, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 4);
	offer(0);
	expect_broken();
}

Test(virtq, too_many_segments)
{
	unsigned int n = VIRTQ_MAX_SEGS + 1, i;
	gpa_t table = 0x40000;

	for (i = 0; i < n; i++)
		set_desc(table, i, DATA_GPA + i, 1, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	/* Exactly VIRTQ_MAX_SEGS segments is accepted. */
	desc_at(table, VIRTQ_MAX_SEGS - 1)->flags = 0;
	set_desc(DESC_GPA, 0, table, 16 * VIRTQ_MAX_SEGS, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->nsegs, VIRTQ_MAX_SEGS);
	/* One more is refused. */
	desc_at(table, VIRTQ_MAX_SEGS - 1)->flags = VIRTQ_DESC_F_NEXT;
	desc_at(table, n - 1)->flags = 0;
	set_desc(DESC_GPA, 0, table, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}

Test(virtq, init_checks_rings)
{
	struct virtq q2;

	cr_assert_eq(virtq_init(&q2, &mem, 0, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0), -EINVAL);
	cr_assert(q2.broken);
	cr_assert_eq(virtq_pop(&q2, chain), -EIO);
	cr_assert_eq(virtq_init(&q2, &mem, 3, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &mem, 65536, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &mem, 32768, 0x0, 0x80000, 0xa0000, 0, 0), 0);
	cr_assert_eq(virtq_init(&q2, &mem, 1, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0), 0);
	/* Misaligned areas. */
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, DESC_GPA + 8, AVAIL_GPA, USED_GPA, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, DESC_GPA, AVAIL_GPA + 1, USED_GPA, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA + 2, 0, 0), -EINVAL);
	/* Areas partly outside RAM, counting used_event / avail_event. */
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, RAM_SIZE - 64, AVAIL_GPA, USED_GPA, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, DESC_GPA, RAM_SIZE - 20, USED_GPA, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, DESC_GPA, RAM_SIZE - 22, USED_GPA, 0, 0), 0);
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, DESC_GPA, AVAIL_GPA, RAM_SIZE - 68, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, DESC_GPA, AVAIL_GPA, RAM_SIZE - 72, 0, 0), 0);
	cr_assert_eq(virtq_init(&q2, &mem, QSIZE, UINT64_MAX - 15, AVAIL_GPA, USED_GPA, 0, 0), -EINVAL);
}

Test(virtq, guestmem_from_gmem_init)
{
	struct kvmini_error err = { { 0 } };
	struct guest_mem m2;
	struct virtq q2;

	cr_assert_eq(gmem_init(&m2, 16 << 20, KVMINI_PAGES_SMALL, &err), 0, "%s", err.msg);
	cr_assert_eq(virtq_init(&q2, &m2, 256, 0x1000, 0x2000, 0x3000, 1, 1), 0);
	cr_assert_eq(virtq_pop(&q2, chain), 0);
	cr_assert_eq(virtq_init(&q2, &m2, 256, (16 << 20) - 0x800, 0x2000, 0x3000, 1, 1),
		     -EINVAL);
	gmem_destroy(&m2);
}
