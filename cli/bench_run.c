/*
 * bench_run.c - one run of the chosen workloads in one world, and the
 * parsing of the RESULT and SKIP lines it prints.
 *
 * Both worlds write into a memfd that is read back once the run is over: a
 * pipe would fill up and stall the vCPU (or the child) while nobody reads.
 * The VM world runs in this process through libkvmini, so its vCPU threads
 * inherit this process's CPU affinity.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kvmini.h"

#define MAX_ARGV 128

const char *bench_world_name(enum bench_world w)
{
	return w == BENCH_VM ? "vm" : "native";
}

/* The whole content of fd (from offset 0), NUL-terminated; NULL on error. */
static char *read_all(int fd)
{
	struct stat st;
	char *buf;
	ssize_t got;
	size_t off = 0;

	if (fstat(fd, &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	while (off < (size_t)st.st_size) {
		got = pread(fd, buf + off, (size_t)st.st_size - off, (off_t)off);
		if (got <= 0)
			break;
		off += (size_t)got;
	}
	buf[off] = '\0';
	return buf;
}

/* Print the last lines of out to stderr, so a failure can be understood. */
static void show_tail(const char *out, unsigned int lines)
{
	const char *p = out + strlen(out);

	while (p > out && lines) {
		p--;
		if (*p == '\n' && p[1])
			lines--;
	}
	fprintf(stderr, "%s%s", p == out ? "" : "  ...\n", p == out ? out : p + 1);
}

static void free_sample(struct bench_sample *s)
{
	free(s->workload);
	free(s->test);
	free(s->metric);
	free(s->unit);
	free(s->label);
}

static int add_sample(struct bench *b, const struct bench_sample *s)
{
	if (b->ns == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct bench_sample *n = realloc(b->s, cap * sizeof(*n));

		if (!n)
			return -1;
		b->s = n;
		b->cap = cap;
	}
	b->s[b->ns++] = *s;
	return 0;
}

/* The value of key= in a line of space-separated key=value tokens. */
static int field(const char *line, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \r\n");

			if (n >= size)
				return -1;
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return 0;
		}
		p += klen;
	}
	return -1;
}

/* One RESULT line into a sample; -1 when a field is missing or bad. */
static int parse_result(struct bench *b, const char *line, struct bench_sample *s)
{
	char world[16], wl[64], test[128], rep[16], metric[64], unit[32], value[32];
	char ck[32], label[160], *end;

	if (field(line, "world", world, sizeof(world)) ||
	    strcmp(world, bench_world_name(s->world)) ||
	    field(line, "workload", wl, sizeof(wl)) || field(line, "test", test, sizeof(test)) ||
	    field(line, "rep", rep, sizeof(rep)) || field(line, "metric", metric, sizeof(metric)) ||
	    field(line, "unit", unit, sizeof(unit)) || field(line, "value", value, sizeof(value)))
		return -1;
	s->value = strtod(value, &end);
	if (*end || end == value)
		return -1;
	s->inner = (unsigned int)strtoul(rep, NULL, 10);
	s->has_checksum = !field(line, "checksum", ck, sizeof(ck));
	s->checksum = s->has_checksum ? strtoull(ck, NULL, 16) : 0;
	s->workload = strdup(wl);
	s->test = strdup(test);
	s->metric = strdup(metric);
	s->unit = strdup(unit);
	s->label = field(line, "label", label, sizeof(label)) ? strdup("") : strdup(label);
	if (!s->workload || !s->test || !s->metric || !s->unit || !s->label ||
	    add_sample(b, s)) {
		free_sample(s);
		return -1;
	}
	return 0;
}

static void note_skip(struct bench *b, enum bench_world w, const char *line)
{
	char wl[64], test[128], why[128], buf[400], **n;

	if (field(line, "workload", wl, sizeof(wl)) || field(line, "test", test, sizeof(test)))
		return;
	if (field(line, "reason", why, sizeof(why)))
		snprintf(why, sizeof(why), "unknown");
	snprintf(buf, sizeof(buf), "%s %s/%s %s", bench_world_name(w), wl, test, why);
	for (size_t i = 0; i < b->nskips; i++)
		if (!strcmp(b->skips[i], buf))
			return;
	n = realloc(b->skips, (b->nskips + 1) * sizeof(*n));
	if (!n)
		return;
	b->skips = n;
	if ((b->skips[b->nskips] = strdup(buf)))
		b->nskips++;
}

