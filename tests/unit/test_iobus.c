/*
 * test_iobus.c - the port/MMIO bus: registration rules (length, wrapping,
 * overlaps), unregistration, overlap queries, routing with per-device
 * offsets, unclaimed accesses, and lookups on other threads while the
 * table changes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/iobus.h"
#include "stress.h"

struct fake_dev {
	int reads, writes;
	uint64_t last_off;
	unsigned int last_len;
	uint8_t last_data[8];
};

static void fake_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct fake_dev *d = opaque;
	uint8_t *b = data;
	unsigned int i;

	d->reads++;
	d->last_off = off;
	d->last_len = len;
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(0x40 + off + i);
}

static void fake_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct fake_dev *d = opaque;

	d->writes++;
	d->last_off = off;
	d->last_len = len;
	memcpy(d->last_data, data, len);
}

static const struct iodev_ops fake_ops = { .read = fake_read, .write = fake_write };

static struct iobus bus;

static void setup(void)
{
	iobus_init(&bus, "pio");
}

static void teardown(void)
{
	iobus_destroy(&bus);
}

TestSuite(iobus, .init = setup, .fini = teardown);

static uint64_t unclaimed(void)
{
	return atomic_load(&bus.unclaimed);
}

Test(iobus, routes_with_offset)
{
	struct fake_dev a = { 0 }, b = { 0 };
	uint8_t buf[4] = { 0 };
	uint32_t w = 0x11223344;

	cr_assert_eq(iobus_register(&bus, 0x3f8, 8, &fake_ops, &a, "a"), 0);
	cr_assert_eq(iobus_register(&bus, 0x60, 1, &fake_ops, &b, "b"), 0);

	cr_assert_eq(iobus_access(&bus, 0x3fd, buf, 1, 0), 0);
	cr_assert_eq(a.reads, 1);
	cr_assert_eq(a.last_off, 5);
	cr_assert_eq(a.last_len, 1);
	cr_assert_eq(buf[0], 0x45);
	cr_assert_eq(b.reads, 0);

	cr_assert_eq(iobus_access(&bus, 0x3fc, &w, 4, 1), 0);
	cr_assert_eq(a.writes, 1);
	cr_assert_eq(a.last_off, 4);
	cr_assert_eq(a.last_len, 4);
	cr_assert_eq(memcmp(a.last_data, &w, 4), 0);

	cr_assert_eq(iobus_access(&bus, 0x60, buf, 1, 1), 0);
	cr_assert_eq(b.writes, 1);
	cr_assert_eq(b.last_off, 0);
	cr_assert_eq(unclaimed(), 0);
}

Test(iobus, find_returns_owner)
{
	struct fake_dev a = { 0 };
	const struct iobus_range *r;

	cr_assert_eq(iobus_register(&bus, 0x1000, 0x10, &fake_ops, &a, "a"), 0);
	r = iobus_find(&bus, 0x100f);
	cr_assert_not_null(r);
	cr_assert_eq(r->base, 0x1000);
	cr_assert_eq(r->len, 0x10);
	cr_assert_eq(r->opaque, &a);
	cr_assert_str_eq(r->name, "a");
	cr_assert_null(iobus_find(&bus, 0xfff));
	cr_assert_null(iobus_find(&bus, 0x1010));
}

Test(iobus, refuses_zero_length)
{
	struct fake_dev a = { 0 };

	cr_assert_eq(iobus_register(&bus, 0x100, 0, &fake_ops, &a, "a"), -EINVAL);
	cr_assert_eq(bus.nr, 0);
}

Test(iobus, refuses_wrapping_range)
{
	struct fake_dev a = { 0 };

	cr_assert_eq(iobus_register(&bus, UINT64_MAX - 3, 5, &fake_ops, &a, "a"), -EINVAL);
	cr_assert_eq(iobus_register(&bus, UINT64_MAX, 2, &fake_ops, &a, "a"), -EINVAL);
	cr_assert_eq(iobus_register(&bus, 2, UINT64_MAX, &fake_ops, &a, "a"), -EINVAL);
	cr_assert_eq(bus.nr, 0);
	/* A range ending exactly at UINT64_MAX is fine. */
	cr_assert_eq(iobus_register(&bus, UINT64_MAX - 3, 4, &fake_ops, &a, "a"), 0);
	cr_assert_not_null(iobus_find(&bus, UINT64_MAX));
}

