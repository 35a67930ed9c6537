/*
 * bench.c - `kvmini native` (exec kvmini-native) and `kvmini bench` (both
 * worlds, interleaved, then the report): options, where the binaries are,
 * pinning and the repetition loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "kvmini.h"
#include "opts.h"


/* Small sizes, so that a whole bench fits the nested runner; --args adds to them. */
#define BENCH_DEFAULT_ARGS "mem.max=4M mem.bytes=8M mem.steps=200000 cpu.bytes=1M " \
	"cpu.sieve=1000000 cpu.mat=64 exits.iters=5000"
#define BENCH_DEFAULT_MEM (256ull << 20)

static void usage_bench(FILE *f)
{
	fprintf(f,
		"usage: kvmini bench [WORKLOADS] [OPTIONS]\n"
		"\n"
		"Run the guest/ workloads natively (kvmini-native) and in a VM (the guest\n"
		"image, in this process through libkvmini), interleaved: each repetition runs\n"
		"both worlds, and the world that goes first alternates. Prints per test the\n"
		"median in each world, its spread, n and the VM/native ratio of the medians.\n"
		"\n"
		"  WORKLOADS         comma-separated: cpu, mem, exits, blk, net, all (default:\n"
		"                    cpu,mem,exits, plus blk with --disk and net with --net)\n"
		"  -r, --reps N      measured repetitions per world (default: 6; n >= 6 gives a\n"
		"                    95%% confidence interval of the median, fewer give min..max)\n"
		"  -w, --warmup N    repetitions run first and discarded (default: 1)\n"
		"  -o, --out DIR     write DIR/results.csv, results.json, runs.csv (every raw\n"
		"                    value) and ratios.svg (needs gnuplot) (default: no files)\n"
		"  -c, --cpu N       pin both worlds to CPU N: kvmini-native gets cpu=N, and this\n"
		"                    whole process (so every vCPU thread) is pinned before any VM\n"
		"                    is created (default: no pinning)\n"
		"  -m, --mem SIZE    guest RAM, suffix K, M, G (default: 256M)\n"
		"  -a, --args STR    workload options added after the defaults (later ones win):\n"
		"                    \"reps=N mem.max=SIZE mem.bytes=SIZE mem.steps=N\n"
		"                    mem.pages=4K,2M,1G cpu.bytes=SIZE cpu.sieve=N cpu.mat=N\n"
		"                    exits.iters=N exits.timer=periodic|oneshot blk.bytes=SIZE\n"
		"                    blk.ops=N net.ip=A.B.C.D net.peer=A.B.C.D net.pings=N\n"
		"                    net.window=N net.frames=N\"\n"
		"                    (defaults: \"" BENCH_DEFAULT_ARGS "\")\n"
		"  -g, --guest IMAGE guest image (default: guest/kvmini-guest.elf next to kvmini)\n"
		"  -t, --timeout S   stop a run (VM or native) that takes longer than S seconds\n"
		"                    and count it as failed (default: 300)\n"
		"  -d, --disk FILE[,direct=on|off]\n"
		"                    the blk workload's disk, written over (its first 64M, or\n"
		"                    blk.bytes=SIZE in --args): the VM gets it as --disk (a\n"
		"                    virtio-blk device), kvmini-native gets blk.file=FILE (io_uring).\n"
		"                    Both worlds use O_DIRECT when FILE's file system allows it,\n"
		"                    unless direct= says otherwise for the VM (default: no disk;\n"
		"                    blk then prints SKIP in both worlds)\n"
		"  -n, --net tap=NAME[,vhost=on|off]\n"
		"                    the net workload's port: the VM gets the same --net (a\n"
		"                    virtio-net device), kvmini-native gets net.tap=NAME and plays\n"
		"                    the NIC itself. NAME must exist and be up, its host side\n"
		"                    with address 10.79.0.1/24 (the workload uses 10.79.0.2;\n"
		"                    net.ip= and net.peer= in --args change them), e.g.\n"
		"                    ip tuntap add kvb0 mode tap; ip addr add 10.79.0.1/24 dev kvb0;\n"
		"                    ip link set kvb0 up (default: no NIC; net prints SKIP)\n"
		"      --no-seccomp  each VM world runs in a child process that kvmini_vm_restrict()\n"
		"                    confines (no capabilities, no_new_privs, a seccomp\n"
		"                    allow-list per thread); this leaves the filter out\n"
		"  -h, --help        this text\n"
		"\n"
		"kvmini-native is looked for next to kvmini, or in $KVMINI_NATIVE. The mem tests\n"
		"run with 4 KiB and 2 MiB pages in both worlds (mem.pages= in --args picks from\n"
		"4K, 2M and 1G; 1G needs pdpe1gb and a free GiB-aligned GiB of guest RAM in the\n"
		"VM, reserved 1 GiB hugetlb pages natively; a size that cannot be had is a SKIP\n"
		"line with the reason).\n"
		"\n"
		EXIT_STATUS_HELP
		"A failed run gives the status of the worst failure (8 before 6 before 4).\n");
}

