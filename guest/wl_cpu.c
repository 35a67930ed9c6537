/*
 * wl_cpu.c - CPU-bound work on fixed inputs: SHA-256 over pseudo-random
 * bytes, a sieve of Eratosthenes, a double-precision matrix multiply. Each
 * reports its run time and a checksum of its result.
 */
#include "platform.h"
#include "wl_util.h"

/* ---- SHA-256 (FIPS 180-4) ---- */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
			      ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +
			      ((a & b) ^ (a & c) ^ (b & c));

		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* sha256 - digest of len bytes at p into out[32]. */
static void sha256(const uint8_t *p, uint64_t len, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t tail[128];
	uint64_t full = len / 64 * 64, rest = len - full, bits = len * 8, i;
	unsigned int n;

	for (i = 0; i < full; i += 64)
		sha256_block(h, p + i);
	for (i = 0; i < sizeof(tail); i++)
		tail[i] = 0;
	for (i = 0; i < rest; i++)
		tail[i] = p[full + i];
	tail[rest] = 0x80;
	n = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha256_block(h, tail);
	if (n == 128)
		sha256_block(h, tail + 64);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static int run_sha256(const struct bench_opts *o)
{
	struct plat_buf b;
	uint8_t dig[32];
	uint64_t seed = 0x5348413235360001ull, t0, t1, ck = 0, i;
	char label[48];
	int r;

	/* The known-answer test first: SHA-256("abc"). */
	sha256((const uint8_t *)"abc", 3, dig);
	if (dig[0] != 0xba || dig[1] != 0x78 || dig[31] != 0xad) {
		report_skip("cpu", "sha256", "self-test-failed");
		return -PLAT_EINVAL;
	}
	r = plat_buf_alloc(o->cpu_bytes ? o->cpu_bytes : 1, 4096, &b);
	if (r) {
		report_skip("cpu", "sha256", "no-memory");
		return r;
	}
	for (i = 0; i < o->cpu_bytes; i++)
		((uint8_t *)b.ptr)[i] = (uint8_t)(wl_rand(&seed) >> 56);
	t0 = plat_time_ns();
	sha256(b.ptr, o->cpu_bytes, dig);
	t1 = plat_time_ns();
	for (i = 0; i < 8; i++)
		ck = ck << 8 | dig[i];
	wl_size_name(label, sizeof(label), "bytes-", o->cpu_bytes);
	report_result(&(struct result){ "cpu", "sha256", "time", "ns", t1 - t0, 1, ck, label });
	plat_buf_free(&b);
	return 0;
}

static int run_sieve(const struct bench_opts *o)
{
	uint64_t n = o->cpu_sieve, count = 0, sum = 0, i, j, t0, t1;
	struct plat_buf b;
	uint8_t *comp;
	char label[48];
	int r;

	r = plat_buf_alloc(n + 1, 4096, &b);
	if (r) {
		report_skip("cpu", "sieve", "no-memory");
		return r;
	}
	comp = b.ptr;
	for (i = 0; i <= n; i++)
		comp[i] = 0;
	t0 = plat_time_ns();
	for (i = 2; i * i <= n; i++)
		if (!comp[i])
			for (j = i * i; j <= n; j += i)
				comp[j] = 1;
	for (i = 2; i <= n; i++)
		if (!comp[i]) {
			count++;
			sum += i;
		}
	t1 = plat_time_ns();
	fmt_snprintf(label, sizeof(label), "limit-%llu-primes-%llu",
		     (unsigned long long)n, (unsigned long long)count);
	report_result(&(struct result){ "cpu", "sieve", "time", "ns", t1 - t0, 1,
					wl_mix(count, sum), label });
	plat_buf_free(&b);
	return 0;
}

static int run_matmul(const struct bench_opts *o)
{
	size_t n = o->cpu_mat, i, j, k;
	uint64_t seed = 0x4d41544d554c0001ull, t0, t1, ck = 0;
	double *a, *bm, *c;
	struct plat_buf b;
	char label[48];
	int r;

	r = plat_buf_alloc(3 * n * n * sizeof(double), 4096, &b);
	if (r) {
		report_skip("cpu", "matmul", "no-memory");
		return r;
	}
	a = b.ptr;
	bm = a + n * n;
	c = bm + n * n;
	for (i = 0; i < n * n; i++) {
		a[i] = (double)(int64_t)(wl_rand(&seed) % 2001) / 1000.0 - 1.0;
		bm[i] = (double)(int64_t)(wl_rand(&seed) % 2001) / 1000.0 - 1.0;
		c[i] = 0.0;
	}
	t0 = plat_time_ns();
	for (i = 0; i < n; i++)
		for (k = 0; k < n; k++) {
			double aik = a[i * n + k];

			for (j = 0; j < n; j++)
				c[i * n + j] += aik * bm[k * n + j];
		}
	t1 = plat_time_ns();
	for (i = 0; i < n * n; i++) {
		union { double d; uint64_t u; } v = { .d = c[i] };

		ck = wl_mix(ck, v.u);
	}
	fmt_snprintf(label, sizeof(label), "n-%zu-double", n);
	report_result(&(struct result){ "cpu", "matmul", "time", "ns", t1 - t0, 1, ck, label });
	plat_buf_free(&b);
	return 0;
}

int wl_cpu(const struct bench_opts *o)
{
	int r = 0;

	r |= run_sha256(o);
	r |= run_sieve(o);
	r |= run_matmul(o);
	return r ? -PLAT_EINVAL : 0;
}
