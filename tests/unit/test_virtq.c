/*
 * test_virtq.c - the split virtqueue, device side, against the shared fake
 * driver (fake_driver.c): normal and indirect chains, used ring
 * publication, interrupt suppression (EVENT_IDX and NO_INTERRUPT,
 * wraparound included), every hostile chain the fake driver can make
 * (loops, indexes out of range, buffers past RAM or wrapping 2^64, bad
 * indirect tables, readable-after-writable, avail index jumps, too many
 * segments), rings placed partly outside RAM, and the bounds-checked copies
 * into and out of a chain. Guest RAM is a heap buffer, so AddressSanitizer
 * catches any access outside it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/guestmem.h"
#include "devices/virtq.h"
#include "fake_driver.c"

#define RAM_SIZE (1ULL << 20)
#define QSIZE 8

static struct fd_queue q;
static struct virtq vq;
static struct virtq_chain *chain;

static void setup(void)
{
	fd_ram_init(RAM_SIZE);
	chain = malloc(sizeof(*chain));
	cr_assert_not_null(chain);
	fd_queue_init(&q, QSIZE);
	fd_queue_start(&q, &vq, 0, 1);
}

static void teardown(void)
{
	free(chain);
	fd_ram_fini();
}

TestSuite(virtq, .init = setup, .fini = teardown);

/* Expect pop to refuse the ring, break the queue, and stay broken. */
static void expect_broken(const char *what)
{
	cr_assert_lt(virtq_pop(&vq, chain), 0, "%s accepted", what);
	cr_assert(vq.broken, "%s", what);
	cr_assert_eq(virtq_pop(&vq, chain), -EIO, "%s", what);
	cr_assert_not(virtq_has_work(&vq), "%s", what);
	cr_assert_eq(fd_used(&q)->idx, 0, "%s", what);
}

Test(virtq, three_descriptor_chain)
{
	uint64_t d = fd_alloc(0x3000, 16);
	struct fd_seg s[3] = { FD_R(d, 16), FD_W(d + 0x1000, 512), FD_W(d + 0x2000, 1) };
	uint32_t cookie = 0, len = 0;
	uint16_t head = fd_add(&q, s, 3, 77);

	cr_assert(virtq_has_work(&vq));
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->head, head);
	cr_assert_eq(chain->nsegs, 3);
	cr_assert_eq(chain->nreadable, 1);
	cr_assert_eq(chain->readable, 16);
	cr_assert_eq(chain->writable, 513);
	cr_assert_eq(chain->seg[0].host, fd_ptr(d, 16));
	cr_assert_eq(chain->seg[1].host, fd_ptr(d + 0x1000, 512));
	cr_assert_eq(chain->seg[1].len, 512);
	cr_assert(chain->seg[1].device_writes);
	cr_assert_not(chain->seg[0].device_writes);
	cr_assert_eq(virtq_pop(&vq, chain), 0, "ring is empty now");

	cr_assert_eq(virtq_push(&vq, head, 513), 0);
	cr_assert_eq(fd_used(&q)->idx, 1);
	cr_assert_eq(fd_used_len(&q, head), 513);
	cr_assert_eq(virtq_push(&vq, QSIZE, 0), -EINVAL, "head out of range");
	cr_assert_eq(fd_used(&q)->idx, 1);
	cr_assert_eq(fd_poll(&q, &cookie, &len), 1, "the driver takes the used entry");
	cr_assert_eq(cookie, 77);
	cr_assert_eq(len, 513);
	cr_assert_eq(fd_free_descs(&q), QSIZE);
}

Test(virtq, full_length_chain_and_ring_wrap)
{
	uint64_t d = fd_alloc(64 * QSIZE, 16);
	struct fd_seg s[QSIZE];
	uint32_t cookie, len;
	unsigned int i, round;

	/* A chain using every descriptor is fine. */
	for (i = 0; i < QSIZE; i++)
		s[i] = FD_R(d + 64 * i, 64);
	/* Reuse it across many laps of the 16-bit indexes. */
	fd_queue_jump(&q, 0xfff0);
	vq.last_avail = 0xfff0;
	vq.used_idx = vq.signalled_used = 0xfff0;
	for (round = 0; round < 40; round++) {
		fd_add(&q, s, QSIZE, round);
		cr_assert_eq(virtq_pop(&vq, chain), 1);
		cr_assert_eq(chain->nsegs, QSIZE);
		cr_assert_eq(chain->readable, 64 * QSIZE);
		cr_assert_eq(virtq_push(&vq, chain->head, 0), 0);
		cr_assert_eq(fd_poll(&q, &cookie, &len), 1);
		cr_assert_eq(cookie, round);
	}
	cr_assert_eq(fd_used(&q)->idx, (uint16_t)(0xfff0 + 40));
}

