/*
 * main.c - the kvmini command: a thin front end over libkvmini.
 *
 *   kvmini run --kernel PATH [options]   boot a guest on this terminal
 *   kvmini native WORKLOAD [ARGS]         the guest/ workloads as a process
 *   kvmini bench [WORKLOADS] [options]    both worlds, interleaved, a table
 *   kvmini --help | kvmini run --help    usage
 *   kvmini --version
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "kvmini.h"
#include "opts.h"
#include "term.h"

#define KVMINI_VERSION "0.1"


static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: kvmini COMMAND [OPTIONS]\n"
		"\n"
		"A minimal KVM hypervisor.\n"
		"\n"
		"Commands:\n"
		"  run       boot a Linux kernel (bzImage) with the serial console on this terminal\n"
		"  native    run guest/ workloads (cpu, mem, exits, blk, net) as a Linux process:\n"
		"            kvmini native WORKLOAD[,WORKLOAD...] [key=value]... (execs\n"
		"            kvmini-native next to kvmini, or $KVMINI_NATIVE)\n"
		"  bench     run the workloads natively and in a VM, interleaved, and print\n"
		"            medians, spread, n and VM/native ratios ('kvmini bench --help')\n"
		"\n"
		"Options:\n"
		"  -h, --help     this text; 'kvmini run --help' lists the options of run\n"
		"  -V, --version  print the version\n"
		"\n"
		EXIT_STATUS_HELP);
}

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: kvmini run --kernel PATH [OPTIONS]\n"
		"\n"
		"Boot a Linux bzImage or a Multiboot kernel (such as the test guest built\n"
		"from guest/, which gets its boot information as a flattened device tree).\n"
		"The guest's ttyS0 is this terminal (raw mode while the\n"
		"guest runs; type Ctrl-A x to stop the VM). kvmini exits 0 when the guest powers\n"
		"off or reboots (see Exit status below).\n"
		"\n"
		"Options:\n"
		"  -k, --kernel PATH    the kernel (required): a Linux bzImage (boot protocol\n"
		"                       2.12+, 64-bit) or a Multiboot 1 kernel (ELF32, ELF64\n"
		"                       or a.out kludge)\n"
		"  -i, --initrd PATH    initramfs to pass to the kernel (default: none);\n"
		"                       repeatable, up to 16: a Linux kernel gets them joined\n"
		"                       into one (concatenated cpio archives), a Multiboot\n"
		"                       kernel one module each, in order, the path its string\n"
		"  -c, --cmdline STR    kernel command line (default: \"console=ttyS0\")\n"
		"  -m, --mem SIZE       guest RAM; suffix K, M, G, T, power-of-two units\n"
		"                       (default: 256M; minimum what the kernel needs)\n"
		"  -p, --cpus N         number of vCPUs, 1 to 64 (default: 1)\n"
		"  -d, --disk PATH[,ro][,direct=on]\n"
		"                       a virtio-blk disk backed by PATH through io_uring, one\n"
		"                       queue per vCPU; ro: read-only; direct=on: O_DIRECT.\n"
		"                       The size must be a multiple of 512. Up to 8, repeatable\n"
		"  -n, --net tap=NAME[,vhost=on|off|auto][,mac=MAC][,queues=N]\n"
		"                       a virtio-net NIC on host tap NAME (attached if it\n"
		"                       exists, else created; needs /dev/net/tun and\n"
		"                       CAP_NET_ADMIN or a tap made for this user). vhost=on:\n"
		"                       packets move in the kernel (/dev/vhost-net, an error\n"
		"                       if missing); off: through kvmini's I/O thread; auto\n"
		"                       (default): vhost-net if it opens, else off with a\n"
		"                       warning. mac=52:54:00:12:34:56 (default: derived from\n"
		"                       NAME). queues=N, 1 to 8 (default 1): N rx/tx queue\n"
		"                       pairs (virtio-net multiqueue, the driver picks how\n"
		"                       many are active); an existing tap must have been made\n"
		"                       with 'ip tuntap add NAME mode tap multi_queue'.\n"
		"                       Up to 8, repeatable\n"
		"      --hugepages      back guest RAM with hugetlbfs pages (MAP_HUGETLB;\n"
		"                       needs vm.nr_hugepages)\n"
		"      --no-thp         back guest RAM with 4 KiB pages only (default:\n"
		"                       transparent huge pages, 2 MiB aligned)\n"
		"      --stats          print exit counts to stderr when the guest stops\n"
		"      --timeout SECONDS  stop a guest still running after this long, as a\n"
		"                       guest failure (status 8; default: no limit)\n"
		"      --kvm PATH       KVM device node (default: /dev/kvm)\n"
		"      --user NAME      once everything is open, switch to this unprivileged\n"
		"                       user (NAME or UID[:GID]; kvmini must be root)\n"
		"      --chroot DIR     once everything is open, chroot to DIR (before --user)\n"
		"      --no-seccomp     no system-call filter (for debugging). By default, once\n"
		"                       /dev/kvm, disks, taps and vhost-net are open, kvmini\n"
		"                       drops every capability, sets no_new_privs and lets\n"
		"                       each thread (main, vCPU, I/O) make only the system\n"
		"                       calls it needs; any other stops the VM, named\n"
		"      --seccomp-probe  debug: vCPU 0 makes one call outside its allow-list at\n"
		"                       its first port exit (the VM stops with its name)\n"
		"  -v, --verbose        more messages on stderr (repeat for debug)\n"
		"  -h, --help           this text\n"
		"\n"
		EXIT_STATUS_HELP);
}

/* "SECONDS" (whole, 1 to a week) into milliseconds. */
static int parse_seconds(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 || v > 604800)
		return -1;
	*ms = (uint64_t)v * 1000;
	return 0;
}

