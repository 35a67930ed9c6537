/*
 * main.c - kvmini-native WORKLOAD [ARGS]: run guest/ workloads as a Linux
 * process and print the same RESULT lines the guest prints.
 *   WORKLOAD  cpu, mem, exits, blk, net, all, or a comma-separated list
 *   ARGS      key=value options, as on the guest command line (reps=,
 *             mem.max=, mem.bytes=, mem.steps=, mem.pages=, cpu.bytes=,
 *             cpu.sieve=, cpu.mat=, exits.iters=, exits.timer=, blk.bytes=,
 *             blk.ops=, net.ip=, net.peer=, net.pings=, net.window=,
 *             net.frames=), plus
 *             cpu=N to pin to CPU N, blk.file=FILE for the disk and
 *             net.tap=NAME for the NIC (also as --disk FILE, --net tap=NAME)
 */
#include <stdio.h>
#include <string.h>

#include "kvmini.h"   /* the exit statuses, shared with the kvmini command */
#include "platform.h"

#define NATIVE_DEFAULT_MEM_MAX (64ull << 20)

int main(int argc, char **argv)
{
	char args[4096];
	size_t len;
	int i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: kvmini-native WORKLOAD [key=value]...\n"
			"  WORKLOAD      cpu, mem, exits, blk, net, all, or a list: cpu,mem\n"
			"  reps=N        repetitions (1)\n"
			"  mem.max=SIZE  largest working set (64M); mem.bytes=SIZE (256M)\n"
			"  mem.steps=N   pointer-chase loads per test (4194304)\n"
			"  mem.pages=LIST page sizes measured, of 4K,2M,1G (4K,2M); 2M uses reserved\n"
			"                hugetlb pages or else THP, 1G reserved hugetlb pages only;\n"
			"                one that cannot be had gives a SKIP line with the reason\n"
			"  cpu.bytes=SIZE cpu.sieve=N cpu.mat=N exits.iters=N\n"
			"  exits.timer=periodic|oneshot  the VM's timer-wake mode; no effect here\n"
			"  cpu=N         pin to CPU N\n"
			"  blk.file=FILE the blk workload's disk (or --disk FILE): a file or block\n"
			"                device, at least 4 KiB, written over; io_uring, O_DIRECT when\n"
			"                the file system allows it\n"
			"  blk.bytes=SIZE region of the disk used (64M, clamped to its size)\n"
			"  blk.ops=N     requests per random 4 KiB test (4096)\n"
			"  net.tap=NAME  the net workload's port (or --net tap=NAME): an existing tap,\n"
			"                up, whose host side has address net.peer; this process\n"
			"                sends from MAC 52:54:00:6b:76:02\n"
			"  net.ip=A.B.C.D net.peer=A.B.C.D  this port's and the host's addresses\n"
			"                (10.79.0.2, 10.79.0.1)\n"
			"  net.pings=N   echo requests per test (2000); net.window=N outstanding in\n"
			"                the windowed test (32, at most 256); net.frames=N UDP frames\n"
			"                in the send-only test (20000)\n"
			"Without blk.file or net.tap, blk and net print SKIP lines and succeed.\n"
			"Exit status: 0 every workload ran, 2 usage (options refused), 6 a workload\n"
			"failed (as kvmini's statuses: see kvmini --help).\n");
		return argc < 2 ? KVMINI_EXIT_USAGE : KVMINI_EXIT_OK;
	}
	len = (size_t)snprintf(args, sizeof(args), "workload=%s", argv[1]);
	for (i = 2; i < argc && len < sizeof(args); i++) {
		const char *a = argv[i];

		/* kvmini run's spelling of the devices: --disk FILE, --net tap=NAME[,...] */
		if ((!strcmp(a, "--disk") || !strcmp(a, "--net")) && i + 1 < argc) {
			const char *v = argv[++i];

			if (a[2] == 'd')
				len += (size_t)snprintf(args + len, sizeof(args) - len,
							" blk.file=%s", v);
			else if (!strncmp(v, "tap=", 4))
				len += (size_t)snprintf(args + len, sizeof(args) - len,
							" net.tap=%.*s", (int)strcspn(v + 4, ","),
							v + 4);
			else {
				fprintf(stderr, "kvmini-native: --net '%s': expected tap=NAME\n", v);
				return KVMINI_EXIT_USAGE;
			}
			continue;
		}
		len += (size_t)snprintf(args + len, sizeof(args) - len, " %s", a);
	}
	if (len >= sizeof(args)) {
		fprintf(stderr, "kvmini-native: arguments too long\n");
		return KVMINI_EXIT_USAGE;
	}
	/* bench_main: 2 for options it refuses, else 1 when a workload failed. */
	switch (bench_main(args, NATIVE_DEFAULT_MEM_MAX)) {
	case 0: return KVMINI_EXIT_OK;
	case 2: return KVMINI_EXIT_USAGE;
	default: return KVMINI_EXIT_HOST;
	}
}
