/*
 * platform.h - the interface every workload is written against. Two
 * implementations: the freestanding guest (guest/platform_guest.c, bare
 * x86-64 under kvmini or QEMU) and a Linux process (guest/native/). The
 * workloads and the shared driver (bench.c, fmt.c, wl_*.c) are compiled
 * with the same flags in both worlds, so their results can be compared.
 */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Errors returned by plat_* calls (negative). */
#define PLAT_EUNSUPPORTED 1  /* this world cannot do it */
#define PLAT_ENOMEM       2  /* not enough memory */
#define PLAT_EINVAL       3  /* bad argument */

/* plat_world - "vm" or "native". */
const char *plat_world(void);

/* plat_time_ns - a monotonic clock in nanoseconds. */
uint64_t plat_time_ns(void);

/* plat_console_write - write n bytes to the console (serial or stdout). */
void plat_console_write(const char *s, size_t n);

/* plat_exit - stop: code 0 for success, non-zero for failure. */
void plat_exit(int code) __attribute__((noreturn));

/* A buffer of size bytes mapped with pages of page_size bytes. */
struct plat_buf {
	void *ptr;
	size_t size;          /* bytes usable at ptr */
	size_t page_size;     /* 4096, 2 MiB or 1 GiB */
	const char *how;      /* how it is backed, no spaces: "4k", "hugetlb", "thp", "pt-2m";
			       * after a failed plat_buf_alloc, why (or NULL) */
	uintptr_t priv[2];    /* owned by the platform */
};

/*
 * plat_buf_alloc - map size bytes with page_size pages (4096, 2 MiB, 1 GiB).
 * Returns 0, -PLAT_EUNSUPPORTED when the page size is not available, or
 * -PLAT_ENOMEM; on failure b->how says why in one token without spaces
 * (e.g. "cpu-lacks-pdpe1gb"), or is NULL. Never falls back to another page
 * size. Buffers must be freed in reverse order of allocation.
 */
int plat_buf_alloc(size_t size, size_t page_size, struct plat_buf *b);

/* plat_buf_free - give back the most recently allocated buffer. */
void plat_buf_free(struct plat_buf *b);

/* Operations whose cost the exits workload measures. */
enum plat_op {
	PLAT_OP_CPUID,     /* cpuid leaf 0 */
	PLAT_OP_PIO,       /* VM: in from an unclaimed port */
	PLAT_OP_MMIO,      /* VM: read of an unmapped MMIO address */
	PLAT_OP_HYPERCALL, /* VM: vmcall/vmmcall with an unknown number */
	PLAT_OP_HLT_WAKE,  /* VM: HLT until a local APIC timer interrupt */
	PLAT_OP_COUNT
};

/* Timer delay used by PLAT_OP_HLT_WAKE; the reported cost excludes it. */
#define PLAT_WAKE_DELAY_NS 50000u

/* How PLAT_OP_HLT_WAKE arms the local APIC timer (option exits.timer). */
enum plat_wake_timer {
	PLAT_WAKE_PERIODIC,  /* periodic (default): should a wake-up interrupt be
			      * lost, the next period still ends the HLT */
	PLAT_WAKE_ONESHOT,   /* one-shot: the path most guests use; a lost
			      * interrupt leaves the CPU halted for good */
};

/*
 * plat_set_wake_timer - the timer mode of later PLAT_OP_HLT_WAKE runs, and
 * so of plat_op_label(PLAT_OP_HLT_WAKE). VM only; natively it has no effect
 * (the native counterpart is a sleep, whose label says so).
 */
void plat_set_wake_timer(enum plat_wake_timer mode);

/*
 * plat_op_label - what op really does in this world, one token without
 * spaces (e.g. "in-port-0x530" or "getppid-syscall(native-counterpart-of-pio)").
 */
const char *plat_op_label(enum plat_op op);

/*
 * plat_op_run - perform op iters times back to back. Returns 0, or
 * -PLAT_EUNSUPPORTED (e.g. no hypercall instruction here).
 */
int plat_op_run(enum plat_op op, uint64_t iters);

/* ---- block I/O: the first disk ----
 * VM: the first virtio-blk PCI device the guest finds (kvmini --disk, or
 * QEMU -device virtio-blk-pci). Native: the file named by the blk.file
 * option (kvmini native --disk FILE), through io_uring. */
#define PLAT_EIO          5  /* the device or file reported an error */
#define PLAT_ENODEV       6  /* no disk / no NIC in this run */
#define PLAT_BLK_SECTOR   512u
#define PLAT_BLK_MAX_BATCH 32u        /* requests per plat_blk_io call */
#define PLAT_BLK_MAX_LEN  (1u << 20)  /* bytes per request */

struct plat_blk_info {
	uint64_t sectors;     /* capacity in 512-byte sectors */
	int read_only;
	const char *how;      /* no spaces: "virtio-blk-pci", "io_uring-odirect" */
};

/* plat_blk_open - find and set up the disk. Returns 0, -PLAT_ENODEV. */
int plat_blk_open(struct plat_blk_info *info);

struct plat_blk_req {
	uint64_t sector;      /* first 512-byte sector */
	void *buf;            /* 4 KiB aligned, inside a plat_buf */
	uint32_t len;         /* multiple of 512, at most PLAT_BLK_MAX_LEN */
	int write;            /* 0 read, 1 write */
	int status;           /* out: 0 or -PLAT_EIO */
};