Test(iobus, refuses_overlaps)
{
	struct fake_dev a = { 0 };

	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	/* exact */
	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "x"), -EEXIST);
	/* partial, from below */
	cr_assert_eq(iobus_register(&bus, 0xf8, 0x9, &fake_ops, &a, "x"), -EEXIST);
	/* partial, from above */
	cr_assert_eq(iobus_register(&bus, 0x10f, 0x4, &fake_ops, &a, "x"), -EEXIST);
	/* new range inside the old one */
	cr_assert_eq(iobus_register(&bus, 0x104, 0x2, &fake_ops, &a, "x"), -EEXIST);
	/* new range containing the old one */
	cr_assert_eq(iobus_register(&bus, 0x0, 0x1000, &fake_ops, &a, "x"), -EEXIST);
	cr_assert_eq(bus.nr, 1);
}

Test(iobus, adjacent_ranges_ok)
{
	struct fake_dev a = { 0 }, b = { 0 }, c = { 0 };
	uint8_t v;

	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	cr_assert_eq(iobus_register(&bus, 0x110, 0x10, &fake_ops, &b, "b"), 0);
	cr_assert_eq(iobus_register(&bus, 0xf0, 0x10, &fake_ops, &c, "c"), 0);
	cr_assert_eq(bus.nr, 3);

	cr_assert_eq(iobus_access(&bus, 0x10f, &v, 1, 0), 0);
	cr_assert_eq(a.reads, 1);
	cr_assert_eq(a.last_off, 0xf);
	cr_assert_eq(iobus_access(&bus, 0x110, &v, 1, 0), 0);
	cr_assert_eq(b.reads, 1);
	cr_assert_eq(b.last_off, 0);
	cr_assert_eq(iobus_access(&bus, 0xff, &v, 1, 0), 0);
	cr_assert_eq(c.reads, 1);
	cr_assert_eq(c.last_off, 0xf);
}

Test(iobus, unclaimed_read_is_all_ones_and_counted)
{
	struct fake_dev a = { 0 };
	uint64_t v = 0;

	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	cr_assert_eq(iobus_access(&bus, 0x200, &v, 8, 0), 1);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(unclaimed(), 1);

	v = 0;
	cr_assert_eq(iobus_access(&bus, 0x80, &v, 2, 0), 1);
	cr_assert_eq(v, 0xffff, "only len bytes are filled");
	cr_assert_eq(unclaimed(), 2);
	cr_assert_eq(a.reads, 0);
}

Test(iobus, unclaimed_write_is_dropped_and_counted)
{
	struct fake_dev a = { 0 };
	uint32_t v = 0x12345678;

	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	cr_assert_eq(iobus_access(&bus, 0x110, &v, 4, 1), 1);
	cr_assert_eq(v, 0x12345678, "a write must not touch the data");
	cr_assert_eq(a.writes, 0);
	cr_assert_eq(unclaimed(), 1);
}

Test(iobus, empty_bus_is_unclaimed)
{
	uint8_t v = 0;

	cr_assert_eq(iobus_access(&bus, 0, &v, 1, 0), 1);
	cr_assert_eq(v, 0xff);
	cr_assert_eq(unclaimed(), 1);
}

Test(iobus, straddling_access_is_unclaimed)
{
	struct fake_dev a = { 0 };
	uint32_t v = 0;

	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	/* 4 bytes at 0x10e cover 0x10e..0x111: past the end. */
	cr_assert_eq(iobus_access(&bus, 0x10e, &v, 4, 0), 1);
	cr_assert_eq(v, 0xffffffff);
	cr_assert_eq(iobus_access(&bus, 0x10e, &v, 4, 1), 1);
	cr_assert_eq(a.reads + a.writes, 0);
	cr_assert_eq(unclaimed(), 2);
	/* The last bytes that fit exactly are claimed. */
	cr_assert_eq(iobus_access(&bus, 0x10c, &v, 4, 0), 0);
	cr_assert_eq(a.last_off, 0xc);
	cr_assert_eq(unclaimed(), 2);
}

Test(iobus, straddling_access_at_top_of_space_is_unclaimed)
{
	struct fake_dev a = { 0 };
	uint64_t v = 0;

	cr_assert_eq(iobus_register(&bus, UINT64_MAX - 3, 4, &fake_ops, &a, "a"), 0);
	cr_assert_eq(iobus_access(&bus, UINT64_MAX - 1, &v, 8, 0), 1);
	cr_assert_eq(a.reads, 0);
}

