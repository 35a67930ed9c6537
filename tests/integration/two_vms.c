/*
 * two_vms.c - embeds libkvmini the way a research program would: two VMs
 * built from the same config in one process, run at the same time from two
 * threads, each with its console in its own memfd. Both must run the guest
 * image to completion (isa-debug-exit status 1, "DONE ... status=ok").
 *
 * Usage: two-vms GUEST_IMAGE "GUEST COMMAND LINE"
 * Prints "two-vms: N passed, N failed" and exits 0 only if both succeeded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmini.h"

struct job {
	struct kvmini_config cfg;
	struct kvmini_result res;
	struct kvmini_error err;
	int created;
	char out[65536];
};

static void *run(void *arg)
{
	struct job *j = arg;
	struct kvmini_vm *vm;
	ssize_t n;

	if (kvmini_vm_create(&j->cfg, &vm, &j->err))
		return NULL;
	j->created = 1;
	kvmini_vm_run(vm, &j->res);
	kvmini_vm_destroy(vm);
	n = pread(j->cfg.console_out_fd, j->out, sizeof(j->out) - 1, 0);
	j->out[n > 0 ? n : 0] = '\0';
	return NULL;
}

int main(int argc, char **argv)
{
	struct job *jobs = calloc(2, sizeof(*jobs));
	pthread_t t[2];
	int i, passed = 0, failed = 0;

	if (argc != 3 || !jobs) {
		fprintf(stderr, "usage: two-vms GUEST_IMAGE CMDLINE\n");
		return 2;
	}
	for (i = 0; i < 2; i++) {
		jobs[i].cfg = (struct kvmini_config){
			.kernel = argv[1], .cmdline = argv[2], .mem_size = 128 << 20,
			.ncpus = 1,
			.console_out_fd = memfd_create("console", MFD_CLOEXEC),
		};
		pthread_create(&t[i], NULL, run, &jobs[i]);
	}
	for (i = 0; i < 2; i++) {
		struct job *j = &jobs[i];

		pthread_join(t[i], NULL);
		if (!j->created) {
			printf("not ok - VM %d: %s\n", i, j->err.msg);
			failed++;
		} else if (j->res.stop == KVMINI_STOP_EXIT_CODE && j->res.exit_code == 1 &&
			   strstr(j->out, "DONE world=vm status=ok")) {
			printf("ok - VM %d ran to completion in the same process (%s)\n", i,
			       j->res.reason);
			passed++;
		} else {
			printf("not ok - VM %d stopped: %s: %s\n", i, kvmini_stop_name(j->res.stop),
			       j->res.reason);
			failed++;
		}
		close(j->cfg.console_out_fd);
	}
	free(jobs);
	printf("two-vms: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
