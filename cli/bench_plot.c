/*
 * bench_plot.c - DIR/ratios.svg: one row per test, the VM/native ratio of
 * the medians as a dot on a log axis, a bar across the conservative range
 * (VM spread over native spread), a dashed line at 1, one colour per
 * workload. gnuplot draws it from DIR/ratios.dat and DIR/ratios.gp, which
 * stay next to the chart so it can be redrawn or restyled by hand.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static const char *const wl_names[] = { "cpu", "mem", "exits" };
static const char *const wl_colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#7f7f7f" };
#define NBLOCKS 4   /* the three workloads, then anything else */

static int block_of(const char *workload)
{
	int i;

	for (i = 0; i < NBLOCKS - 1; i++)
		if (!strcmp(workload, wl_names[i]))
			return i;
	return NBLOCKS - 1;
}

/* The range a ratio could span, given each world's spread. */
static void ratio_range(const struct bench_group *g, double *lo, double *hi)
{
	const struct stats_ci *n = &g->st[BENCH_NATIVE].median_ci, *v = &g->st[BENCH_VM].median_ci;

	*lo = stats_ratio(v->lo, n->hi);
	*hi = stats_ratio(v->hi, n->lo);
	if (!(*lo > 0) || !(*hi > 0) || isinf(*lo) || isinf(*hi)) {
		*lo = g->ratio;
		*hi = g->ratio;
	}
}

/* Data blocks (one per workload, separated by two blank lines): y, label, ratio, lo, hi. */
static int write_data(FILE *f, const struct bench_group *g, size_t n, int present[NBLOCKS],
		      size_t *rows, double *xmin, double *xmax)
{
	size_t i, y;
	int blk, first = 1;

	/* Rows top to bottom in table order: y counts down. */
	for (i = 0, *rows = 0; i < n; i++)
		*rows += g[i].ratio > 0 && !isinf(g[i].ratio);
	*xmin = 1;
	*xmax = 1;
	for (blk = 0; blk < NBLOCKS; blk++) {
		present[blk] = 0;
		for (i = 0, y = *rows; i < n; i++) {
			double lo, hi;

			if (!(g[i].ratio > 0) || isinf(g[i].ratio))
				continue;
			y--;
			if (block_of(g[i].workload) != blk)
				continue;
			if (!present[blk] && !first)
				fputs("\n\n", f);
			present[blk] = 1;
			first = 0;
			ratio_range(&g[i], &lo, &hi);
			*xmin = fmin(*xmin, lo);
			*xmax = fmax(*xmax, hi);
			fprintf(f, "%zu\t\"%s/%s (%s)\"\t%.6g\t%.6g\t%.6g\n", y, g[i].workload,
				g[i].test, g[i].metric, g[i].ratio, lo, hi);
		}
	}
	return ferror(f) ? -1 : 0;
}

static void write_script(FILE *f, const struct bench *b, size_t rows, const int present[NBLOCKS],
			 double xmin, double xmax)
{
	int blk, idx = 0, any = 0;

	fprintf(f, "set terminal svg size 1000,%zu dynamic noenhanced font 'sans,12' "
		"background '#ffffff'\n", 190 + rows * 20);
	fputs("set output 'ratios.svg'\n", f);
	fprintf(f, "set title \"kvmini bench: VM median / native median, per test\\n"
		"%s, %s, %u reps%s\" font 'sans,14'\n",
		b->env.date, b->env.cpu_model, b->o.reps,
		b->env.nested ? "\\nNESTED: these are not hardware numbers" : "");
	fputs("set xlabel \"VM / native (log scale). time, latency: > 1 = VM slower; "
	      "bandwidth: < 1 = VM slower.\\nBars: VM spread / native spread "
	      "(95% CI of the median, or min..max for n < 6)\"\n", f);
	fputs("set logscale x\nset format x '%g'\nset grid xtics mxtics lc rgb '#dddddd'\n", f);
	fprintf(f, "set xrange [%.6g:%.6g]\nset yrange [-0.7:%zu-0.3]\n", xmin / 1.3, xmax * 2.5,
		rows);
	fputs("set ytics scale 0 font 'sans,10'\nunset mytics\n", f);
	fputs("set key outside top center horizontal\nset lmargin 34\n", f);
	fputs("set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb '#555555' dt 2\n", f);
	fputs("plot ", f);
	for (blk = 0; blk < NBLOCKS; blk++) {
		if (!present[blk])
			continue;
		fprintf(f, "%s'ratios.dat' index %d using 3:1:4:5:ytic(2) with xerrorbars "
			"pt 7 ps 0.8 lc rgb '%s' title '%s', \\\n"
			"  '' index %d using 5:1:($3 >= 100 ? sprintf('%%.0f', $3) : "
			"sprintf('%%.3g', $3)) with labels left offset char 0.8,0 "
			"font 'sans,9' tc rgb '%s' notitle", any ? ", \\\n  " : "", idx, wl_colors[blk],
			blk < NBLOCKS - 1 ? wl_names[blk] : "other", idx, wl_colors[blk]);
		any = 1;
		idx++;
	}
	fputs(any ? "\n" : "1/0 notitle\n", f);
}

/* gnuplot ratios.gp in dir. Returns 0, 127 when gnuplot is missing, or -1. */
static int run_gnuplot(const char *dir)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(126);
		execlp("gnuplot", "gnuplot", "ratios.gp", (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 127))
		return WEXITSTATUS(status);
	return -1;
}

int bench_plot(const struct bench *b, const struct bench_group *g, size_t n, const char *dir)
{
	char path[4200];
	int present[NBLOCKS], r;
	double xmin, xmax;
	size_t rows;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ratios.dat", dir);
	f = fopen(path, "w");
	r = f ? write_data(f, g, n, present, &rows, &xmin, &xmax) : -1;
	if (f && fclose(f))
		r = -1;
	if (r) {
		fprintf(stderr, "kvmini: bench: cannot write %s\n", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ratios.gp", dir);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kvmini: bench: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	write_script(f, b, rows, present, xmin, xmax);
	if (fclose(f)) {
		fprintf(stderr, "kvmini: bench: cannot write %s\n", path);
		return -1;
	}
	r = run_gnuplot(dir);
	if (r == 127) {
		fprintf(stderr, "kvmini: bench: gnuplot not found (apt-get install gnuplot-nox): "
			"skipping the chart %s/ratios.svg\n", dir);
		return 1;
	}
	if (r) {
		fprintf(stderr, "kvmini: bench: gnuplot failed on %s/ratios.gp\n", dir);
		return -1;
	}
	return 0;
}
