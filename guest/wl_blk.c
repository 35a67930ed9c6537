/*
 * wl_blk.c - block I/O on the first disk, over its first blk.bytes (64M):
 *   seq-write-1M-qd1   write the region with a seeded pattern      MB/s
 *   flush              make it durable                            ns
 *   seq-read-1M-qd1    read it back, one request at a time        MB/s
 *   seq-read-1M-qd8    the same with 8 requests in flight         MB/s
 *   rand-read-4K-qd1   blk.ops reads of random 4 KiB blocks       IOPS
 *   rand-read-4K-qd32  the same, 32 in flight                     IOPS
 *   rand-write-4K-qd1  blk.ops writes of new data to random blocks IOPS
 * Only the time spent in plat_blk_io/plat_blk_flush is measured; filling
 * and hashing buffers happens between the calls. Checksums hash what was
 * read back (the random writes are read back afterwards), so they match
 * between worlds for the same options and show misplaced or torn blocks.
 */
#include "platform.h"
#include "wl_util.h"

#define SEQ_LEN    (1u << 20)
#define SEQ_QD     8u
#define RAND_QD    32u
#define SEED_DATA  0x626c6b2d64617461ull   /* the region's pattern */
#define SEED_RREAD 0x626c6b2d72726561ull   /* random read positions */
#define SEED_RWPOS 0x626c6b2d72777073ull   /* random write positions */
#define SEED_RWDAT 0x626c6b2d72776474ull   /* random write data */
#define SECT_PER_BLOCK (WL_BLK_BLOCK / PLAT_BLK_SECTOR)

struct blk_run {
	uint64_t blocks;        /* 4 KiB blocks in the region */
	uint64_t ops;           /* requests per random test */
	uint8_t *buf;           /* SEQ_QD * SEQ_LEN bytes, 4 KiB aligned */
	struct plat_blk_req req[PLAT_BLK_MAX_BATCH];
	char label[96];
};

static uint64_t mb_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? bytes * 1000 / ns : 0;
}

static uint64_t per_s(uint64_t n, uint64_t ns)
{
	return ns ? n * 1000000000ull / ns : 0;
}

/* Submit r->req[0..n) and add the time it took to *ns. */
static int timed_io(struct blk_run *r, unsigned int n, uint64_t *ns)
{
	uint64_t t0 = plat_time_ns();
	int e = plat_blk_io(r->req, n);

	*ns += plat_time_ns() - t0;
	return e;
}

/*
 * The region front to back in requests of up to 1 MiB, qd of them per
 * batch. write: fill from the pattern first; read: check each block's
 * number and hash it. Returns 0 or a PLAT_E* code; *ns gets the I/O time.
 */
static int seq_pass(struct blk_run *r, int write, unsigned int qd, uint64_t *ns, uint64_t *ck)
{
	uint64_t blk = 0, per_req = SEQ_LEN / WL_BLK_BLOCK;

	*ns = 0;
	while (blk < r->blocks) {
		uint64_t first = blk;
		unsigned int n, i;
		int e;

		for (n = 0; n < qd && blk < r->blocks; n++) {
			uint64_t cnt = r->blocks - blk < per_req ? r->blocks - blk : per_req;

			r->req[n] = (struct plat_blk_req){
				.sector = blk * SECT_PER_BLOCK, .buf = r->buf + (size_t)n * SEQ_LEN,
				.len = (uint32_t)(cnt * WL_BLK_BLOCK), .write = write,
			};
			blk += cnt;
		}
		if (write)
			for (i = 0; first + i < blk; i++)
				wl_blk_fill((uint64_t *)(r->buf + (size_t)i * WL_BLK_BLOCK), SEED_DATA,
					    first + i);
		e = timed_io(r, n, ns);
		if (e)
			return e;
		for (i = 0; first + i < blk; i++) {
			const uint64_t *p = (const uint64_t *)(r->buf + (size_t)i * WL_BLK_BLOCK);

			if (!write && p[0] != first + i)
				return -PLAT_EIO;
			*ck = wl_mix_words(*ck, p, WL_BLK_BLOCK / 8);
		}
	}
	return 0;
}

/*
 * r->ops requests for random 4 KiB blocks (positions from seed), qd per
 * batch. write: each gets new data derived from its index; read: hash
 * position and data. Returns 0 or a PLAT_E* code.
 */
