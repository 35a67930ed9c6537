/*
 * stats.h - descriptive statistics over a sample of doubles, for the bench
 * report: median, min, max, mean, sample standard deviation, a
 * distribution-free 95% confidence interval for the median (order
 * statistics, binomial distribution), a Student-t 95% interval for the mean,
 * and a ratio of medians.
 *
 * Pure functions: nothing allocates, nothing keeps state. Functions named
 * *_sorted want their input in ascending order (stats_sort() does that in
 * place). No input may hold a NaN; stats_summarize() checks. An empty sample
 * gives NaN (there is no value to report); a sample of one gives that value
 * for median, min, max and mean, and NaN for the standard deviation.
 */
#ifndef KVMINI_STATS_H
#define KVMINI_STATS_H

#include <stddef.h>

/* A confidence interval and how much it can be trusted. */
struct stats_ci {
	double lo, hi;
	double level;   /* its actual coverage probability (0..1), NaN if unknown */
	int ok;         /* 1: level >= 0.95; 0: too few values for a 95% interval,
			   lo..hi is then the min..max (median) or [mean, mean] */
};

/* Everything the report prints about one sample. */
struct stats_summary {
	size_t n;
	double min, max, median, mean;
	double sd;                   /* sample standard deviation (n - 1); NaN if n < 2 */
	struct stats_ci median_ci;   /* stats_median_ci95() */
	struct stats_ci mean_ci;     /* stats_mean_ci95() */
};

/* stats_sort - sort x[0..n) ascending, in place. */
void stats_sort(double *x, size_t n);

/*
 * stats_median_sorted - the middle value of sorted x, or the mean of the two
 * middle values when n is even. NaN when n == 0.
 */
double stats_median_sorted(const double *x, size_t n);

/* stats_mean - arithmetic mean of x (any order). NaN when n == 0. */
double stats_mean(const double *x, size_t n);

/*
 * stats_sd - sample standard deviation of x (any order), with n - 1 in the
 * denominator (two passes, so large offsets do not cancel). NaN when n < 2.
 */
double stats_sd(const double *x, size_t n);

/*
 * stats_binom_half_cdf - P(B <= k) for B ~ Binomial(n, 1/2). 1 when k >= n.
 */
double stats_binom_half_cdf(size_t n, size_t k);

/*
 * stats_median_ci95 - a distribution-free confidence interval for the
 * median of sorted x: [x(k), x(n+1-k)] (1-based order statistics) with the
 * largest k whose coverage 1 - 2 P(B <= k - 1), B ~ Binomial(n, 1/2), is at
 * least 0.95. It needs n >= 6; below that, ci is min..max with its true
 * (smaller) coverage and ok = 0. n == 0 gives NaN bounds.
 */
void stats_median_ci95(const double *x, size_t n, struct stats_ci *ci);

/*
 * stats_t975 - the 0.975 quantile of Student's t with df degrees of freedom
 * (table for df 1..30, interpolated in 1/df above; 1.96 in the limit).
 * NaN when df == 0.
 */
double stats_t975(size_t df);

/*
 * stats_mean_ci95 - mean +- t(0.975, n - 1) * sd / sqrt(n), for x in any
 * order; assumes roughly normal data. n < 2: [mean, mean] with ok = 0
 * (NaN when n == 0).
 */
void stats_mean_ci95(const double *x, size_t n, struct stats_ci *ci);

/*
 * stats_ratio - a / b, or NaN when b is 0 or either is NaN. Used for the
 * ratio of two medians.
 */
double stats_ratio(double a, double b);

/*
 * stats_summarize - sort x in place and fill s. Returns 0, or -EINVAL when
 * n == 0 or x holds a NaN (s is then filled with NaNs and s->n = n).
 */
int stats_summarize(double *x, size_t n, struct stats_summary *s);

#endif
