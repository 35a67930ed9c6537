/*
 * stats.c - descriptive statistics for the bench report (see stats.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "stats.h"

#define STATS_LEVEL 0.95

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void stats_sort(double *x, size_t n)
{
	if (n > 1)
		qsort(x, n, sizeof(*x), cmp_double);
}

double stats_median_sorted(const double *x, size_t n)
{
	if (n == 0)
		return NAN;
	if (n % 2)
		return x[n / 2];
	/* Halve first: the sum of two huge values must not overflow. */
	return x[n / 2 - 1] / 2 + x[n / 2] / 2;
}

double stats_mean(const double *x, size_t n)
{
	double sum = 0;
	size_t i;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++)
		sum += x[i];
	return sum / (double)n;
}

double stats_sd(const double *x, size_t n)
{
	double m, ss = 0;
	size_t i;

	if (n < 2)
		return NAN;
	m = stats_mean(x, n);
	for (i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	return sqrt(ss / (double)(n - 1));
}

/*
 * The terms C(n, j) / 2^n are built up in logarithms, so that n in the
 * thousands does not underflow 2^-n before the binomial coefficient is
 * multiplied in.
 */
double stats_binom_half_cdf(size_t n, size_t k)
{
	double lterm = -(double)n * M_LN2, sum = 0;
	size_t j;

	if (k >= n)
		return 1;
	for (j = 0; j <= k; j++) {
		sum += exp(lterm);
		lterm += log((double)(n - j)) - log((double)(j + 1));
	}
	return sum < 1 ? sum : 1;
}

void stats_median_ci95(const double *x, size_t n, struct stats_ci *ci)
{
	double lterm, cdf, cover;
	size_t k;

	if (n == 0) {
		*ci = (struct stats_ci){ NAN, NAN, NAN, 0 };
		return;
	}
	/* k = 1: [min, max] misses the median only if all n fall on one side. */
	lterm = -(double)n * M_LN2;
	cdf = exp(lterm);                 /* P(B <= 0) */
	cover = 1 - 2 * cdf;
	if (cover < STATS_LEVEL) {
		*ci = (struct stats_ci){ x[0], x[n - 1], cover > 0 ? cover : 0, 0 };
		return;
	}
	/* Widen k while [x(k+1), x(n-k)] still covers at least 95%. */
	for (k = 1; 2 * (k + 1) <= n + 1; k++) {
		double next;

		lterm += log((double)(n - (k - 1))) - log((double)k);
		next = 1 - 2 * (cdf + exp(lterm));   /* coverage with k + 1 */
		if (next < STATS_LEVEL)
			break;
		cdf += exp(lterm);
		cover = next;
	}
	*ci = (struct stats_ci){ x[k - 1], x[n - k], cover, 1 };
}

/* Student t, 0.975 quantile, df = 1..30. */
static const double t975_table[30] = {
	12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
	2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
	2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
};

/* Above 30: anchors, interpolated linearly in 1/df (df = 0 stands for infinity). */
static const struct { double df, t; } t975_far[] = {
	{ 30, 2.0423 }, { 40, 2.0211 }, { 60, 2.0003 }, { 120, 1.9799 }, { 0, 1.9600 },
};

double stats_t975(size_t df)
{
	double inv;
	size_t i;

	if (df == 0)
		return NAN;
	if (df <= 30)
		return t975_table[df - 1];
	inv = 1.0 / (double)df;
	for (i = 0; i + 1 < sizeof(t975_far) / sizeof(t975_far[0]); i++) {
		double a = 1.0 / t975_far[i].df;
		double b = t975_far[i + 1].df ? 1.0 / t975_far[i + 1].df : 0;

		if (inv >= b)
			return t975_far[i + 1].t +
			       (t975_far[i].t - t975_far[i + 1].t) * (inv - b) / (a - b);
	}
	return 1.96;
}

void stats_mean_ci95(const double *x, size_t n, struct stats_ci *ci)
{
	double m = stats_mean(x, n), half;

	if (n < 2) {
		*ci = (struct stats_ci){ m, m, NAN, 0 };
		return;
	}
	half = stats_t975(n - 1) * stats_sd(x, n) / sqrt((double)n);
	*ci = (struct stats_ci){ m - half, m + half, STATS_LEVEL, 1 };
}

double stats_ratio(double a, double b)
{
	if (isnan(a) || isnan(b) || b == 0)
		return NAN;
	return a / b;
}

int stats_summarize(double *x, size_t n, struct stats_summary *s)
{
	const struct stats_ci none = { NAN, NAN, NAN, 0 };
	size_t i;

	*s = (struct stats_summary){ n, NAN, NAN, NAN, NAN, NAN, none, none };
	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (isnan(x[i]))
			return -EINVAL;
	stats_sort(x, n);
	s->min = x[0];
	s->max = x[n - 1];
	s->median = stats_median_sorted(x, n);
	s->mean = stats_mean(x, n);
	s->sd = stats_sd(x, n);
	stats_median_ci95(x, n, &s->median_ci);
	stats_mean_ci95(x, n, &s->mean_ci);
	return 0;
}