Test(virtq, indirect_chain)
{
	uint64_t d = fd_alloc(0x3000, 16);
	struct fd_seg s[3] = { FD_R(d, 16), FD_W(d + 0x100, 4096), FD_W(d + 0x2000, 1) };
	uint16_t head = fd_add_indirect(&q, s, 3, 0);

	/* The WRITE flag on the indirect descriptor itself is ignored. */
	fd_desc(&q, head)->flags |= VIRTQ_DESC_F_WRITE;
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->head, head);
	cr_assert_eq(chain->nsegs, 3);
	cr_assert_eq(chain->readable, 16);
	cr_assert_eq(chain->writable, 4097);
	cr_assert_eq(chain->seg[2].host, fd_ptr(d + 0x2000, 1));
}

Test(virtq, direct_then_indirect)
{
	uint64_t d = fd_alloc(0x200, 16), t = fd_table(1);
	uint16_t ind, head;

	fd_table_set(t, 0, d + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
	ind = fd_raw(&q, t, 16, VIRTQ_DESC_F_INDIRECT, 0);
	head = fd_raw(&q, d, 16, VIRTQ_DESC_F_NEXT, ind);
	fd_publish(&q, head);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->nsegs, 2);
	cr_assert_eq(chain->writable, 8);
}

Test(virtq, indirect_not_negotiated)
{
	struct fd_seg s = FD_R(fd_alloc(16, 16), 16);

	fd_queue_start(&q, &vq, 0, 0);
	fd_add_indirect(&q, &s, 1, 0);
	expect_broken("an indirect table without INDIRECT_DESC");
}

Test(virtq, zero_length_descriptors_are_skipped)
{
	uint64_t d = fd_alloc(0x300, 16);
	/* Its address is past RAM: a zero-length buffer is never translated. */
	struct fd_seg s[4] = { FD_R(d, 16), FD_R(RAM_SIZE + 0x1000, 0), FD_W(d + 0x100, 0),
			       FD_W(d + 0x200, 1) };

	fd_add(&q, s, 4, 0);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->nsegs, 2);
	cr_assert_eq(chain->readable, 16);
	cr_assert_eq(chain->writable, 1);
	cr_assert_eq(chain->seg[1].host, fd_ptr(d + 0x200, 1));
}

Test(virtq, unpop_gives_chains_back)
{
	struct fd_seg s = FD_W(fd_alloc(64, 16), 64);
	uint16_t a = fd_add(&q, &s, 1, 0), b = fd_add(&q, &s, 1, 1);

	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	virtq_unpop(&vq, 1);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->head, b, "the last one comes again");
	virtq_unpop(&vq, 100);   /* more than were popped: clamped */
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->head, a);
	cr_assert_eq(vq.popped, 1);
}

Test(virtq, no_interrupt_flag)
{
	cr_assert_not(virtq_needs_notify(&vq), "nothing pushed yet");
	cr_assert_eq(virtq_push(&vq, 1, 0), 0);
	cr_assert(virtq_needs_notify(&vq));
	cr_assert_not(virtq_needs_notify(&vq), "already signalled");
	fd_avail(&q)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	cr_assert_eq(virtq_push(&vq, 1, 0), 0);
	cr_assert_not(virtq_needs_notify(&vq));
	fd_avail(&q)->flags = 0;
	cr_assert_eq(virtq_push(&vq, 1, 0), 0);
	cr_assert(virtq_needs_notify(&vq));
}

Test(virtq, no_notify_flag_while_draining)
{
	virtq_disable_notify(&vq);
	cr_assert_eq(fd_used(&q)->flags, VIRTQ_USED_F_NO_NOTIFY);
	cr_assert_not(virtq_enable_notify(&vq));
	cr_assert_eq(fd_used(&q)->flags, 0);
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
	fd_queue_start(&q, &vq, 1, 1);
	/* The NO_INTERRUPT flag is ignored with EVENT_IDX. */
	fd_avail(&q)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	*fd_used_event(&q) = 0;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* used idx 0 -> 1 */
	cr_assert(virtq_needs_notify(&vq));
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 1 -> 2, event 0 passed */
	cr_assert_not(virtq_needs_notify(&vq));
	*fd_used_event(&q) = 3;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 2 -> 3 */
	cr_assert_not(virtq_needs_notify(&vq));
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 3 -> 4 crosses 3 */
	cr_assert(virtq_needs_notify(&vq));
	/* Several pushes in one window: one decision over all of them. */
	*fd_used_event(&q) = 5;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 4 -> 7 */
	cr_assert(virtq_needs_notify(&vq));
}