static int rand_pass(struct blk_run *r, int write, unsigned int qd, uint64_t seed,
		     uint64_t *ns, uint64_t *ck)
{
	uint64_t done = 0, s = seed;

	*ns = 0;
	while (done < r->ops) {
		unsigned int n, i;
		int e;

		for (n = 0; n < qd && done + n < r->ops; n++) {
			uint64_t blk = wl_blk_pick(&s, r->blocks);
			uint8_t *b = r->buf + (size_t)n * WL_BLK_BLOCK;

			r->req[n] = (struct plat_blk_req){
				.sector = blk * SECT_PER_BLOCK, .buf = b,
				.len = WL_BLK_BLOCK, .write = write,
			};
			if (write)
				wl_blk_fill((uint64_t *)b, SEED_RWDAT ^ (done + n), blk);
		}
		e = timed_io(r, n, ns);
		if (e)
			return e;
		for (i = 0; i < n && !write; i++) {
			const uint64_t *p = r->req[i].buf;

			if (p[0] != r->req[i].sector / SECT_PER_BLOCK)
				return -PLAT_EIO;
			*ck = wl_mix(*ck, r->req[i].sector);
			*ck = wl_mix_words(*ck, p, WL_BLK_BLOCK / 8);
		}
		done += n;
	}
	return 0;
}

static void result(struct blk_run *r, const char *test, const char *metric, const char *unit,
		   uint64_t value, int has_ck, uint64_t ck)
{
	report_result(&(struct result){ "blk", test, metric, unit, value, has_ck, ck, r->label });
}

/* The timed tests, in the order they run. */
static const struct blk_test {
	const char *name;
	int rand;            /* rand_pass (IOPS), else seq_pass (MB/s) */
	int write;
	unsigned int qd;
	uint64_t seed;       /* positions, for rand_pass */
	int flush_after;     /* then time one FLUSH ("flush") */
} blk_test_list[] = {
	{ "seq-write-1M-qd1", 0, 1, 1, 0, 1 },
	{ "seq-read-1M-qd1", 0, 0, 1, 0, 0 },
	{ "seq-read-1M-qd8", 0, 0, SEQ_QD, 0, 0 },
	{ "rand-read-4K-qd1", 1, 0, 1, SEED_RREAD, 0 },
	{ "rand-read-4K-qd32", 1, 0, RAND_QD, SEED_RREAD, 0 },
	{ "rand-write-4K-qd1", 1, 1, 1, SEED_RWPOS, 0 },
};

/* One round of every test; returns 0 or a PLAT_E* code (after a SKIP line). */
static int blk_tests(struct blk_run *r)
{
	uint64_t bytes = r->blocks * WL_BLK_BLOCK, ns, ck, t0, unused;
	const char *test = "";
	unsigned int i;
	int e;

	for (i = 0; i < sizeof(blk_test_list) / sizeof(blk_test_list[0]); i++) {
		const struct blk_test *t = &blk_test_list[i];

		test = t->name;
		ck = 0;
		e = t->rand ? rand_pass(r, t->write, t->qd, t->seed, &ns, &ck)
			    : seq_pass(r, t->write, t->qd, &ns, &ck);
		/* Randomly written blocks are read back, untimed, for the checksum. */
		if (!e && t->rand && t->write)
			e = rand_pass(r, 0, RAND_QD, t->seed, &unused, &ck);
		if (e)
			goto fail;
		if (t->rand)
			result(r, test, "iops", "IOPS", per_s(r->ops, ns), 1, ck);
		else
			result(r, test, "bandwidth", "MB/s", mb_per_s(bytes, ns), 1, ck);
		if (t->flush_after) {
			test = "flush";
			t0 = plat_time_ns();
			if ((e = plat_blk_flush()))
				goto fail;
			result(r, test, "latency", "ns", plat_time_ns() - t0, 0, 0);
		}
	}
	return 0;
fail:
	report_skip("blk", test, e == -PLAT_EIO ? "io-error-or-wrong-data" : "failed");
	con_printf("blk: %s failed (error %d)\n", test, e);
	return e;
}

int wl_blk(const struct bench_opts *o)
{
	struct plat_blk_info info = { 0 };
	struct blk_run r = { 0 };
	struct plat_buf b;
	uint64_t region;
	char sz[32];
	int e;

	e = plat_blk_open(&info);
	if (e) {
		report_skip("blk", "all", e == -PLAT_ENODEV ? "no-disk" : "disk-setup-failed");
		return e == -PLAT_ENODEV ? 0 : e;
	}
	if (info.read_only) {
		report_skip("blk", "all", "read-only-disk");
		return 0;
	}
	region = o->blk_bytes < info.sectors * PLAT_BLK_SECTOR ? o->blk_bytes
							      : info.sectors * PLAT_BLK_SECTOR;
	r.blocks = region / WL_BLK_BLOCK;
	r.ops = o->blk_ops;
	if (r.blocks == 0) {
		report_skip("blk", "all", "disk-smaller-than-4K");
		return 0;
	}
	e = plat_buf_alloc((size_t)SEQ_QD * SEQ_LEN, 4096, &b);
	if (e) {
		report_skip("blk", "all", "no-memory");
		return e;
	}
	r.buf = b.ptr;
	wl_size_name(sz, sizeof(sz), "region-", r.blocks * WL_BLK_BLOCK);
	fmt_snprintf(r.label, sizeof(r.label), "%s/%s", info.how ? info.how : "unknown", sz);
	e = blk_tests(&r);
	plat_buf_free(&b);
	return e;
}
