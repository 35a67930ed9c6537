/* wl_util.h - small helpers the workloads share: a fixed PRNG, a mixing
 * function for checksums, size names. */
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