Test(virtq, event_idx_wraparound)
{
	fd_queue_start(&q, &vq, 1, 1);
	vq.used_idx = vq.signalled_used = 0xfffe;
	*fd_used_event(&q) = 0xffff;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);        /* 0xfffe -> 0 */
	cr_assert_eq(fd_used(&q)->idx, 0);
	cr_assert(virtq_needs_notify(&vq));
	*fd_used_event(&q) = 0xfff0;
	cr_assert_eq(virtq_push(&vq, 0, 0), 0);
	cr_assert_not(virtq_needs_notify(&vq));
}

Test(virtq, event_idx_enable_rechecks)
{
	struct fd_seg s = FD_R(fd_alloc(16, 16), 16);

	fd_queue_start(&q, &vq, 1, 1);
	fd_add(&q, &s, 1, 0);
	fd_add(&q, &s, 1, 1);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert(virtq_enable_notify(&vq), "one chain still waits");
	cr_assert_eq(*fd_avail_event(&q), 1);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_not(virtq_enable_notify(&vq));
	cr_assert_eq(*fd_avail_event(&q), 2);
	fd_add(&q, &s, 1, 2);   /* the driver adds one after we enabled: caught */
	cr_assert(virtq_has_work(&vq));
}

/* ---- hostile chains: every one the fake driver makes breaks the queue ---- */