/* The directory of the running kvmini binary. */
static int self_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= size - 1)
		return -1;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

/* $KVMINI_NATIVE, or kvmini-native next to kvmini. Returns 0 if executable. */
static int find_native(char *buf, size_t size)
{
	const char *env = getenv("KVMINI_NATIVE");
	char dir[PATH_MAX];

	if (env && *env) {
		snprintf(buf, size, "%s", env);
	} else {
		if (self_dir(dir, sizeof(dir)))
			return -1;
		if ((size_t)snprintf(buf, size, "%s/kvmini-native", dir) >= size)
			return -1;
	}
	return access(buf, X_OK);
}

static void native_missing(const char *path)
{
	if (getenv("KVMINI_NATIVE") && *getenv("KVMINI_NATIVE"))
		fprintf(stderr, "kvmini: KVMINI_NATIVE=%s is not an executable file\n", path);
	else
		fprintf(stderr, "kvmini: kvmini-native not found next to kvmini: run make native\n");
}

int cmd_native(int argc, char **argv)
{
	char path[PATH_MAX];

	if (argc < 2) {
		fprintf(stderr, "usage: kvmini native WORKLOAD[,WORKLOAD...] [key=value]...\n"
				"(kvmini native --help lists the options)\n");
		return EXIT_USAGE;
	}
	if (find_native(path, sizeof(path))) {
		native_missing(path);
		return KVMINI_EXIT_HOST;
	}
	argv[0] = path;
	fflush(NULL);
	execv(path, argv);
	fprintf(stderr, "kvmini: cannot run %s: %s\n", path, strerror(errno));
	return KVMINI_EXIT_HOST;
}

static int parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int workloads_ok(const char *list)
{
	char buf[128], *t, *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf) || !*list)
		return 0;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, "cpu") && strcmp(t, "mem") && strcmp(t, "exits") && strcmp(t, "blk") &&
		    strcmp(t, "net") && strcmp(t, "all"))
			return 0;
	return list[strlen(list) - 1] != ',';
}

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX], *s;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0777) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * --disk FILE[,direct=on|off] into o->disk. Without direct=, the VM opens
 * FILE with O_DIRECT when it can be, as kvmini-native does. Returns 0, or
 * -1 after a message.
 */
static int parse_disk(const char *arg, struct bench_opts *o)
{
	int fd;

	snprintf(o->disk_buf, sizeof(o->disk_buf), "%s", arg);
	if (strlen(arg) >= sizeof(o->disk_buf) || kvmini_parse_disk(o->disk_buf, &o->disk)) {
		fprintf(stderr, "kvmini: --disk '%s': expected FILE[,direct=on|off]\n", arg);
		return -1;
	}
	if (strpbrk(o->disk.path, " \t\n")) {
		fprintf(stderr, "kvmini: --disk '%s': the workload options cannot carry a path "
			"with spaces\n", arg);
		return -1;
	}
	if (o->disk.readonly) {
		fprintf(stderr, "kvmini: --disk '%s': the blk workload writes, ro is not possible\n",
			arg);
		return -1;
	}
	fd = open(o->disk.path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kvmini: --disk: cannot open %s for writing: %s\n", o->disk.path,
			strerror(errno));
		return -1;
	}
	close(fd);
	if (!strstr(arg, ",direct")) {
		fd = open(o->disk.path, O_RDWR | O_DIRECT | O_CLOEXEC);
		o->disk.direct = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	o->has_disk = 1;
	return 0;
}

