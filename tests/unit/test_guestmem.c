/*
 * test_guestmem.c - guest RAM layout around the PCI hole, the checked
 * gpa -> host translation, and kvmini_parse_size().
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/guestmem.h"

Test(guestmem, small_ram_is_one_region)
{
	struct kvmini_error err = { .msg = "" };
	struct guest_mem m;

	cr_assert_eq(gmem_init(&m, 64 * MiB, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(m.nr_regions, 1);
	cr_assert_eq(m.region[0].gpa, 0);
	cr_assert_eq(m.region[0].size, 64 * MiB);
	cr_assert_eq(m.ram_size, 64 * MiB);
	cr_assert_eq(gmem_low_end(&m), 64 * MiB);
	gmem_destroy(&m);
	cr_assert_null(m.mapping);
}

Test(guestmem, large_ram_is_split_at_pci_hole)
{
	struct kvmini_error err = { .msg = "" };
	uint64_t size = 4 * GiB + 2 * MiB;
	struct guest_mem m;
	uint8_t *lo, *hi;

	cr_assert_eq(gmem_init(&m, size, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(m.nr_regions, 2);
	cr_assert_eq(m.ram_size, size);
	cr_assert_eq(m.region[0].gpa, 0);
	cr_assert_eq(m.region[0].size, 3 * GiB);
	cr_assert_eq(m.region[1].gpa, 4 * GiB);
	cr_assert_eq(m.region[1].size, 1 * GiB + 2 * MiB);
	cr_assert_eq(gmem_low_end(&m), 3 * GiB);

	/* Both regions come from one mapping, back to back. */
	lo = gmem_ptr(&m, 3 * GiB - 1, 1);
	hi = gmem_ptr(&m, 4 * GiB, 1);
	cr_assert_not_null(lo);
	cr_assert_not_null(hi);
	cr_assert_eq(lo + 1, hi);
	cr_assert_eq(gmem_ptr(&m, 0, 1), m.mapping);
	*hi = 0x5a;
	cr_assert_eq(((uint8_t *)m.mapping)[3 * GiB], 0x5a);

	/* Last byte of RAM, and one past it. */
	cr_assert_not_null(gmem_ptr(&m, 4 * GiB + (1 * GiB + 2 * MiB) - 1, 1));
	cr_assert_null(gmem_ptr(&m, 4 * GiB + (1 * GiB + 2 * MiB), 1));
	/* Ranges crossing a region end. */
	cr_assert_null(gmem_ptr(&m, 3 * GiB - 4, 8));
	cr_assert_null(gmem_ptr(&m, 4 * GiB + 1 * GiB + 2 * MiB - 4, 8));
	/* Inside the hole. */
	cr_assert_null(gmem_ptr(&m, 3 * GiB, 1));
	cr_assert_null(gmem_ptr(&m, 0xfee00000, 4));
	cr_assert_null(gmem_ptr(&m, 4 * GiB - 1, 1));
	/* Straddling the hole into high RAM. */
	cr_assert_null(gmem_ptr(&m, 4 * GiB - 4, 8));
	gmem_destroy(&m);
}

Test(guestmem, ptr_overflow_and_len_zero)
{
	static uint8_t buf[4096];
	struct guest_mem m;

	gmem_init_buffer(&m, buf, sizeof(buf));
	cr_assert_eq(m.nr_regions, 1);
	cr_assert_eq(m.ram_size, sizeof(buf));
	cr_assert_eq(gmem_ptr(&m, 0, sizeof(buf)), buf);
	cr_assert_eq(gmem_ptr(&m, 100, 8), buf + 100);
	cr_assert_null(gmem_ptr(&m, 0, sizeof(buf) + 1));
	cr_assert_null(gmem_ptr(&m, UINT64_MAX, 2));
	cr_assert_null(gmem_ptr(&m, UINT64_MAX, 1));
	cr_assert_null(gmem_ptr(&m, 1, UINT64_MAX));
	cr_assert_null(gmem_ptr(&m, 2, UINT64_MAX - 1));
	/* len 0 is checked as one byte. */
	cr_assert_eq(gmem_ptr(&m, sizeof(buf) - 1, 0), buf + sizeof(buf) - 1);
	cr_assert_null(gmem_ptr(&m, sizeof(buf), 0));
}

Test(guestmem, ptr_with_high_region_only_description)
{
	static uint8_t lo[4096], hi[4096];
	struct guest_mem m;

	memset(&m, 0, sizeof(m));
	m.region[0] = (struct gmem_region){ .gpa = 0, .size = sizeof(lo), .host = lo };
	m.region[1] = (struct gmem_region){ .gpa = 4 * GiB, .size = sizeof(hi), .host = hi };
	m.nr_regions = 2;
	cr_assert_eq(gmem_ptr(&m, 4 * GiB + 16, 16), hi + 16);
	cr_assert_null(gmem_ptr(&m, 4 * GiB + 4090, 16));
	cr_assert_null(gmem_ptr(&m, 8192, 1));
}

struct size_case {
	const char *s;
	uint64_t v;
};

Test(parse_size, valid)
{
	static const struct size_case ok[] = {
		{ "512M", 512 * MiB }, { "2G", 2 * GiB }, { "4096K", 4 * MiB },
		{ "1048576", 1048576 }, { "1GiB", GiB }, { "1G", GiB },
		{ "1g", GiB }, { "64m", 64 * MiB }, { "2T", 2048 * GiB },
		{ "256MB", 256 * MiB }, { "0", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 12345;

		cr_assert_eq(kvmini_parse_size(ok[i].s, &v), 0, "\"%s\"", ok[i].s);
		cr_assert_eq(v, ok[i].v, "\"%s\" gave %llu", ok[i].s,
			     (unsigned long long)v);
	}
}

Test(parse_size, invalid)
{
	static const char *const bad[] = {
		"", "M", "12X", "-1", "99999999999999999999G", " 1G", "1G ",
		"1.5G", "G1", "1GG", "1iBx", "0x10", "+5",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 12345;

		cr_assert_lt(kvmini_parse_size(bad[i], &v), 0, "\"%s\" accepted", bad[i]);
		cr_assert_eq(v, 12345, "\"%s\" wrote the output on failure", bad[i]);
	}
	cr_assert_lt(kvmini_parse_size(NULL, NULL), 0);
}

Test(parse_size, multiplier_overflow)
{
	uint64_t v = 7;

	/* 2^34 GiB is 2^64 bytes: fits in strtoull, overflows the multiply. */
	cr_assert_lt(kvmini_parse_size("17179869184G", &v), 0);
	cr_assert_eq(v, 7);
	cr_assert_eq(kvmini_parse_size("17179869183G", &v), 0);
	cr_assert_eq(v, 17179869183ULL * GiB);
}