/*
 * plat_blk_io - submit n requests (1..PLAT_BLK_MAX_BATCH) together, so that
 * up to n are in flight at once, and wait until all have completed. Returns
 * 0 when all succeeded, -PLAT_EINVAL for a bad request (nothing submitted),
 * -PLAT_EIO when any failed (see each status).
 */
int plat_blk_io(struct plat_blk_req *reqs, unsigned int n);

/* plat_blk_flush - make completed writes durable. Returns 0 or -PLAT_EIO. */
int plat_blk_flush(void);

/* ---- packet I/O: one Ethernet port ----
 * VM: the first virtio-net PCI device (kvmini --net tap=NAME, or QEMU
 * -device virtio-net-pci). Native: the tap device named by the net.tap
 * option, opened with IFF_TAP|IFF_NO_PI, so the process itself plays the
 * NIC on the same host path. Frames are whole Ethernet frames (no virtio
 * header, no FCS), at most PLAT_NET_MTU_FRAME bytes. */
#define PLAT_NET_MTU_FRAME 1514u

struct plat_net_info {
	uint8_t mac[6];       /* the address this port sends from */
	const char *how;      /* no spaces: "virtio-net-pci", "tap-fd" */
};

/* plat_net_open - find and set up the port. Returns 0, -PLAT_ENODEV. */
int plat_net_open(struct plat_net_info *info);

/* plat_net_send - queue one frame for sending. Returns 0, -PLAT_EINVAL
 * (too long), -PLAT_EIO. May wait for room, never for the peer. */
int plat_net_send(const void *frame, size_t len);

/* plat_net_recv - wait up to timeout_ns for one frame and copy it to
 * frame (at most size bytes). Returns its length, 0 on timeout, or a
 * negative PLAT_E* code. */
int plat_net_recv(void *frame, size_t size, uint64_t timeout_ns);

/* ---- shared code (bench.c, fmt.c), identical in both worlds ---- */

/* fmt_vsnprintf - printf subset: %d %i %u %x %X %p %s %c %%, flags "-0#",
 * width, length modifiers l ll z. Returns the length it wanted to write. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* con_printf - formatted output to the console. */
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One measurement, printed as a RESULT line. */
struct result {
	const char *workload;  /* "cpu", "mem", "exits" */
	const char *test;      /* unique in the workload, e.g. "sha256" */
	const char *metric;    /* "time", "bandwidth", "latency" */
	const char *unit;      /* "ns", "MB/s" */
	uint64_t value;
	int has_checksum;
	uint64_t checksum;     /* identical in both worlds for the same args */
	const char *label;     /* no spaces; NULL for none */
};

/* report_result - print r as one RESULT line. */
void report_result(const struct result *r);

/* report_skip - print a SKIP line for a test this world cannot run. */
void report_skip(const char *workload, const char *test, const char *why);

/* Page sizes in bench_opts.mem_pages (option mem.pages=4K,2M,1G); the mem
 * workload measures them in this order. */
#define BENCH_PG_4K 0x1u
#define BENCH_PG_2M 0x2u
#define BENCH_PG_1G 0x4u

/* Options, parsed from "key=value" tokens; other tokens are ignored. */
struct bench_opts {
	char workloads[128];   /* comma-separated; "all" */
	unsigned int reps;     /* repetitions of each test */
	uint64_t mem_max;      /* largest working set, bytes */
	uint64_t mem_bytes;    /* bytes streamed per sequential-read test */
	uint64_t mem_steps;    /* dependent loads per pointer-chase test */
	unsigned int mem_pages; /* page sizes to measure: BENCH_PG_* bits */
	uint64_t cpu_bytes;    /* SHA-256 input size */
	uint64_t cpu_sieve;    /* sieve limit */
	unsigned int cpu_mat;  /* matrix dimension */
	uint64_t exits_iters;  /* iterations per exit test */
	enum plat_wake_timer exits_timer; /* timer-wake test's APIC timer mode */
	unsigned int pin_cpu;  /* native: CPU to pin to, or -1u for none */
	uint64_t blk_bytes;    /* blk: region of the disk used (clamped to it) */
	uint64_t blk_ops;      /* blk: requests per random 4 KiB test */
	uint32_t net_ip;       /* net: this port's IPv4 address, host order */
	uint32_t net_peer;     /* net: the host stack's address, host order */
	uint64_t net_pings;    /* net: echo requests per test */
	unsigned int net_window; /* net: echo requests outstanding (1..256) */
	uint64_t net_frames;   /* net: frames sent by the send-only test */
	char blk_file[256];    /* native: the file behind the disk ("" none) */
	char net_tap[16];      /* native: the tap device to attach to ("" none) */
};

/* bench_main - parse the options in args, run the workloads, print DONE.
 * Returns 0 when everything ran, 2 when args are refused, 1 when a workload
 * failed. */
int bench_main(const char *args, uint64_t default_mem_max);

/* bench_parse - fill o from args over the defaults. Returns 0 or -PLAT_EINVAL. */
int bench_parse(const char *args, uint64_t default_mem_max, struct bench_opts *o);

/* The workloads; each returns 0 or a negative PLAT_E* code. */
int wl_cpu(const struct bench_opts *o);
int wl_mem(const struct bench_opts *o);
int wl_exits(const struct bench_opts *o);
int wl_blk(const struct bench_opts *o);
int wl_net(const struct bench_opts *o);

/* native only: hook called by bench_main after parsing (pinning). */
void plat_apply_opts(const struct bench_opts *o);

#endif