#define HOSTILE(name, kind) \
	Test(virtq, hostile_##name) \
	{ \
		fd_hostile(&q, kind); \
		expect_broken(fd_hostile_name(kind)); \
	}

HOSTILE(loop, FD_LOOP)
HOSTILE(zero_length_self_loop, FD_ZERO_LEN_LOOP)
HOSTILE(head_out_of_range, FD_HEAD_OUT_OF_RANGE)
HOSTILE(next_out_of_range, FD_NEXT_OUT_OF_RANGE)
HOSTILE(address_past_ram, FD_PAST_RAM)
HOSTILE(address_at_ram_end, FD_AT_RAM_END)
HOSTILE(address_wraps, FD_ADDR_WRAPS)
HOSTILE(length_wraps_from_ram, FD_LEN_WRAPS)
HOSTILE(readable_after_writable, FD_READ_AFTER_WRITE)
HOSTILE(avail_idx_jump, FD_AVAIL_JUMP)
HOSTILE(too_many_segments, FD_TOO_MANY)
HOSTILE(nested_indirect, FD_NESTED_INDIRECT)
HOSTILE(indirect_loop, FD_INDIRECT_LOOP)
HOSTILE(indirect_next_out_of_range, FD_INDIRECT_OUT_OF_RANGE)
HOSTILE(indirect_bad_length, FD_INDIRECT_BAD_LEN)
HOSTILE(indirect_empty, FD_INDIRECT_EMPTY)
HOSTILE(indirect_table_past_ram, FD_INDIRECT_PAST_RAM)
HOSTILE(indirect_with_next, FD_INDIRECT_WITH_NEXT)

Test(virtq, hostile_indirect_half_a_descriptor)
{
	uint64_t t = fd_table(1);

	fd_table_set(t, 0, fd_alloc(16, 16), 16, 0, 0);
	fd_publish(&q, fd_raw(&q, t, 8, VIRTQ_DESC_F_INDIRECT, 0));
	expect_broken("an indirect table of 8 bytes");
}

Test(virtq, avail_idx_full_ring_is_fine)
{
	struct fd_seg s = FD_R(fd_alloc(16, 16), 16);
	unsigned int i;

	for (i = 0; i < QSIZE; i++)
		fd_add(&q, &s, 1, i);
	cr_assert_eq(fd_avail(&q)->idx, QSIZE);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_not(vq.broken);
}

Test(virtq, exactly_max_segments_is_fine)
{
	static struct fd_seg s[VIRTQ_MAX_SEGS];
	uint64_t d = fd_alloc(VIRTQ_MAX_SEGS, 16);
	unsigned int i;

	for (i = 0; i < VIRTQ_MAX_SEGS; i++)
		s[i] = FD_R(d + i, 1);
	fd_add_indirect(&q, s, VIRTQ_MAX_SEGS, 0);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	cr_assert_eq(chain->nsegs, VIRTQ_MAX_SEGS);
	cr_assert_eq(chain->readable, VIRTQ_MAX_SEGS);
}

/* ---- copies into and out of a chain ---- */

/* A chain of readable "0123456789" in 3 + 7 bytes and 4 + 4 + 2 writable bytes. */
static uint64_t copy_chain(uint64_t *w)
{
	uint64_t r = fd_put("0123456789", 10);
	struct fd_seg s[5];

	*w = fd_alloc(16, 16);
	memset(fd_ptr(*w, 16), '.', 16);
	s[0] = FD_R(r, 3);
	s[1] = FD_R(r + 3, 7);
	s[2] = FD_W(*w, 4);
	s[3] = FD_W(*w + 4, 4);
	s[4] = FD_W(*w + 8, 2);
	fd_add(&q, s, 5, 0);
	cr_assert_eq(virtq_pop(&vq, chain), 1);
	return r;
}

Test(virtq, chain_read_spans_segments_and_stops_at_the_end)
{
	char buf[16];
	uint64_t w;

	copy_chain(&w);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(virtq_chain_read(chain, 0, buf, 10), 10);
	cr_assert_str_eq(buf, "0123456789");
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(virtq_chain_read(chain, 2, buf, 3), 3, "across the segment border");
	cr_assert_str_eq(buf, "234");
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(virtq_chain_read(chain, 8, buf, sizeof(buf)), 2, "clamped to the end");
	cr_assert_str_eq(buf, "89");
	cr_assert_eq(virtq_chain_read(chain, 10, buf, 1), 0, "offset at the end");
	cr_assert_eq(virtq_chain_read(chain, UINT64_MAX, buf, UINT64_MAX), 0);
	cr_assert_eq(virtq_chain_read(chain, 9, buf, UINT64_MAX), 1, "a length that wraps");
	cr_assert_eq(memcmp(fd_ptr(w, 16), "................", 16), 0, "reading wrote nothing");
}

Test(virtq, chain_write_fills_only_the_writable_part)
{
	uint64_t w, r;

	r = copy_chain(&w);
	cr_assert_eq(virtq_chain_write(chain, 0, "abcdefghijkl", 12), 10, "clamped to 10");
	cr_assert_eq(memcmp(fd_ptr(w, 12), "abcdefghij..", 12), 0);
	cr_assert_eq(virtq_chain_write(chain, 3, "XY", 2), 2, "across the border");
	cr_assert_eq(memcmp(fd_ptr(w, 10), "abcXYfghij", 10), 0);
	cr_assert_eq(virtq_chain_write(chain, 10, "Z", 1), 0, "offset at the end");
	cr_assert_eq(virtq_chain_write(chain, UINT64_MAX - 1, "Z", 5), 0);
	cr_assert_eq(virtq_chain_write(chain, 0, NULL, 4), 0, "nothing to copy");
	cr_assert_eq(memcmp(fd_ptr(r, 10), "0123456789", 10), 0, "readable part untouched");
	cr_assert_eq(memcmp(fd_ptr(w + 10, 6), "......", 6), 0, "nothing past the chain");
}

/* ---- ring placement ---- */

Test(virtq, init_checks_rings)
{
	struct virtq q2;

	cr_assert_eq(virtq_init(&q2, &fd_mem, 0, q.desc, q.avail, q.used, 0, 0), -EINVAL);
	cr_assert(q2.broken);
	cr_assert_eq(virtq_pop(&q2, chain), -EIO);
	cr_assert_eq(virtq_init(&q2, &fd_mem, 3, q.desc, q.avail, q.used, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &fd_mem, 65536, q.desc, q.avail, q.used, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &fd_mem, 32768, 0x0, 0x80000, 0xa0000, 0, 0), 0);
	cr_assert_eq(virtq_init(&q2, &fd_mem, 1, q.desc, q.avail, q.used, 0, 0), 0);
	/* Misaligned areas. */
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, q.desc + 8, q.avail, q.used, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, q.desc, q.avail + 1, q.used, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, q.desc, q.avail, q.used + 2, 0, 0), -EINVAL);
	/* Areas partly outside RAM, counting used_event / avail_event. */
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, RAM_SIZE - 64, q.avail, q.used, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, q.desc, RAM_SIZE - 20, q.used, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, q.desc, RAM_SIZE - 22, q.used, 0, 0), 0);
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, q.desc, q.avail, RAM_SIZE - 68, 0, 0), -EINVAL);
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, q.desc, q.avail, RAM_SIZE - 72, 0, 0), 0);
	cr_assert_eq(virtq_init(&q2, &fd_mem, QSIZE, UINT64_MAX - 15, q.avail, q.used, 0, 0),
		     -EINVAL);
}

Test(virtq, guestmem_from_gmem_init)
{
	struct kvmini_error err = { .msg = "" };
	struct guest_mem m2;
	struct virtq q2;

	cr_assert_eq(gmem_init(&m2, 16 << 20, KVMINI_PAGES_SMALL, &err), 0, "%s", err.msg);
	cr_assert_eq(virtq_init(&q2, &m2, 256, 0x1000, 0x2000, 0x3000, 1, 1), 0);
	cr_assert_eq(virtq_pop(&q2, chain), 0);
	cr_assert_eq(virtq_init(&q2, &m2, 256, (16 << 20) - 0x800, 0x2000, 0x3000, 1, 1),
		     -EINVAL);
	gmem_destroy(&m2);
}