static int parse_cpus(const char *s, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > KVMINI_MAX_CPUS)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static void print_stats(const struct kvmini_result *res)
{
	const struct kvmini_stats *s = &res->stats;

	fprintf(stderr, "kvmini: stats: userspace_exits=%llu io_exits=%llu mmio_exits=%llu unclaimed_io=%llu doorbell_exits=%llu",
		(unsigned long long)s->userspace_exits, (unsigned long long)s->io_exits,
		(unsigned long long)s->mmio_exits, (unsigned long long)s->unclaimed_io,
		(unsigned long long)s->doorbell_exits);
	if (s->kvm_exits_valid)
		fprintf(stderr, " kvm_exits=%llu", (unsigned long long)s->kvm_exits);
	fprintf(stderr, "\n");
}

/* A repeatable device option of kvmini run: --disk or --net. */
struct device_opt {
	const char *opt;          /* "--disk" */
	const char *what;         /* "disks", for "at most 8 disks" */
	const char *expect;       /* the accepted syntax, for the message */
	unsigned int max;
	int (*parse)(char *s, struct kvmini_config *cfg, unsigned int i);  /* 0 or -EINVAL */
	size_t count_at;          /* offsetof the count in struct kvmini_config */
};

static int disk_parse(char *s, struct kvmini_config *cfg, unsigned int i)
{
	return kvmini_parse_disk(s, &cfg->disks[i]);
}

static int nic_parse(char *s, struct kvmini_config *cfg, unsigned int i)
{
	return kvmini_parse_nic(s, &cfg->nics[i]);
}

static const struct device_opt disk_opt = {
	"--disk", "disks", "PATH[,ro][,direct=on]", KVMINI_MAX_DISKS, disk_parse,
	offsetof(struct kvmini_config, ndisks),
};
static const struct device_opt nic_opt = {
	"--net", "NICs", "tap=NAME[,vhost=on|off|auto][,mac=52:54:00:12:34:56][,queues=1..8]",
	KVMINI_MAX_NICS, nic_parse, offsetof(struct kvmini_config, nnics),
};

