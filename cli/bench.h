/*
 * bench.h - `kvmini native` and `kvmini bench`: the guest/ workloads in
 * both worlds, a native process (kvmini-native) and a VM run in-process
 * through libkvmini, interleaved, with a table, CSV, JSON and a chart.
 *
 *   bench.c         options, paths, the repetition loop, `kvmini native`
 *   bench_run.c     one run in one world, RESULT line parsing
 *   bench_report.c  environment, grouping and statistics, the table
 *   bench_files.c   results.csv, results.json, runs.csv
 *   bench_plot.c    the ratio chart through gnuplot
 */
#ifndef KVMINI_BENCH_H
#define KVMINI_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "kvmini.h"
#include "stats.h"

/* The exit statuses of every kvmini command (enum kvmini_exit_status). */
#define EXIT_USAGE KVMINI_EXIT_USAGE
#define EXIT_STATUS_HELP \
	"Exit status: kvmini's own outcomes are even, a guest's debug exits odd:\n" \
	"  0  the guest powered off or rebooted, or Ctrl-A x; every run succeeded\n" \
	"  2  a usage error\n" \
	"  4  an input was refused (kernel, initrd, disk or value; the message says\n" \
	"     what is allowed)\n" \
	"  6  a host-side failure (no KVM, memory, files, taps, a failed run)\n" \
	"  8  the guest crashed the VM (triple fault, a state KVM cannot run) or did\n" \
	"     not finish in time\n" \
	"  (V << 1) | 1  the guest wrote V to isa-debug-exit (port 0xf4), as in QEMU\n"

enum bench_world { BENCH_NATIVE, BENCH_VM, BENCH_NWORLDS };

/* What the user asked for. */
struct bench_opts {
	const char *workloads;   /* "cpu,mem,exits" */
	unsigned int reps;       /* measured repetitions per world */
	unsigned int warmup;     /* repetitions run first and discarded */
	const char *out;         /* output directory, or NULL */
	int cpu;                 /* CPU to pin to, or -1 */
	uint64_t mem;            /* guest RAM, bytes */
	unsigned int timeout;    /* seconds one run may take before it is stopped */
	char args[2048];         /* workload options: defaults, then --args */
	char guest[4096];        /* guest image */
	char native[4096];       /* kvmini-native */
	char wl_buf[64];         /* the default workload list, when workloads points here */
	int has_disk;            /* --disk: the VM gets disk, native blk.file=disk.path */
	struct kvmini_disk disk; /* path points into disk_buf */
	char disk_buf[4096];
	int has_nic;             /* --net: the VM gets nic, native net.tap=nic.tap */
	struct kvmini_nic nic;   /* tap points into nic_buf */
	char nic_buf[256];
	struct kvmini_restrict restrict_opts;  /* each VM world's sandbox (--no-seccomp) */
};

/* The machine the numbers come from. */
struct bench_env {
	char cpu_model[128];
	char kernel[300];        /* uname: sysname release version machine */
	char tdp[32];            /* kvmini_host_tdp() */
	int hypervisor;          /* cpuinfo has the "hypervisor" flag */
	int nested;              /* KVMINI_NESTED=1 */
	char date[32];           /* UTC, ISO 8601 */
	char pinning[160];
	char pages[200];
	char guest_ram[64];
	char sandbox[128];       /* how the VM world is confined */
};

/* One RESULT line. Strings are owned by the sample. */
struct bench_sample {
	enum bench_world world;
	unsigned int rep;        /* repetition, warm-ups included, from 0 */
	unsigned int slot;       /* 0: this world ran first in its repetition */
	int warmup;
	unsigned int inner;      /* rep= on the line (reps= in the options) */
	char *workload, *test, *metric, *unit, *label;
	double value;
	int has_checksum;
	uint64_t checksum;
};

/* Everything one bench run gathers. */
struct bench {
	struct bench_opts o;
	struct bench_env env;
	struct bench_sample *s;
	size_t ns, cap;
	char **skips;            /* "world workload/test reason" */
	size_t nskips;
	unsigned int runs, failures;
	int status;              /* the worst failure's exit status, or 0 */
};

/* Statistics of one (workload, test, metric, unit) in both worlds. */
struct bench_group {
	const char *workload, *test, *metric, *unit;
	const char *label[BENCH_NWORLDS];
	double *v[BENCH_NWORLDS];
	size_t n[BENCH_NWORLDS];
	struct stats_summary st[BENCH_NWORLDS];
	double ratio;            /* VM median / native median, NaN if unknown */
	int has_checksum;        /* checksum holds the first one seen */
	uint64_t checksum;
	int checksum_mismatch;   /* some run, in either world, had another */
};

/* bench_world_name - "native" or "vm". */
const char *bench_world_name(enum bench_world w);

/*
 * bench_run_one - run every chosen workload once in world w and add its
 * RESULT lines to b as repetition rep (slot: order within it). Returns 0, or
 * when the run failed (the reason and the output's tail on stderr) the exit
 * status it calls for: KVMINI_EXIT_GUEST when the VM's guest crashed or did
 * not finish in time, KVMINI_EXIT_INPUT for a refused input, else
 * KVMINI_EXIT_HOST.
 */
int bench_run_one(struct bench *b, enum bench_world w, unsigned int rep,
		  unsigned int slot);

/* bench_free - free the samples and skips of b. */
void bench_free(struct bench *b);

/* bench_env_read - fill b->env from /proc, uname, the KVM modules and b->o. */
void bench_env_read(struct bench *b);

/*
 * bench_group_all - group the measured (non-warm-up) samples of b and
 * compute their statistics. Returns the number of groups in *out (caller
 * frees with bench_groups_free), or -1 when out of memory.
 */
long bench_group_all(const struct bench *b, struct bench_group **out);
void bench_groups_free(struct bench_group *g, size_t n);

/* bench_print_table - the environment, then one row per group, to stdout. */
void bench_print_table(const struct bench *b, const struct bench_group *g, size_t n);

/*
 * bench_write_files - DIR/results.csv, DIR/results.json and DIR/runs.csv.
 * Returns 0 or -1 (a message on stderr).
 */
int bench_write_files(const struct bench *b, const struct bench_group *g, size_t n,
		      const char *dir);

/*
 * bench_plot - DIR/ratios.svg from the groups through gnuplot. Returns 0,
 * 1 when gnuplot is not installed (the chart is skipped), or -1 on failure.
 */
int bench_plot(const struct bench *b, const struct bench_group *g, size_t n,
	       const char *dir);

/* cmd_bench, cmd_native - the `kvmini bench` and `kvmini native` commands. */
int cmd_bench(int argc, char **argv);
int cmd_native(int argc, char **argv);

#endif
