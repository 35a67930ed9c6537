/*
 * main.c - kvmini-native WORKLOAD [ARGS]: run guest/ workloads as a Linux
 * process and print the same RESULT lines the guest prints.
 *   WORKLOAD  cpu, mem, exits, all, or a comma-separated list
 *   ARGS      key=value options, as on the guest command line (reps=,
 *             mem.max=, mem.bytes=, mem.steps=, cpu.bytes=, cpu.sieve=,
 *             cpu.mat=, exits.iters=), plus cpu=N to pin to CPU N
 */
#include <stdio.h>
#include <string.h>

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
			"  WORKLOAD      cpu, mem, exits, all, or a list: cpu,mem\n"
			"  reps=N        repetitions (1)\n"
			"  mem.max=SIZE  largest working set (64M); mem.bytes=SIZE (256M)\n"
			"  mem.steps=N   pointer-chase loads per test (4194304)\n"
			"  cpu.bytes=SIZE cpu.sieve=N cpu.mat=N exits.iters=N\n"
			"  cpu=N         pin to CPU N\n");
		return argc < 2 ? 2 : 0;
	}
	len = (size_t)snprintf(args, sizeof(args), "workload=%s", argv[1]);
	for (i = 2; i < argc && len < sizeof(args); i++)
		len += (size_t)snprintf(args + len, sizeof(args) - len, " %s", argv[i]);
	if (len >= sizeof(args)) {
		fprintf(stderr, "kvmini-native: arguments too long\n");
		return 2;
	}
	return bench_main(args, NATIVE_DEFAULT_MEM_MAX) ? 1 : 0;
}