Test(iobus, straddling_access_does_not_wrap_offset)
{
	struct fake_dev a = { 0 };
	uint64_t v = 0;

	/* A range covering all but the last address: offset + len must not
	 * wrap around and make a straddling access look in range. */
	cr_assert_eq(iobus_register(&bus, 0, UINT64_MAX, &fake_ops, &a, "all"), 0);
	cr_assert_eq(iobus_access(&bus, UINT64_MAX - 1, &v, 8, 0), 1);
	cr_assert_eq(a.reads, 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(iobus_access(&bus, UINT64_MAX - 1, &v, 1, 0), 0);
	cr_assert_eq(a.last_off, UINT64_MAX - 1);
}

Test(iobus, refuses_null_ops)
{
	cr_assert_eq(iobus_register(&bus, 0x100, 1, NULL, NULL, "x"), -EINVAL);
	cr_assert_eq(bus.nr, 0);
}

Test(iobus, missing_handlers)
{
	static const struct iodev_ops wo = { .write = fake_write };
	static const struct iodev_ops ro = { .read = fake_read };
	struct fake_dev a = { 0 };
	uint8_t v = 0;

	cr_assert_eq(iobus_register(&bus, 0x10, 1, &wo, &a, "wo"), 0);
	cr_assert_eq(iobus_register(&bus, 0x11, 1, &ro, &a, "ro"), 0);
	cr_assert_eq(iobus_access(&bus, 0x10, &v, 1, 0), 0);
	cr_assert_eq(v, 0xff, "a device without a read handler reads all-ones");
	cr_assert_eq(iobus_access(&bus, 0x11, &v, 1, 1), 0);
	cr_assert_eq(a.reads + a.writes, 0);
	cr_assert_eq(unclaimed(), 0);
}

Test(iobus, many_registrations_stay_sorted)
{
	static struct fake_dev devs[64];
	unsigned int i;

	/* Register 64 one-port ranges in a scrambled order (17 is odd, so i*17
	 * mod 64 visits every slot once), forcing several reallocations. */
	for (i = 0; i < 64; i++) {
		unsigned int slot = (i * 17) % 64;

		cr_assert_eq(iobus_register(&bus, 0x1000 + slot * 4, 4, &fake_ops,
					    &devs[slot], "d"), 0);
	}
	cr_assert_eq(bus.nr, 64);
	for (i = 1; i < bus.nr; i++)
		cr_assert_lt(bus.ranges[i - 1].base, bus.ranges[i].base);
	for (i = 0; i < 64; i++) {
		const struct iobus_range *r = iobus_find(&bus, 0x1000 + i * 4 + 3);
		uint8_t v;

		cr_assert_not_null(r);
		cr_assert_eq(r->opaque, &devs[i]);
		cr_assert_eq(iobus_access(&bus, 0x1000 + i * 4 + 2, &v, 1, 0), 0);
		cr_assert_eq(devs[i].last_off, 2);
	}
	cr_assert_eq(iobus_register(&bus, 0x1000 + 5 * 4 + 1, 1, &fake_ops, &devs[0], "x"),
		     -EEXIST);
}

/* ---- unregistration ---- */

Test(iobus, unregister_frees_the_range)
{
	struct fake_dev a = { 0 }, b = { 0 };
	uint8_t v = 0;

	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	cr_assert_eq(iobus_register(&bus, 0x110, 0x10, &fake_ops, &b, "b"), 0);
	cr_assert_eq(iobus_unregister(&bus, 0x100, &a), 0);
	cr_assert_eq(bus.nr, 1);
	cr_assert_eq(iobus_access(&bus, 0x104, &v, 1, 0), 1);
	cr_assert_eq(a.reads, 0);
	cr_assert_eq(iobus_access(&bus, 0x110, &v, 1, 0), 0, "the neighbour stays");
	cr_assert_eq(b.reads, 1);
	/* The place is free for anyone now, at another size too. */
	cr_assert_eq(iobus_register(&bus, 0xf8, 0x18, &fake_ops, &b, "b2"), 0);
	cr_assert_eq(iobus_access(&bus, 0x104, &v, 1, 0), 0);
	cr_assert_eq(b.last_off, 0xc);
}

Test(iobus, unregister_takes_only_the_owners_range)
{
	struct fake_dev a = { 0 }, b = { 0 };

	cr_assert_eq(iobus_unregister(&bus, 0x100, &a), -ENOENT, "empty bus");
	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	cr_assert_eq(iobus_unregister(&bus, 0x100, &b), -ENOENT, "another owner");
	cr_assert_eq(iobus_unregister(&bus, 0x104, &a), -ENOENT, "not its base");
	cr_assert_eq(iobus_unregister(&bus, 0x200, &a), -ENOENT, "nothing there");
	cr_assert_eq(bus.nr, 1);
	cr_assert_not_null(iobus_find(&bus, 0x100));
	cr_assert_eq(iobus_unregister(&bus, 0x100, &a), 0);
	cr_assert_eq(iobus_unregister(&bus, 0x100, &a), -ENOENT, "already gone");
	cr_assert_eq(bus.nr, 0);
}

Test(iobus, unregister_keeps_the_rest_sorted)
{
	static struct fake_dev devs[32];
	unsigned int i;

	for (i = 0; i < 32; i++)
		cr_assert_eq(iobus_register(&bus, 0x1000 + i * 0x10, 0x10, &fake_ops, &devs[i],
					    "d"), 0);
	for (i = 0; i < 32; i += 2)
		cr_assert_eq(iobus_unregister(&bus, 0x1000 + i * 0x10, &devs[i]), 0);
	cr_assert_eq(bus.nr, 16);
	for (i = 1; i < bus.nr; i++)
		cr_assert_lt(bus.ranges[i - 1].base, bus.ranges[i].base);
	for (i = 0; i < 32; i++) {
		const struct iobus_range *r = iobus_find(&bus, 0x1000 + i * 0x10 + 5);

		if (i % 2)
			cr_assert(r && r->opaque == &devs[i], "range %u", i);
		else
			cr_assert_null(r, "range %u", i);
	}
}

/* ---- overlap queries ---- */

Test(iobus, overlap_names_the_lowest_range_in_the_way)
{
	struct fake_dev a = { 0 }, b = { 0 };
	struct iobus_range r;

	cr_assert_eq(iobus_overlap(&bus, 0x100, 0x10, &r), 0, "empty bus");
	cr_assert_eq(iobus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	cr_assert_eq(iobus_register(&bus, 0x120, 0x10, &fake_ops, &b, "b"), 0);
	cr_assert_eq(iobus_overlap(&bus, 0x0, 0x1000, &r), 1);
	cr_assert_str_eq(r.name, "a");
	cr_assert_eq(iobus_overlap(&bus, 0x10f, 0x20, &r), 1, "last byte of a");
	cr_assert_eq(r.opaque, &a);
	cr_assert_eq(iobus_overlap(&bus, 0x110, 0x11, &r), 1, "first byte of b");
	cr_assert_eq(r.base, 0x120);
	cr_assert_eq(r.len, 0x10);
	cr_assert_eq(iobus_overlap(&bus, 0x110, 0x10, &r), 0, "the gap between");
	cr_assert_eq(iobus_overlap(&bus, 0x130, 0x10, NULL), 0, "just past b");
	cr_assert_eq(iobus_overlap(&bus, 0x12f, 1, NULL), 1);
	cr_assert_eq(iobus_overlap(&bus, 0x100, 0, NULL), -EINVAL);
	cr_assert_eq(iobus_overlap(&bus, UINT64_MAX, 2, NULL), -EINVAL);
}

/* ---- concurrency ---- */

#define STRESS_READERS 4
#define STRESS_CHANGES 4000
#define STRESS_MIN_ROUNDS 4000   /* reader rounds, all readers together */
#define FLICKER 40               /* ranges that come and go */

/* A device whose read answers with its tag and the offset. */
struct tagged {
	uint32_t tag;
};

static void tagged_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	const struct tagged *t = opaque;
	uint64_t v = (uint64_t)t->tag << 32 | off;

	memcpy(data, &v, len);
}

static const struct iodev_ops tagged_ops = { .read = tagged_read };
static struct tagged stable = { 1000 }, flicker[FLICKER];

/* The stable range always answers; a flickering one answers or nobody does. */
static int stress_round(unsigned long n)
{
	unsigned int i = (unsigned int)(n % FLICKER);
	uint64_t off = n % 0x10, v = 0;

	iobus_access(&bus, 0x10000 + off, &v, 8, 0);
	if (v != ((uint64_t)stable.tag << 32 | off))
		return 1;
	iobus_access(&bus, 0x1000 + i * 0x40 + off, &v, 8, 0);
	if (v != UINT64_MAX && v != ((uint64_t)flicker[i].tag << 32 | off))
		return 2;
	return 0;
}

Test(iobus, lookups_while_another_thread_changes_the_table)
{
	struct stress s;
	unsigned int i;

	for (i = 0; i < FLICKER; i++)
		flicker[i].tag = i + 1;
	cr_assert_eq(iobus_register(&bus, 0x10000, 0x18, &tagged_ops, &stable, "stable"), 0);
	stress_start(&s, STRESS_READERS, stress_round);
	/*
	 * Register all the flickering ranges (the table grows: reallocations
	 * under the readers), then take them away one by one, over and over.
	 */
	for (i = 0; i < STRESS_CHANGES || stress_short(&s, STRESS_MIN_ROUNDS); i++) {
		unsigned int k = i % (2 * FLICKER), j = k % FLICKER;
		uint64_t base = 0x1000 + j * 0x40;

		if (k < FLICKER)
			cr_assert_eq(iobus_register(&bus, base, 0x20, &tagged_ops, &flicker[j], "f"), 0);
		else
			cr_assert_eq(iobus_unregister(&bus, base, &flicker[j]), 0);
	}
	stress_stop(&s);
	cr_assert_not_null(iobus_find(&bus, 0x10017));
}
