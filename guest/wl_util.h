/* wl_util.h - small helpers the workloads share: a fixed PRNG, a mixing
 * function for checksums, size names, sorting, and the block workload's
 * data pattern and positions (here so that unit tests can check them). */
#ifndef GUEST_WL_UTIL_H
#define GUEST_WL_UTIL_H

#include "platform.h"

/* wl_rand - xorshift64*; the same sequence in both worlds. */
static inline uint64_t wl_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* wl_mix - fold v into a running checksum h. */
static inline uint64_t wl_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

/* wl_mix_words - fold n 64-bit words at p into h. */
static inline uint64_t wl_mix_words(uint64_t h, const uint64_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = wl_mix(h, p[i]);
	return h;
}

/* wl_sort_u64 - sort n values ascending (heapsort: no recursion, no memory). */
static inline void wl_sort_u64(uint64_t *v, size_t n)
{
	size_t start = n / 2, end = n;

	while (end > 1) {
		size_t root, child;
		uint64_t t;

		if (start > 0) {
			start--;
		} else {
			end--;
			t = v[end]; v[end] = v[0]; v[0] = t;
		}
		for (root = start; (child = 2 * root + 1) < end; root = child) {
			if (child + 1 < end && v[child + 1] > v[child])
				child++;
			if (v[root] >= v[child])
				break;
			t = v[root]; v[root] = v[child]; v[child] = t;
		}
	}
}

/* The block workload writes 4 KiB blocks whose content depends only on a
 * seed and the block's number, so any block can be regenerated or checked. */
#define WL_BLK_BLOCK 4096u

/* wl_blk_fill - block number blk of the pattern with seed into p (4 KiB). */
static inline void wl_blk_fill(uint64_t *p, uint64_t seed, uint64_t blk)
{
	uint64_t s = seed ^ ((blk + 1) * 0x9e3779b97f4a7c15ull);
	unsigned int i;

	if (!s)
		s = 1;
	for (i = 0; i < WL_BLK_BLOCK / 8; i++)
		p[i] = wl_rand(&s);
	p[0] = blk;   /* the block's own number first: a misplaced block shows */
}

/* wl_blk_pick - the next random block in [0, nblocks) from state s. */
static inline uint64_t wl_blk_pick(uint64_t *s, uint64_t nblocks)
{
	return nblocks ? (wl_rand(s) >> 11) % nblocks : 0;
}

/* wl_size_name - "<prefix>16K", "<prefix>2M", "<prefix>1000" into buf. */
static inline void wl_size_name(char *buf, size_t len, const char *prefix, uint64_t v)
{
	if (v >= (1ull << 30) && !(v & ((1ull << 30) - 1)))
		fmt_snprintf(buf, len, "%s%lluG", prefix, (unsigned long long)(v >> 30));
	else if (v >= (1ull << 20) && !(v & ((1ull << 20) - 1)))
		fmt_snprintf(buf, len, "%s%lluM", prefix, (unsigned long long)(v >> 20));
	else if (v >= 1024 && !(v & 1023))
		fmt_snprintf(buf, len, "%s%lluK", prefix, (unsigned long long)(v >> 10));
	else
		fmt_snprintf(buf, len, "%s%llu", prefix, (unsigned long long)v);
}

#endif
