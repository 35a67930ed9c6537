/*
 * bench_report.c - what `kvmini bench` prints: the machine it ran on, then
 * per (workload, test, metric, unit) the median in each world, its spread,
 * n and the VM/native ratio of the medians.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "bench.h"

/* Read /proc/cpuinfo: the first "model name" and whether "hypervisor" is a flag. */
static void read_cpuinfo(struct bench_env *e)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];

	snprintf(e->cpu_model, sizeof(e->cpu_model), "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "model name", 10) && !strcmp(e->cpu_model, "unknown"))
			snprintf(e->cpu_model, sizeof(e->cpu_model), "%s", colon + 2);
		else if (!strncmp(line, "flags", 5) && strstr(colon, " hypervisor"))
			e->hypervisor = 1;
	}
	fclose(f);
}

void bench_env_read(struct bench *b)
{
	struct bench_env *e = &b->env;
	const char *nested = getenv("KVMINI_NESTED");
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	memset(e, 0, sizeof(*e));
	read_cpuinfo(e);
	if (uname(&u) == 0)
		snprintf(e->kernel, sizeof(e->kernel), "%s %s %s %s", u.sysname, u.release,
			 u.version, u.machine);
	snprintf(e->tdp, sizeof(e->tdp), "%s", kvmini_host_tdp());
	snprintf(e->sandbox, sizeof(e->sandbox), "VM world in a child process: no capabilities, no_new_privs, %s",
		 b->o.restrict_opts.no_seccomp ? "no seccomp filter (--no-seccomp)"
					       : "seccomp allow-list per thread");
	e->nested = nested && !strcmp(nested, "1");
	gmtime_r(&now, &tm);
	strftime(e->date, sizeof(e->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (b->o.cpu >= 0)
		snprintf(e->pinning, sizeof(e->pinning),
			 "CPU %d: kvmini-native with cpu=%d; the VM through the whole kvmini "
			 "process (sched_setaffinity before the VM exists)", b->o.cpu, b->o.cpu);
	else
		snprintf(e->pinning, sizeof(e->pinning), "none");
	snprintf(e->pages, sizeof(e->pages),
		 "mem tests with the page sizes mem.pages asks for (default 4K,2M; tests "
		 "-pg4K, -pg2M, -pg1G) in both worlds; the backing each got is in the "
		 "note column");
	snprintf(e->guest_ram, sizeof(e->guest_ram), "%llu MiB, THP-backed, 1 vCPU",
		 (unsigned long long)(b->o.mem >> 20));
}

static struct bench_group *find_group(struct bench_group *g, size_t n,
				      const struct bench_sample *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(g[i].workload, s->workload) && !strcmp(g[i].test, s->test) &&
		    !strcmp(g[i].metric, s->metric) && !strcmp(g[i].unit, s->unit))
			return &g[i];
	return NULL;
}

static int push(struct bench_group *g, enum bench_world w, double v)
{
	double *nv = realloc(g->v[w], (g->n[w] + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	g->v[w] = nv;
	g->v[w][g->n[w]++] = v;
	return 0;
}

long bench_group_all(const struct bench *b, struct bench_group **out)
{
	struct bench_group *g = NULL, *x;
	size_t n = 0, i;
	int w;

	for (i = 0; i < b->ns; i++) {
		const struct bench_sample *s = &b->s[i];

		if (s->warmup)
			continue;
		x = find_group(g, n, s);
		if (!x) {
			x = realloc(g, (n + 1) * sizeof(*g));
			if (!x)
				goto oom;
			g = x;
			x = &g[n++];
			*x = (struct bench_group){ .workload = s->workload, .test = s->test,
						   .metric = s->metric, .unit = s->unit };
		}
		if (!x->label[s->world])
			x->label[s->world] = s->label;
		if (s->has_checksum && !x->has_checksum) {
			x->has_checksum = 1;
			x->checksum = s->checksum;
		} else if (s->has_checksum && s->checksum != x->checksum) {
			x->checksum_mismatch = 1;
		}
		if (push(x, s->world, s->value))
			goto oom;
	}
	for (i = 0; i < n; i++) {
		for (w = 0; w < BENCH_NWORLDS; w++)
			stats_summarize(g[i].v[w], g[i].n[w], &g[i].st[w]);
		g[i].ratio = stats_ratio(g[i].st[BENCH_VM].median, g[i].st[BENCH_NATIVE].median);
	}
	*out = g;
	return (long)n;
oom:
	bench_groups_free(g, n);
	return -1;
}

void bench_groups_free(struct bench_group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(g[i].v[BENCH_NATIVE]);
		free(g[i].v[BENCH_VM]);
	}
	free(g);
}

/* A value for the table: integers when large, 3 significant digits when small. */
static const char *num(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else if (fabs(v) >= 100)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.3g", v);
	return buf;
}

static const char *spread(char *buf, size_t size, const struct stats_summary *s)
{
	char a[32], b[32];

	if (s->n == 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%s %s..%s", s->median_ci.ok ? "ci" : "mm",
			 num(a, sizeof(a), s->median_ci.lo), num(b, sizeof(b), s->median_ci.hi));
	return buf;
}

/*
 * The reason world w gave in a SKIP line for this group's test, or for its
 * whole workload (test=all), or NULL. Skips read "vm blk/all no-disk".
 */
static const char *skip_reason(const struct bench *b, const struct bench_group *g,
			       enum bench_world w)
{
	const char *wn = bench_world_name(w);
	size_t i, wl = strlen(wn), kl = strlen(g->workload);

	for (i = 0; i < b->nskips; i++) {
		const char *s = b->skips[i], *t;

		if (strncmp(s, wn, wl) || s[wl] != ' ' || strncmp(s + wl + 1, g->workload, kl) ||
		    s[wl + 1 + kl] != '/')
			continue;
		t = s + wl + 2 + kl;
		if ((!strncmp(t, "all ", 4)) ||
		    (!strncmp(t, g->test, strlen(g->test)) && t[strlen(g->test)] == ' '))
			return strchr(t, ' ') + 1;
	}
	return NULL;
}

/* The note column: native counterparts of VM exits, page backing, problems. */
static void note(char *buf, size_t size, const struct bench *b, const struct bench_group *g)
{
	const char *nl = g->label[BENCH_NATIVE], *vl = g->label[BENCH_VM];
	size_t len = 0;

	buf[0] = '\0';
	if (g->checksum_mismatch)
		len += (size_t)snprintf(buf, size, "CHECKSUM MISMATCH; ");
	if (len >= size)
		return;
	if (!g->n[BENCH_NATIVE] || !g->n[BENCH_VM]) {
		enum bench_world w = g->n[BENCH_VM] ? BENCH_NATIVE : BENCH_VM;
		const char *why = skip_reason(b, g, w);

		if (why)
			snprintf(buf + len, size - len, "%s skipped: %s", bench_world_name(w), why);
		else
			snprintf(buf + len, size - len, "no %s result", bench_world_name(w));
	}
	else if (!strcmp(g->workload, "exits"))
		snprintf(buf + len, size - len, "vm %s vs native %s", vl, nl);
	else if (!strcmp(g->workload, "mem"))
		snprintf(buf + len, size - len, "pages: vm %s, native %s", vl, nl);
	else if (!strcmp(g->workload, "blk") || !strcmp(g->workload, "net"))
		snprintf(buf + len, size - len, "vm %s, native %s", vl, nl);
}

void bench_print_table(const struct bench *b, const struct bench_group *g, size_t n)
{
	const struct bench_env *e = &b->env;
	char v1[32], v2[32], s1[80], s2[80], cnt[32], r[32], nt[400];
	size_t i;

	if (e->nested)
		printf("NESTED: these are not hardware numbers\n");
	printf("kvmini bench, %s\n", e->date);
	printf("  cpu       %s\n", e->cpu_model);
	printf("  host      %s%s\n", e->kernel,
	       e->hypervisor ? " (itself a VM: cpuinfo has the hypervisor flag)" : "");
	printf("  paging    two-dimensional paging: %s\n", e->tdp);
	printf("  nested    %s\n", e->nested ? "yes (KVMINI_NESTED=1: inside the nested runner)"
					     : "no");
	printf("  pinning   %s\n", e->pinning);
	printf("  sandbox   %s\n", e->sandbox);
	printf("  pages     %s\n", e->pages);
	printf("  guest     %s, %s\n", b->o.guest, e->guest_ram);
	printf("  reps      %u measured + %u warm-up per world, interleaved; the world that "
	       "runs first alternates\n", b->o.reps, b->o.warmup);
	printf("  workloads %s; options: %s\n", b->o.workloads, b->o.args);
	if (b->o.has_disk)
		printf("  disk      %s: VM virtio-blk%s, native blk.file (io_uring)\n", b->o.disk.path,
		       b->o.disk.direct ? " with O_DIRECT" : " through the page cache");
	if (b->o.has_nic)
		printf("  net       tap %s: VM virtio-net (vhost %s), native net.tap (the process is "
		       "the NIC)\n", b->o.nic.tap,
		       b->o.nic.vhost > 0 ? "on" : b->o.nic.vhost == 0 ? "off" : "auto");
	printf("  spread    ci a..b: 95%% confidence interval of the median (order statistics, "
	       "n >= 6); mm a..b: min..max (n < 6)\n");
	printf("  ratio     VM median / native median: time and latency > 1, bandwidth < 1 "
	       "mean the VM is slower\n\n");
	printf("%-8s %-22s %-9s %-5s %10s %-24s %10s %-24s %5s %9s  %s\n", "workload", "test",
	       "metric", "unit", "native", "spread", "vm", "spread", "n", "vm/native", "note");
	for (i = 0; i < n; i++) {
		const struct stats_summary *sn = &g[i].st[BENCH_NATIVE], *sv = &g[i].st[BENCH_VM];

		if (sn->n == sv->n)
			snprintf(cnt, sizeof(cnt), "%zu", sn->n);
		else
			snprintf(cnt, sizeof(cnt), "%zu/%zu", sn->n, sv->n);
		num(r, sizeof(r), g[i].ratio);
		note(nt, sizeof(nt), b, &g[i]);
		printf("%-8s %-22s %-9s %-5s %10s %-24s %10s %-24s %5s %9s  %s\n", g[i].workload,
		       g[i].test, g[i].metric, g[i].unit, num(v1, sizeof(v1), sn->median),
		       spread(s1, sizeof(s1), sn), num(v2, sizeof(v2), sv->median),
		       spread(s2, sizeof(s2), sv), cnt, r, nt);
	}
	if (n == 0)
		printf("(no results)\n");
	for (i = 0; i < b->nskips; i++)
		printf("skipped: %s\n", b->skips[i]);
	fflush(stdout);
}
