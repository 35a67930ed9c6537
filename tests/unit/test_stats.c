/*
 * test_stats.c - the bench statistics against values worked out by hand.
 *
 * Binomial(n, 1/2) tails used below, P(B <= k) = sum_{j<=k} C(n, j) / 2^n:
 *   n = 4:  P(B <= 1) = (1 + 4) / 16 = 0.3125
 *   n = 5:  P(B <= 0) = 1/32, so [min, max] covers 1 - 2/32 = 0.9375 < 0.95
 *   n = 6:  P(B <= 0) = 1/64, [min, max] covers 62/64 = 0.96875
 *           P(B <= 1) = 7/64, [x(2), x(5)] would cover 50/64 = 0.78125
 *   n = 8:  [min, max] covers 254/256; P(B <= 1) = 9/256, so [x(2), x(7)]
 *           covers 238/256 = 0.9296875 < 0.95: the interval stays min..max
 *   n = 9:  P(B <= 1) = 10/512, [x(2), x(8)] covers 492/512 = 0.9609375;
 *           P(B <= 2) = 46/512, [x(3), x(7)] would cover 0.8203125
 *   n = 10: P(B <= 1) = 11/1024, [x(2), x(9)] covers 1002/1024 = 0.978515625;
 *           P(B <= 2) = 56/1024, [x(3), x(8)] would cover 0.890625
 *           P(B <= 5) = (1+10+45+120+210+252)/1024 = 638/1024 = 0.623046875
 *   n = 20: C(20, 0..5) = 1, 20, 190, 1140, 4845, 15504, sum 21700:
 *           [x(6), x(15)] covers 1 - 43400/1048576 = 0.958610534668...;
 *           adding C(20, 6) = 38760 gives 0.8847 for [x(7), x(14)]
 *   n = 2000: P(B <= 1000) = 1/2 + P(B = 1000)/2, P(B = 1000) ~ 1/sqrt(1000 pi)
 *           * (1 - 1/8000) = 0.0178390, so 0.5089195 (Stirling)
 * Mean interval for {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, squared deviations
 * 9+1+1+1+0+0+4+16 = 32, sd = sqrt(32/7) = 2.1380899, t(0.975, 7) = 2.3646,
 * half-width 2.3646 * 2.1380899 / 2.8284271 = 2.3646 * 0.7559289
 * = 1.7874696: [3.2125304, 6.7874696].
 * t(0.975, 50) by 1/df interpolation between df 40 (2.0211) and 60 (2.0003):
 * 2.0003 + 0.0208 * (1/50 - 1/60) / (1/40 - 1/60) = 2.0003 + 0.0208 * 0.4
 * = 2.00862 (tables: 2.0086).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <float.h>
#include <math.h>

#include "cli/stats.h"

#define EPS 1e-9

Test(stats, median_odd_even_and_small)
{
	double odd[] = { 3, 1, 2 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };
	double big[] = { DBL_MAX, DBL_MAX };

	stats_sort(odd, 3);
	stats_sort(even, 4);
	cr_expect_eq(odd[0], 1);
	cr_expect_eq(odd[2], 3);
	cr_expect_eq(stats_median_sorted(odd, 3), 2);
	cr_expect_eq(stats_median_sorted(even, 4), 2.5);
	cr_expect_eq(stats_median_sorted(one, 1), 7);
	cr_expect(isnan(stats_median_sorted(one, 0)));
	/* The two middle values of an even sample must not overflow. */
	cr_expect_eq(stats_median_sorted(big, 2), DBL_MAX);
}

Test(stats, mean_and_sd)
{
	double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	double off[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3 };

	cr_expect_float_eq(stats_mean(x, 8), 5, EPS);
	cr_expect_float_eq(stats_sd(x, 8), sqrt(32.0 / 7), EPS);
	/* A large common offset does not cancel the spread. */
	cr_expect_float_eq(stats_sd(off, 3), 1, EPS);
	cr_expect(isnan(stats_mean(x, 0)));
	cr_expect(isnan(stats_sd(x, 1)));
	cr_expect(isnan(stats_sd(x, 0)));
}

Test(stats, binomial_half_cdf)
{
	cr_expect_float_eq(stats_binom_half_cdf(4, 1), 0.3125, EPS);
	cr_expect_float_eq(stats_binom_half_cdf(10, 5), 0.623046875, EPS);
	cr_expect_float_eq(stats_binom_half_cdf(20, 5), 21700.0 / 1048576, EPS);
	cr_expect_eq(stats_binom_half_cdf(3, 3), 1);
	cr_expect_eq(stats_binom_half_cdf(0, 0), 1);
	/* 2^-2000 underflows; the sum is built in logarithms. */
	cr_expect_float_eq(stats_binom_half_cdf(2000, 1000), 0.5089195, 1e-6);
}

Test(stats, median_ci_needs_six)
{
	double x[] = { 10, 20, 30, 40, 50, 60 };
	struct stats_ci ci;

	stats_median_ci95(x, 5, &ci);
	cr_expect_eq(ci.ok, 0);
	cr_expect_eq(ci.lo, 10);
	cr_expect_eq(ci.hi, 50);
	cr_expect_float_eq(ci.level, 0.9375, EPS);

	stats_median_ci95(x, 6, &ci);
	cr_expect_eq(ci.ok, 1);
	cr_expect_eq(ci.lo, 10);
	cr_expect_eq(ci.hi, 60);
	cr_expect_float_eq(ci.level, 0.96875, EPS);
}

