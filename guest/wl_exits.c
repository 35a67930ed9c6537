/*
 * wl_exits.c - the round-trip cost of operations that leave a VM (cpuid,
 * port I/O, MMIO, hypercall, a timer wake-up from HLT). Natively each is
 * replaced by its nearest counterpart, named in the label. The timer
 * wake-up arms the APIC timer periodic or one-shot (exits.timer); its
 * label says which.
 */
#include "platform.h"

static const struct {
	enum plat_op op;
	const char *test;
	unsigned int divide;   /* fewer iterations for slow operations */
} tests[] = {
	{ PLAT_OP_CPUID, "cpuid", 1 },
	{ PLAT_OP_PIO, "pio-read", 1 },
	{ PLAT_OP_MMIO, "mmio-read", 1 },
	{ PLAT_OP_HYPERCALL, "hypercall", 1 },
	{ PLAT_OP_HLT_WAKE, "timer-wake", 1000 },
};

int wl_exits(const struct bench_opts *o)
{
	unsigned int i;

	plat_set_wake_timer(o->exits_timer);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		uint64_t n = o->exits_iters / tests[i].divide, t0, t1, per;
		int r;

		if (n < 10)
			n = 10;
		r = plat_op_run(tests[i].op, 1);   /* probe and warm up */
		if (r) {
			report_skip("exits", tests[i].test,
				    r == -PLAT_EUNSUPPORTED ? "unsupported" : "failed");
			continue;
		}
		t0 = plat_time_ns();
		r = plat_op_run(tests[i].op, n);
		t1 = plat_time_ns();
		if (r) {
			report_skip("exits", tests[i].test, "failed");
			continue;
		}
		per = (t1 - t0) / n;
		if (tests[i].op == PLAT_OP_HLT_WAKE)
			per = per > PLAT_WAKE_DELAY_NS ? per - PLAT_WAKE_DELAY_NS : 0;
		report_result(&(struct result){ "exits", tests[i].test, "latency", "ns",
						per, 0, 0, plat_op_label(tests[i].op) });
	}
	return 0;
}
