/*
 * platform_native.c - platform.h on Linux: stdout, CLOCK_MONOTONIC, mmap
 * with MAP_HUGETLB (or transparent huge pages) for large pages, CPU pinning,
 * and for each VM exit the nearest native counterpart, named in its label.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "native.h"
#include "platform.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define PG_2M (2ull << 20)
#define PG_1G (1ull << 30)

static int zero_fd = -1;

const char *plat_world(void)
{
	return "native";
}

uint64_t plat_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void plat_console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
	if (n && s[n - 1] == '\n')
		fflush(stdout);
}

void plat_exit(int code)
{
	fflush(stdout);
	exit(code ? 1 : 0);
}

void plat_apply_opts(const struct bench_opts *o)
{
	cpu_set_t set;

	native_io_opts(o);
	if (o->pin_cpu == -1u)
		return;
	CPU_ZERO(&set);
	CPU_SET(o->pin_cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		con_printf("# native: cannot pin to CPU %u: %s\n", o->pin_cpu, strerror(errno));
	else
		con_printf("# native: pinned to CPU %u\n", o->pin_cpu);
}

int plat_buf_alloc(size_t size, size_t page_size, struct plat_buf *b)
{
	size_t len = (size ? size : 1);
	void *p;

	memset(b, 0, sizeof(*b));
	if (page_size != 4096 && page_size != PG_2M && page_size != PG_1G)
		return -PLAT_EINVAL;
	len = (len + page_size - 1) / page_size * page_size;
	b->page_size = page_size;
	if (page_size == 4096) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			b->how = "mmap-failed";
			return -PLAT_ENOMEM;
		}
		madvise(p, len, MADV_NOHUGEPAGE);
		b->how = "4k";
	} else {
		int shift = page_size == PG_2M ? 21 : 30;

		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (shift << MAP_HUGE_SHIFT),
			 -1, 0);
		if (p != MAP_FAILED) {
			b->how = page_size == PG_2M ? "hugetlb-2m" : "hugetlb-1g";
		} else if (page_size == PG_2M) {
			int hugetlb_errno = errno;

			/* No reserved huge pages: an aligned THP region instead. */
			uint8_t *raw = mmap(NULL, len + PG_2M, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			uintptr_t a;

			if (raw == MAP_FAILED) {
				b->how = "mmap-failed";
				return -PLAT_ENOMEM;
			}
			a = ((uintptr_t)raw + PG_2M - 1) & ~(uintptr_t)(PG_2M - 1);
			if (a > (uintptr_t)raw)
				munmap(raw, a - (uintptr_t)raw);
			munmap((void *)(a + len), (uintptr_t)raw + len + PG_2M - (a + len));
			p = (void *)a;
			if (madvise(p, len, MADV_HUGEPAGE)) {
				munmap(p, len);
				b->how = hugetlb_errno == ENOMEM ? "no-reserved-hugetlb-2m-pages-and-no-thp"
								 : "no-hugetlb-2m-pages-and-no-thp";
				return -PLAT_EUNSUPPORTED;
			}
			b->how = "thp-2m";
		} else {
			/* No transparent counterpart: 1 GiB pages are reserved ones or none. */
			b->how = errno == ENOMEM ? "no-reserved-hugetlb-1g-pages"
						 : "kernel-lacks-hugetlb-1g-pages";
			return -PLAT_EUNSUPPORTED;
		}
	}
	b->ptr = p;
	b->size = len;
	b->priv[0] = len;
	return 0;
}

void plat_buf_free(struct plat_buf *b)
{
	if (b->ptr)
		munmap(b->ptr, b->priv[0]);
	b->ptr = NULL;
}

void plat_set_wake_timer(enum plat_wake_timer mode)
{
	(void)mode;   /* a sleep has no timer mode to choose */
}

const char *plat_op_label(enum plat_op op)
{
	switch (op) {
	case PLAT_OP_CPUID: return "cpuid-leaf-0";
	case PLAT_OP_PIO: return "getppid-syscall(native-counterpart-of-pio)";
	case PLAT_OP_MMIO: return "pread-4B-dev-zero(native-counterpart-of-mmio)";
	case PLAT_OP_HYPERCALL: return "getppid-syscall(native-counterpart-of-hypercall)";
	case PLAT_OP_HLT_WAKE: return "clock_nanosleep-50us(native-counterpart-of-hlt-wake)";
	case PLAT_OP_COUNT: break;
	}
	return "unknown";
}

int plat_op_run(enum plat_op op, uint64_t iters)
{
	uint32_t a, b, c, d, v;
	uint64_t i;

	switch (op) {
	case PLAT_OP_CPUID:
		for (i = 0; i < iters; i++)
			__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
					 : "a"(0), "c"(0));
		return 0;
	case PLAT_OP_PIO:
	case PLAT_OP_HYPERCALL:
		for (i = 0; i < iters; i++)
			syscall(SYS_getppid);
		return 0;
	case PLAT_OP_MMIO:
		if (zero_fd < 0)
			zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (zero_fd < 0)
			return -PLAT_EUNSUPPORTED;
		for (i = 0; i < iters; i++)
			if (pread(zero_fd, &v, sizeof(v), 0) != sizeof(v))
				return -PLAT_EINVAL;
		return 0;
	case PLAT_OP_HLT_WAKE:
		for (i = 0; i < iters; i++) {
			struct timespec ts = { 0, PLAT_WAKE_DELAY_NS };

			while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
				;
		}
		return 0;
	case PLAT_OP_COUNT:
		break;
	}
	return -PLAT_EINVAL;
}