/* Add one --disk/--net to cfg; 0, or -1 with the reason on stderr. */
static int add_device(struct kvmini_config *cfg, char *arg, const struct device_opt *d)
{
	unsigned int *count = (unsigned int *)((char *)cfg + d->count_at);
	char copy[512];

	if (*count >= d->max) {
		fprintf(stderr, "kvmini: at most %u %s\n", d->max, d->what);
		return -1;
	}
	snprintf(copy, sizeof(copy), "%s", arg);
	if (d->parse(arg, cfg, *count)) {
		fprintf(stderr, "kvmini: %s '%s': expected %s\n", d->opt, copy, d->expect);
		return -1;
	}
	(*count)++;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	enum { OPT_HUGE = 256, OPT_THP, OPT_STATS, OPT_KVM, OPT_TIMEOUT, OPT_USER, OPT_CHROOT,
	       OPT_NO_SECCOMP, OPT_SECCOMP_PROBE };
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'p' },
		{ "disk", required_argument, NULL, 'd' },
		{ "net", required_argument, NULL, 'n' },
		{ "hugepages", no_argument, NULL, OPT_HUGE },
		{ "no-thp", no_argument, NULL, OPT_THP },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "kvm", required_argument, NULL, OPT_KVM },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "user", required_argument, NULL, OPT_USER },
		{ "chroot", required_argument, NULL, OPT_CHROOT },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "seccomp-probe", no_argument, NULL, OPT_SECCOMP_PROBE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kvmini_config cfg = {
		.cmdline = "console=ttyS0",
		.console_out_fd = STDOUT_FILENO,
	};
	struct kvmini_result res;
	struct kvmini_error err = { .msg = "" };
	struct kvmini_vm *vm;
	struct term_pump pump = { 0 };
	struct kvmini_restrict restrict_opts = { 0 };
	int c, stats = 0, verbose = 0, status;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:c:m:p:d:n:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kernel = optarg; break;
		case 'i':
			if (cfg.ninitrds == KVMINI_MAX_INITRDS) {
				fprintf(stderr, "kvmini: at most %d --initrd\n", KVMINI_MAX_INITRDS);
				return EXIT_USAGE;
			}
			cfg.initrds[cfg.ninitrds++] = optarg;
			break;
		case 'c': cfg.cmdline = optarg; break;
		case 'm':
			if (kvmini_parse_size(optarg, &cfg.mem_size) || cfg.mem_size == 0) {
				fprintf(stderr, "kvmini: --mem '%s' is not a size (e.g. 512M, 2G)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (parse_cpus(optarg, &cfg.ncpus)) {
				fprintf(stderr, "kvmini: --cpus '%s' must be a number from 1 to %d\n",
					optarg, KVMINI_MAX_CPUS);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (add_device(&cfg, optarg, &disk_opt))
				return EXIT_USAGE;
			break;
		case 'n':
			if (add_device(&cfg, optarg, &nic_opt))
				return EXIT_USAGE;
			break;
		case OPT_HUGE: cfg.pages = KVMINI_PAGES_HUGETLB; break;
		case OPT_THP: cfg.pages = KVMINI_PAGES_SMALL; break;
		case OPT_STATS: stats = 1; break;
		case OPT_KVM: cfg.kvm_path = optarg; break;
		case OPT_USER: restrict_opts.user = optarg; break;
		case OPT_CHROOT: restrict_opts.chroot_dir = optarg; break;
		case OPT_NO_SECCOMP: restrict_opts.no_seccomp = 1; break;
		case OPT_SECCOMP_PROBE: restrict_opts.probe = 1; break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, &cfg.timeout_ms)) {
				fprintf(stderr, "kvmini: --timeout '%s' must be a number of seconds from 1 to 604800\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v': verbose++; break;
		case 'h': usage_run(stdout); return 0;
		default:
			return opt_refused("run", c, argv, optind);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kvmini: unexpected argument '%s' (see kvmini run --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!cfg.kernel) {
		fprintf(stderr, "kvmini: run needs --kernel PATH (see kvmini run --help)\n");
		return EXIT_USAGE;
	}
	kvmini_set_log_level(verbose >= 2 ? KVMINI_LOG_DEBUG : verbose ? KVMINI_LOG_INFO
			     : KVMINI_LOG_WARN);

	if (kvmini_vm_create(&cfg, &vm, &err)) {
		fprintf(stderr, "kvmini: %s\n", err.msg);
		return kvmini_error_status(&err);
	}
	/* Everything is open: give up what the guest does not need, before any thread starts. */
	if (kvmini_vm_restrict(vm, &restrict_opts, &err)) {
		fprintf(stderr, "kvmini: %s\n", err.msg);
		kvmini_vm_destroy(vm);
		return kvmini_error_status(&err);
	}
	/* A terminal is the guest's console, with the Ctrl-A escape. */
	if (isatty(STDIN_FILENO)) {
		int r = term_pump_start(&pump, vm, STDIN_FILENO, 1);

		if (r) {
			fprintf(stderr, "kvmini: cannot start the console thread: %s\n", strerror(-r));
			kvmini_vm_destroy(vm);
			return KVMINI_EXIT_HOST;
		}
		term_raw(STDIN_FILENO);
	}
	kvmini_vm_run(vm, &res);
	term_pump_stop(&pump);
	term_restore();
	kvmini_vm_destroy(vm);
	if (stats)
		print_stats(&res);
	status = kvmini_exit_status(&res);
	if (status == KVMINI_EXIT_HOST || status == KVMINI_EXIT_GUEST)
		fprintf(stderr, "kvmini: guest stopped (%s): %s\n", kvmini_stop_name(res.stop),
			res.reason);
	else if (verbose)
		fprintf(stderr, "kvmini: %s\n", res.reason);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("kvmini %s\n", KVMINI_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "native"))
		return cmd_native(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 1, argv + 1);
	fprintf(stderr, "kvmini: unknown command '%s' (see kvmini --help)\n", argv[1]);
	return EXIT_USAGE;
}
