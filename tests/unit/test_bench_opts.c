/*
 * test_bench_opts.c - the workload options shared by both worlds
 * (guest/bench.c): the page sizes mem.pages picks, in any order and case,
 * and what it refuses; exits.timer and what it refuses; the defaults.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>

#include "../../guest/bench.c"

/* What bench.c needs from a platform and the workloads. */
const char *plat_world(void) { return "test"; }
void plat_apply_opts(const struct bench_opts *o) { (void)o; }
int wl_cpu(const struct bench_opts *o) { (void)o; return 0; }
int wl_mem(const struct bench_opts *o) { (void)o; return 0; }
int wl_exits(const struct bench_opts *o) { (void)o; return 0; }
int wl_blk(const struct bench_opts *o) { (void)o; return 0; }
int wl_net(const struct bench_opts *o) { (void)o; return 0; }

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void con_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static unsigned int pages(const char *args)
{
	struct bench_opts o;

	cr_assert_eq(bench_parse(args, 1 << 20, &o), 0, "%s", args);
	return o.mem_pages;
}

static int refused(const char *args)
{
	struct bench_opts o;

	return bench_parse(args, 1 << 20, &o) == -PLAT_EINVAL;
}

Test(bench_opts, defaults)
{
	struct bench_opts o;

	cr_assert_eq(bench_parse("workload=mem", 1 << 20, &o), 0);
	cr_assert_eq(o.mem_pages, BENCH_PG_4K | BENCH_PG_2M);
	cr_assert_eq(o.exits_timer, PLAT_WAKE_PERIODIC);
}

Test(bench_opts, mem_pages)
{
	cr_assert_eq(pages("mem.pages=1G"), BENCH_PG_1G);
	cr_assert_eq(pages("mem.pages=2M,4K"), BENCH_PG_4K | BENCH_PG_2M);
	cr_assert_eq(pages("mem.pages=4k,2m,1g"), BENCH_PG_4K | BENCH_PG_2M | BENCH_PG_1G);
	cr_assert_eq(pages("mem.pages=4K,4K"), BENCH_PG_4K);
	cr_assert_eq(pages("mem.pages=4K mem.pages=1G"), BENCH_PG_1G, "the last one wins");
	cr_assert(refused("mem.pages="));
	cr_assert(refused("mem.pages=3M"));
	cr_assert(refused("mem.pages=4K,"));
	cr_assert(refused("mem.pages=,4K"));
	cr_assert(refused("mem.pages=4K,,2M"));
	cr_assert(refused("mem.pages=4KB"));
	cr_assert(refused("mem.pages=4096"));
}

Test(bench_opts, exits_timer)
{
	struct bench_opts o;

	cr_assert_eq(bench_parse("exits.timer=oneshot", 1 << 20, &o), 0);
	cr_assert_eq(o.exits_timer, PLAT_WAKE_ONESHOT);
	cr_assert_eq(bench_parse("exits.timer=oneshot exits.timer=periodic", 1 << 20, &o), 0);
	cr_assert_eq(o.exits_timer, PLAT_WAKE_PERIODIC);
	cr_assert(refused("exits.timer="));
	cr_assert(refused("exits.timer=once"));
	cr_assert(refused("exits.timer=oneshots"));
	cr_assert(refused("exits.timer=1"));
}
