/*
 * wl_mem.c - memory: sequential read bandwidth and the latency of a
 * dependent random pointer chase, over working sets from 16 KiB up to
 * mem.max, in buffers mapped with each page size mem.pages asks for (4 KiB,
 * 2 MiB, 1 GiB; default 4 KiB and 2 MiB). A page size this world cannot
 * give is a SKIP line with the platform's reason, never another size.
 */
#include "platform.h"
#include "wl_util.h"

#define LINE 64u   /* one chase node per cache line */

/* Fill the buffer with values derived from their index. */
static void fill(uint64_t *w, uint64_t words)
{
	uint64_t i;

	for (i = 0; i < words; i++)
		w[i] = wl_mix(i, 0x6d656d6f7279ull);
}

static uint64_t seq_sum(const uint64_t *w, uint64_t words, uint64_t passes)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, p, i;

	for (p = 0; p < passes; p++) {
		for (i = 0; i + 4 <= words; i += 4) {
			s0 += w[i];
			s1 += w[i + 1];
			s2 += w[i + 2];
			s3 += w[i + 3];
		}
		/* Keep the compiler from folding passes together. */
		__asm__ volatile("" : "+r"(s0), "+r"(s1), "+r"(s2), "+r"(s3));
	}
	return s0 ^ (s1 << 1) ^ (s2 << 2) ^ (s3 << 3);
}

/* Link the lines of [base, base+ws) into one random cycle (Sattolo). */
static void build_chase(uint8_t *base, uint64_t ws)
{
	uint64_t n = ws / LINE, seed = 0x4348415345ull ^ ws, i;

	for (i = 0; i < n; i++)
		*(uint64_t *)(base + i * LINE) = i;
	for (i = n - 1; i > 0; i--) {
		uint64_t j = wl_rand(&seed) % i;
		uint64_t *a = (uint64_t *)(base + i * LINE), *b = (uint64_t *)(base + j * LINE);
		uint64_t t = *a;

		*a = *b;
		*b = t;
	}
	for (i = 0; i < n; i++) {
		uint64_t *slot = (uint64_t *)(base + i * LINE);

		*slot = (uint64_t)(uintptr_t)(base + *slot * LINE);
	}
}

static void **chase(void **p, uint64_t steps)
{
	uint64_t i;

	for (i = 0; i < steps; i++)
		p = (void **)*p;
	return p;
}

/* Checksum of where a chase ended: the next 64 line indices from there. */
static uint64_t chase_sum(uint8_t *base, void **p)
{
	uint64_t h = 0;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		h = wl_mix(h, (uint64_t)((uint8_t *)p - base) / LINE);
		p = (void **)*p;
	}
	return h;
}

static int run_pages(const struct bench_opts *o, size_t page, const char *pname)
{
	uint64_t ws, size = o->mem_max;
	struct plat_buf b = { 0 };
	char test[64], label[64];
	int r;

	size = (size + page - 1) / page * page;
	r = plat_buf_alloc(size, page, &b);
	if (r) {
		const char *why = b.how;

		if (!why)
			why = r == -PLAT_EUNSUPPORTED ? "page-size-unsupported" : "no-memory";
		fmt_snprintf(test, sizeof(test), "all-pg%s", pname);
		report_skip("mem", test, why);
		return r == -PLAT_EUNSUPPORTED ? 0 : r;
	}
	for (ws = 16384; ws <= o->mem_max; ws *= 2) {
		uint64_t passes = o->mem_bytes / ws, t0, t1, ck, bytes;
		void **end;
		char wsn[16];

		wl_size_name(wsn, sizeof(wsn), "", ws);
		fmt_snprintf(label, sizeof(label), "%s", b.how);

		fill(b.ptr, ws / 8);
		if (passes == 0)
			passes = 1;
		bytes = passes * ws;
		seq_sum(b.ptr, ws / 8, 1);   /* warm up */
		t0 = plat_time_ns();
		ck = seq_sum(b.ptr, ws / 8, passes);
		t1 = plat_time_ns();
		fmt_snprintf(test, sizeof(test), "seqread-ws%s-pg%s", wsn, pname);
		report_result(&(struct result){ "mem", test, "bandwidth", "MB/s",
			t1 > t0 ? bytes * 1000 / (t1 - t0) : 0, 1, ck, label });

		build_chase(b.ptr, ws);
		chase(b.ptr, ws / LINE);     /* warm up: one lap */
		t0 = plat_time_ns();
		end = chase(b.ptr, o->mem_steps);
		t1 = plat_time_ns();
		ck = chase_sum(b.ptr, end);
		fmt_snprintf(test, sizeof(test), "chase-ws%s-pg%s", wsn, pname);
		report_result(&(struct result){ "mem", test, "latency", "ps",
			o->mem_steps ? (t1 - t0) * 1000 / o->mem_steps : 0, 1, ck, label });
		if (ws > o->mem_max / 2)
			break;
	}
	plat_buf_free(&b);
	return 0;
}

int wl_mem(const struct bench_opts *o)
{
	int r = 0;

	if (o->mem_pages & BENCH_PG_4K)
		r |= run_pages(o, 4096, "4K");
	if (o->mem_pages & BENCH_PG_2M)
		r |= run_pages(o, 2u << 20, "2M");
	if (o->mem_pages & BENCH_PG_1G)
		r |= run_pages(o, 1u << 30, "1G");
	return r ? -PLAT_ENOMEM : 0;
}