Test(stats, median_ci_order_statistics)
{
	double x[20];
	struct stats_ci ci;
	int i;

	for (i = 0; i < 20; i++)
		x[i] = (i + 1) * 10;        /* x(i) = 10 i, 1-based */

	stats_median_ci95(x, 8, &ci);
	cr_expect(ci.ok && ci.lo == 10 && ci.hi == 80);
	cr_expect_float_eq(ci.level, 254.0 / 256, EPS);

	stats_median_ci95(x, 9, &ci);
	cr_expect(ci.ok && ci.lo == 20 && ci.hi == 80, "n=9: [%g, %g]", ci.lo, ci.hi);
	cr_expect_float_eq(ci.level, 0.9609375, EPS);

	stats_median_ci95(x, 10, &ci);
	cr_expect(ci.ok && ci.lo == 20 && ci.hi == 90, "n=10: [%g, %g]", ci.lo, ci.hi);
	cr_expect_float_eq(ci.level, 0.978515625, EPS);

	stats_median_ci95(x, 20, &ci);
	cr_expect(ci.ok && ci.lo == 60 && ci.hi == 150, "n=20: [%g, %g]", ci.lo, ci.hi);
	cr_expect_float_eq(ci.level, 1 - 43400.0 / 1048576, EPS);
}

Test(stats, median_ci_zero_and_one)
{
	double one[] = { 42 };
	struct stats_ci ci;

	stats_median_ci95(one, 0, &ci);
	cr_expect(isnan(ci.lo) && isnan(ci.hi) && !ci.ok);
	stats_median_ci95(one, 1, &ci);
	cr_expect(ci.lo == 42 && ci.hi == 42 && !ci.ok);
	cr_expect_eq(ci.level, 0);
}

Test(stats, t_quantiles)
{
	cr_expect(isnan(stats_t975(0)));
	cr_expect_float_eq(stats_t975(1), 12.7062, EPS);
	cr_expect_float_eq(stats_t975(7), 2.3646, EPS);
	cr_expect_float_eq(stats_t975(30), 2.0423, EPS);
	cr_expect_float_eq(stats_t975(40), 2.0211, EPS);
	cr_expect_float_eq(stats_t975(50), 2.00862, 1e-6);
	cr_expect_float_eq(stats_t975(120), 1.9799, EPS);
	/* 1000: 1.96 + 0.0199 * (1/1000) / (1/120) = 1.962388 */
	cr_expect_float_eq(stats_t975(1000), 1.962388, 1e-6);
	cr_expect(stats_t975((size_t)-1) >= 1.96 && stats_t975((size_t)-1) < 1.9601);
}

Test(stats, mean_ci)
{
	double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct stats_ci ci;

	stats_mean_ci95(x, 8, &ci);
	cr_expect_eq(ci.ok, 1);
	cr_expect_float_eq(ci.lo, 3.2125304, 1e-6);
	cr_expect_float_eq(ci.hi, 6.7874696, 1e-6);

	stats_mean_ci95(x, 1, &ci);
	cr_expect(ci.lo == 2 && ci.hi == 2 && !ci.ok);
	stats_mean_ci95(x, 0, &ci);
	cr_expect(isnan(ci.lo) && !ci.ok);
}

Test(stats, ratio)
{
	cr_expect_eq(stats_ratio(10, 4), 2.5);
	cr_expect_eq(stats_ratio(0, 5), 0);
	cr_expect(isnan(stats_ratio(1, 0)));
	cr_expect(isnan(stats_ratio(NAN, 1)));
	cr_expect(isnan(stats_ratio(1, NAN)));
}

Test(stats, summarize)
{
	double x[] = { 9, 2, 5, 4, 7, 4, 5, 4 };
	double one[] = { 42 }, bad[] = { 1, NAN };
	struct stats_summary s;

	cr_assert_eq(stats_summarize(x, 8, &s), 0);
	cr_expect_eq(x[0], 2);                 /* sorted in place */
	cr_expect_eq(x[7], 9);
	cr_expect(s.n == 8 && s.min == 2 && s.max == 9);
	cr_expect_eq(s.median, 4.5);
	cr_expect_float_eq(s.mean, 5, EPS);
	cr_expect_float_eq(s.sd, sqrt(32.0 / 7), EPS);
	cr_expect(s.median_ci.ok && s.median_ci.lo == 2 && s.median_ci.hi == 9);
	cr_expect_float_eq(s.mean_ci.lo, 3.2125304, 1e-6);

	cr_assert_eq(stats_summarize(one, 1, &s), 0);
	cr_expect(s.n == 1 && s.min == 42 && s.max == 42 && s.median == 42 && s.mean == 42);
	cr_expect(isnan(s.sd));
	cr_expect(!s.median_ci.ok && s.median_ci.lo == 42 && s.median_ci.hi == 42);
	cr_expect(!s.mean_ci.ok && s.mean_ci.lo == 42);

	cr_expect_eq(stats_summarize(one, 0, &s), -EINVAL);
	cr_expect(s.n == 0 && isnan(s.median) && isnan(s.min) && isnan(s.mean));
	cr_expect_eq(stats_summarize(bad, 2, &s), -EINVAL);
	cr_expect(isnan(s.median));
}