/* Parse argv into b->o; returns 0, or an exit status (help: -1 meaning 0). */
static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option opts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "args", required_argument, NULL, 'a' },
		{ "guest", required_argument, NULL, 'g' },
		{ "timeout", required_argument, NULL, 't' },
		{ "disk", required_argument, NULL, 'd' },
		{ "net", required_argument, NULL, 'n' },
		{ "no-seccomp", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *extra = "", *guest = NULL;
	char dir[PATH_MAX];
	unsigned int cpu;
	int c;

	*o = (struct bench_opts){ .workloads = "cpu,mem,exits", .reps = 6, .warmup = 1,
				  .cpu = -1, .mem = BENCH_DEFAULT_MEM, .timeout = 300 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:w:o:c:m:a:g:t:d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_uint(optarg, 100000, &o->reps) || o->reps == 0) {
				fprintf(stderr, "kvmini: --reps '%s' must be a number from 1\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'w':
			if (parse_uint(optarg, 1000, &o->warmup)) {
				fprintf(stderr, "kvmini: --warmup '%s' must be a number from 0\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': o->out = optarg; break;
		case 'c':
			if (parse_uint(optarg, CPU_SETSIZE - 1, &cpu)) {
				fprintf(stderr, "kvmini: --cpu '%s' is not a CPU number\n", optarg);
				return EXIT_USAGE;
			}
			o->cpu = (int)cpu;
			break;
		case 'm':
			if (kvmini_parse_size(optarg, &o->mem) || o->mem == 0) {
				fprintf(stderr, "kvmini: --mem '%s' is not a size (e.g. 256M)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'a': extra = optarg; break;
		case 'g': guest = optarg; break;
		case 't':
			if (parse_uint(optarg, 86400, &o->timeout) || o->timeout == 0) {
				fprintf(stderr, "kvmini: --timeout '%s' must be a number of seconds\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_disk(optarg, o))
				return EXIT_USAGE;
			break;
		case 'n':
			snprintf(o->nic_buf, sizeof(o->nic_buf), "%s", optarg);
			if (strlen(optarg) >= sizeof(o->nic_buf) ||
			    kvmini_parse_nic(o->nic_buf, &o->nic)) {
				fprintf(stderr, "kvmini: --net '%s': expected tap=NAME[,vhost=on|off]\n",
					optarg);
				return EXIT_USAGE;
			}
			if (!if_nametoindex(o->nic.tap)) {
				fprintf(stderr, "kvmini: --net: no interface %s: create the tap first "
					"(ip tuntap add %s mode tap; ip addr add 10.79.0.1/24 dev %s; "
					"ip link set %s up)\n", o->nic.tap, o->nic.tap, o->nic.tap,
					o->nic.tap);
				return EXIT_USAGE;
			}
			o->has_nic = 1;
			break;
		case 'S': o->restrict_opts.no_seccomp = 1; break;
		case 'h': usage_bench(stdout); return -1;
		default:
			return opt_refused("bench", c, argv, optind);
		}
	}
	if (optind < argc) {
		o->workloads = argv[optind++];
	} else if (o->has_disk || o->has_nic) {
		snprintf(o->wl_buf, sizeof(o->wl_buf), "cpu,mem,exits%s%s",
			 o->has_disk ? ",blk" : "", o->has_nic ? ",net" : "");
		o->workloads = o->wl_buf;
	}
	if (optind < argc) {
		fprintf(stderr, "kvmini: unexpected argument '%s' (see kvmini bench --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (!workloads_ok(o->workloads)) {
		fprintf(stderr, "kvmini: bench: unknown workload list '%s' (known: cpu, mem, exits, blk, net, all)\n",
			o->workloads);
		return EXIT_USAGE;
	}
	if (snprintf(o->args, sizeof(o->args), "%s%s%s", BENCH_DEFAULT_ARGS, *extra ? " " : "",
		     extra) >= (int)sizeof(o->args)) {
		fprintf(stderr, "kvmini: --args is too long\n");
		return EXIT_USAGE;
	}
	if (!guest && self_dir(dir, sizeof(dir)) == 0 &&
	    strlen(dir) + sizeof("/guest/kvmini-guest.elf") <= sizeof(o->guest)) {
		strcpy(o->guest, dir);
		strcat(o->guest, "/guest/kvmini-guest.elf");
	} else if (guest) {
		snprintf(o->guest, sizeof(o->guest), "%s", guest);
	}
	return 0;
}

/* Pin this thread, before any VM exists, so every thread created later inherits it. */
static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "kvmini: bench: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

static int report(struct bench *b)
{
	struct bench_group *g = NULL;
	long n = bench_group_all(b, &g);
	int r = 0, e;

	if (n < 0) {
		fprintf(stderr, "kvmini: bench: out of memory\n");
		return -1;
	}
	bench_print_table(b, g, (size_t)n);
	if (b->o.out) {
		if ((e = mkdir_p(b->o.out))) {
			fprintf(stderr, "kvmini: bench: cannot create %s: %s\n", b->o.out, strerror(-e));
			r = -1;
		} else {
			r = bench_write_files(b, g, (size_t)n, b->o.out);
			if (bench_plot(b, g, (size_t)n, b->o.out) < 0)
				r = -1;
		}
	}
	bench_groups_free(g, (size_t)n);
	return r;
}

int cmd_bench(int argc, char **argv)
{
	struct bench b = { 0 };
	unsigned int rep, total, i;
	int r, bad;

	r = parse_opts(argc, argv, &b.o);
	if (r)
		return r < 0 ? 0 : r;
	kvmini_set_log_level(KVMINI_LOG_WARN);
	if (access(b.o.guest, R_OK)) {
		fprintf(stderr, "kvmini: guest image %s not found: run make guest (or give --guest IMAGE)\n",
			b.o.guest);
		return KVMINI_EXIT_INPUT;
	}
	if (find_native(b.o.native, sizeof(b.o.native))) {
		native_missing(b.o.native);
		return KVMINI_EXIT_HOST;
	}
	if (b.o.cpu >= 0 && pin(b.o.cpu))
		return KVMINI_EXIT_HOST;
	bench_env_read(&b);
	total = b.o.warmup + b.o.reps;
	for (rep = 0; rep < total; rep++) {
		/* ABAB, and the world that goes first alternates: N V, V N, N V ... */
		enum bench_world first = rep % 2 ? BENCH_VM : BENCH_NATIVE;
		enum bench_world second = first == BENCH_VM ? BENCH_NATIVE : BENCH_VM;

		fprintf(stderr, "kvmini: bench: repetition %u/%u%s: %s, then %s\n", rep + 1, total,
			rep < b.o.warmup ? " (warm-up, discarded)" : "",
			bench_world_name(first), bench_world_name(second));
		bad = 0;
		for (i = 0; i < 2; i++) {
			int st = bench_run_one(&b, i ? second : first, rep, i);

			bad += st != 0;
			/* The worst outcome decides the status: guest, host, input. */
			if (st > b.status)
				b.status = st;
		}
		b.failures += (unsigned int)bad;
		b.runs += 2;
		if (bad && rep == 0) {
			fprintf(stderr, "kvmini: bench: the first repetition failed: stopping\n");
			break;
		}
	}
	r = report(&b);
	if (b.failures)
		fprintf(stderr, "kvmini: bench: %u of %u runs failed\n", b.failures, b.runs);
	bench_free(&b);
	if (b.status)
		return b.status;
	return r ? KVMINI_EXIT_HOST : 0;
}