/* Parse out; returns 0 when it ended with DONE status=ok, -1 otherwise. */
static int parse_output(struct bench *b, char *out, const struct bench_sample *proto)
{
	char *line, *save = NULL;
	int done = 0, bad = 0;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct bench_sample s = *proto;

		line[strcspn(line, "\r")] = '\0';
		if (!strncmp(line, "RESULT ", 7)) {
			if (parse_result(b, line, &s)) {
				fprintf(stderr, "kvmini: bench: cannot use \"%s\"\n", line);
				bad = 1;
			}
		} else if (!strncmp(line, "SKIP ", 5)) {
			note_skip(b, proto->world, line);
		} else if (!strncmp(line, "DONE ", 5)) {
			done = strstr(line, " status=ok") ? 1 : -1;
		}
	}
	return done == 1 && !bad ? 0 : -1;
}

/* kvmini-native WORKLOADS ARGS... [cpu=N], output into fd. Returns 0 when it exited 0. */
static int run_native(const struct bench *b, int fd, char *why, size_t whysz)
{
	char args[sizeof(b->o.args)], cpu[32], *argv[MAX_ARGV], *save = NULL, *t;
	char disk[sizeof(b->o.disk_buf) + 16], tap[sizeof(b->o.nic_buf) + 16];
	int argc = 0, status;
	pid_t pid;

	snprintf(args, sizeof(args), "%s", b->o.args);
	argv[argc++] = (char *)b->o.native;
	argv[argc++] = (char *)b->o.workloads;
	for (t = strtok_r(args, " \t", &save); t && argc < MAX_ARGV - 4;
	     t = strtok_r(NULL, " \t", &save))
		argv[argc++] = t;
	if (b->o.cpu >= 0) {
		snprintf(cpu, sizeof(cpu), "cpu=%d", b->o.cpu);
		argv[argc++] = cpu;
	}
	if (b->o.has_disk) {
		snprintf(disk, sizeof(disk), "blk.file=%s", b->o.disk.path);
		argv[argc++] = disk;
	}
	if (b->o.has_nic) {
		snprintf(tap, sizeof(tap), "net.tap=%s", b->o.nic.tap);
		argv[argc++] = tap;
	}
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		alarm(b->o.timeout);   /* survives exec: SIGALRM ends a hung run */
		execv(argv[0], argv);
		dprintf(fd, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whysz, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(why, whysz, "kvmini-native exited with status %d", WEXITSTATUS(status));
	else
		snprintf(why, whysz, "kvmini-native killed by signal %d",
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/*
 * The guest image in a VM of this process, serial output into fd. Returns 0,
 * or the exit status the failure calls for (KVMINI_EXIT_*) with why filled.
 */
static int vm_world(const struct bench *b, int fd, char *why, size_t whysz)
{
	struct kvmini_config cfg = {
		.kernel = b->o.guest,
		.mem_size = b->o.mem,
		.ncpus = 1,
		.console_out_fd = fd,
		.pages = KVMINI_PAGES_THP,
		.timeout_ms = (uint64_t)b->o.timeout * 1000,
	};
	struct kvmini_error err = { .msg = "" };
	struct kvmini_result res;
	struct kvmini_vm *vm;
	char cmdline[sizeof(b->o.args) + 256];
	int r;

	snprintf(cmdline, sizeof(cmdline), "workload=%s %s", b->o.workloads, b->o.args);
	cfg.cmdline = cmdline;
	if (b->o.has_disk) {
		cfg.disks[0] = b->o.disk;
		cfg.ndisks = 1;
	}
	if (b->o.has_nic) {
		cfg.nics[0] = b->o.nic;
		cfg.nnics = 1;
	}
	r = kvmini_vm_create(&cfg, &vm, &err);
	if (r) {
		snprintf(why, whysz, "%s", err.msg);
		return kvmini_error_status(&err);
	}
	/* The VM world runs as kvmini run does: no capabilities, seccomp. */
	r = kvmini_vm_restrict(vm, &b->o.restrict_opts, &err);
	if (r) {
		kvmini_vm_destroy(vm);
		snprintf(why, whysz, "%s", err.msg);
		return kvmini_error_status(&err);
	}
	r = kvmini_vm_run(vm, &res);
	kvmini_vm_destroy(vm);
	if (r) {
		snprintf(why, whysz, "cannot run the VM: %s", strerror(-r));
		return KVMINI_EXIT_HOST;
	}
	/* The guest image ends with debug exit 0 (status 1) when all went well. */
	if (res.stop == KVMINI_STOP_EXIT_CODE && res.exit_code == 1)
		return 0;
	snprintf(why, whysz, "guest stopped (%s): %s", kvmini_stop_name(res.stop), res.reason);
	r = kvmini_exit_status(&res);
	return r == KVMINI_EXIT_GUEST ? r : KVMINI_EXIT_HOST;
}

/*
 * One VM world in a child process of its own, which kvmini_vm_restrict()
 * confines while this process keeps what the next runs need. The child's
 * exit status is vm_world()'s, its reason comes back through a pipe.
 */
static int run_vm(const struct bench *b, int fd, char *why, size_t whysz)
{
	int p[2], status;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		return KVMINI_EXIT_HOST;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return KVMINI_EXIT_HOST;
	}
	if (pid == 0) {
		char msg[600] = "";
		int st;

		close(p[0]);
		st = vm_world(b, fd, msg, sizeof(msg));
		if (write(p[1], msg, strlen(msg)) < 0)
			st = KVMINI_EXIT_HOST;
		_exit(st);
	}
	close(p[1]);
	why[0] = 0;
	while (got + 1 < whysz && (n = read(p[0], why + got, whysz - got - 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	why[got] = 0;
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whysz, "waitpid: %s", strerror(errno));
			return KVMINI_EXIT_HOST;
		}
	if (WIFSIGNALED(status)) {
		snprintf(why, whysz, "the VM process was killed by signal %d", WTERMSIG(status));
		return KVMINI_EXIT_HOST;
	}
	return WEXITSTATUS(status);
}

int bench_run_one(struct bench *b, enum bench_world w, unsigned int rep, unsigned int slot)
{
	struct bench_sample proto = {
		.world = w, .rep = rep, .slot = slot, .warmup = rep < b->o.warmup,
	};
	char why[600] = "", *out, *copy;
	size_t first, i;
	int fd, r;

	fd = memfd_create(w == BENCH_VM ? "kvmini-bench-vm" : "kvmini-bench-native", MFD_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kvmini: bench: memfd_create: %s\n", strerror(errno));
		return KVMINI_EXIT_HOST;
	}
	r = w == BENCH_VM ? run_vm(b, fd, why, sizeof(why))
			  : run_native(b, fd, why, sizeof(why)) ? KVMINI_EXIT_HOST : 0;
	out = read_all(fd);
	close(fd);
	if (!out) {
		fprintf(stderr, "kvmini: bench: cannot read the %s output back\n",
			bench_world_name(w));
		return KVMINI_EXIT_HOST;
	}
	first = b->ns;
	copy = strdup(out);
	if ((!copy || parse_output(b, copy, &proto)) && !r) {
		snprintf(why, sizeof(why), "no \"DONE world=%s status=ok\" line, or a bad RESULT line",
			 bench_world_name(w));
		r = KVMINI_EXIT_HOST;
	}
	if (r) {
		fprintf(stderr, "kvmini: bench: repetition %u, %s world failed: %s\n", rep + 1,
			bench_world_name(w), why);
		show_tail(out, 15);
		/* A failed run's values are not trusted: drop them. */
		for (i = first; i < b->ns; i++)
			free_sample(&b->s[i]);
		b->ns = first;
	}
	free(copy);
	free(out);
	return r;
}

void bench_free(struct bench *b)
{
	size_t i;

	for (i = 0; i < b->ns; i++)
		free_sample(&b->s[i]);
	free(b->s);
	for (i = 0; i < b->nskips; i++)
		free(b->skips[i]);
	free(b->skips);
	b->s = NULL;
	b->skips = NULL;
	b->ns = b->cap = b->nskips = 0;
}
