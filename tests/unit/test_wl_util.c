/*
 * test_wl_util.c - the workloads' shared helpers (guest/wl_util.h): the
 * block workload's data pattern and random positions, which both worlds
 * must generate identically, and the sort behind the net workload's median.
 *
 * Known values: block 5 of the pattern with seed 0x626c6b2d64617461 (the
 * blk workload's) starts xorshift64* from seed ^ (6 * 0x9e3779b97f4a7c15);
 * its words 1 and 511 are 0x9ed7c089e5dce751 and 0x091ac60333acfc6a
 * (worked out with a separate script). Word 0 is the block number.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../guest/wl_util.h"

#define SEED 0x626c6b2d64617461ull

Test(wl_util, blk_pattern_known_values)
{
	static uint64_t p[WL_BLK_BLOCK / 8];

	wl_blk_fill(p, SEED, 5);
	cr_assert_eq(p[0], 5);
	cr_assert_eq(p[1], 0x9ed7c089e5dce751ull);
	cr_assert_eq(p[511], 0x091ac60333acfc6aull);
}

Test(wl_util, blk_pattern_per_block_and_seed)
{
	static uint64_t a[WL_BLK_BLOCK / 8], b[WL_BLK_BLOCK / 8];

	wl_blk_fill(a, SEED, 1234);
	wl_blk_fill(b, SEED, 1234);
	cr_assert(!memcmp(a, b, sizeof(a)), "the same block twice is the same data");
	wl_blk_fill(b, SEED, 1235);
	cr_assert_eq(b[0], 1235);
	cr_assert(memcmp(a + 1, b + 1, sizeof(a) - 8), "neighbouring blocks differ");
	wl_blk_fill(b, SEED ^ 1, 1234);
	cr_assert(memcmp(a + 1, b + 1, sizeof(a) - 8), "another seed, other data");
	/* A seed that cancels the block term must not leave xorshift at 0. */
	wl_blk_fill(b, 1 * 0x9e3779b97f4a7c15ull, 0);
	cr_assert_neq(b[1] | b[2], 0);
}

Test(wl_util, blk_pick_in_range_and_covering)
{
	static const uint64_t sizes[] = { 1, 2, 7, 16, 1000, 16384, 1ull << 40 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t s = 0x1234, n = sizes[k];

		for (int i = 0; i < 5000; i++)
			cr_assert_lt(wl_blk_pick(&s, n), n, "nblocks %llu", (unsigned long long)n);
	}
	{
		uint64_t s = 0x626c6b2d72726561ull;
		int seen[16] = { 0 };

		for (int i = 0; i < 1000; i++)
			seen[wl_blk_pick(&s, 16)]++;
		for (int i = 0; i < 16; i++)
			cr_assert_gt(seen[i], 20, "block %d picked %d times in 1000", i, seen[i]);
	}
	{
		uint64_t s1 = 99, s2 = 99;

		for (int i = 0; i < 100; i++)
			cr_assert_eq(wl_blk_pick(&s1, 777), wl_blk_pick(&s2, 777),
				     "the same seed, the same positions");
	}
	{
		uint64_t s = 5;

		cr_assert_eq(wl_blk_pick(&s, 0), 0, "an empty region gives block 0");
	}
}

Test(wl_util, mix_words_is_a_mix_chain)
{
	uint64_t w[4] = { 1, 2, 3, 0xffffffffffffffffull }, h = 7;

	for (int i = 0; i < 4; i++)
		h = wl_mix(h, w[i]);
	cr_assert_eq(wl_mix_words(7, w, 4), h);
	cr_assert_eq(wl_mix_words(7, w, 0), 7);
}

static void check_sorted(uint64_t *v, size_t n, uint64_t sum)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++) {
		if (i)
			cr_assert_leq(v[i - 1], v[i], "n %zu: v[%zu] > v[%zu]", n, i - 1, i);
		s += v[i];
	}
	cr_assert_eq(s, sum, "the same values, reordered");
}

Test(wl_util, sort)
{
	static uint64_t v[2001];
	uint64_t seed = 42;

	wl_sort_u64(v, 0);
	for (size_t n = 1; n <= 2001; n = n < 20 ? n + 1 : n * 3) {
		uint64_t sum = 0;

		for (size_t i = 0; i < n; i++)
			sum += v[i] = wl_rand(&seed) % (n / 2 + 1);   /* duplicates too */
		wl_sort_u64(v, n);
		check_sorted(v, n, sum);
		wl_sort_u64(v, n);   /* already sorted */
		check_sorted(v, n, sum);
	}
	for (size_t i = 0; i < 1000; i++)
		v[i] = 1000 - i;
	wl_sort_u64(v, 1000);
	cr_assert_eq(v[0], 1);
	cr_assert_eq(v[499], 500, "the median the net workload reports");
	cr_assert_eq(v[999], 1000);
}
