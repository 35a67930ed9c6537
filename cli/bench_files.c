/*
 * bench_files.c - the files `kvmini bench --out DIR` writes:
 *   results.csv   one row per test: both worlds' statistics and the ratio
 *   results.json  the same, plus the environment and the settings
 *   runs.csv      every raw value, warm-ups included (warmup=1)
 * Numbers are written with 10 significant digits; a value that does not
 * exist (NaN) is an empty CSV field and a JSON null.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static void csv_str(FILE *f, const char *s)
{
	if (!s)
		s = "";
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.10g", v);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.10g", v);
}

/* What every file writer is handed. */
struct files_ctx {
	const struct bench *b;
	const struct bench_group *g;
	size_t n;
};

/* Write dir/name with fn; returns 0, or -1 with the reason on stderr. */
static int write_file(const char *dir, const char *name,
		      void (*fn)(FILE *f, const struct files_ctx *c), const struct files_ctx *c)
{
	char path[4200];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kvmini: bench: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fn(f, c);
	bad = ferror(f);
	if (fclose(f) || bad) {
		fprintf(stderr, "kvmini: bench: error writing %s\n", path);
		return -1;
	}
	return 0;
}

static void csv_world(FILE *f, const struct stats_summary *s)
{
	fprintf(f, "%zu,", s->n);
	csv_num(f, s->median), fputc(',', f);
	csv_num(f, s->min), fputc(',', f);
	csv_num(f, s->max), fputc(',', f);
	csv_num(f, s->mean), fputc(',', f);
	csv_num(f, s->sd), fputc(',', f);
	fputs(s->n == 0 ? "" : s->median_ci.ok ? "ci95-median" : "min-max", f), fputc(',', f);
	csv_num(f, s->median_ci.lo), fputc(',', f);
	csv_num(f, s->median_ci.hi), fputc(',', f);
}

static void write_results_csv(FILE *f, const struct files_ctx *c)
{
	const struct bench_group *g = c->g;
	size_t n = c->n;
	size_t i;

	fputs("workload,test,metric,unit,"
	      "native_n,native_median,native_min,native_max,native_mean,native_sd,"
	      "native_spread,native_lo,native_hi,"
	      "vm_n,vm_median,vm_min,vm_max,vm_mean,vm_sd,vm_spread,vm_lo,vm_hi,"
	      "vm_native_ratio,native_label,vm_label,checksums\n", f);
	for (i = 0; i < n; i++) {
		csv_str(f, g[i].workload), fputc(',', f);
		csv_str(f, g[i].test), fputc(',', f);
		csv_str(f, g[i].metric), fputc(',', f);
		csv_str(f, g[i].unit), fputc(',', f);
		csv_world(f, &g[i].st[BENCH_NATIVE]);
		csv_world(f, &g[i].st[BENCH_VM]);
		csv_num(f, g[i].ratio), fputc(',', f);
		csv_str(f, g[i].label[BENCH_NATIVE]), fputc(',', f);
		csv_str(f, g[i].label[BENCH_VM]), fputc(',', f);
		fprintf(f, "%s\n", !g[i].has_checksum ? "" : g[i].checksum_mismatch ? "mismatch"
										    : "match");
	}
}

static void write_runs_csv(FILE *f, const struct files_ctx *c)
{
	const struct bench *b = c->b;
	size_t i;

	fputs("rep,warmup,slot,world,workload,test,metric,unit,inner_rep,value,checksum,label\n", f);
	for (i = 0; i < b->ns; i++) {
		const struct bench_sample *s = &b->s[i];

		fprintf(f, "%u,%d,%u,%s,", s->rep, s->warmup, s->slot, bench_world_name(s->world));
		csv_str(f, s->workload), fputc(',', f);
		csv_str(f, s->test), fputc(',', f);
		csv_str(f, s->metric), fputc(',', f);
		csv_str(f, s->unit), fputc(',', f);
		fprintf(f, "%u,", s->inner);
		csv_num(f, s->value), fputc(',', f);
		if (s->has_checksum)
			fprintf(f, "0x%016llx", (unsigned long long)s->checksum);
		fputc(',', f);
		csv_str(f, s->label), fputc('\n', f);
	}
}

static void json_ci(FILE *f, const char *name, const struct stats_ci *ci)
{
	fprintf(f, "\"%s\": {\"lo\": ", name);
	json_num(f, ci->lo);
	fputs(", \"hi\": ", f);
	json_num(f, ci->hi);
	fputs(", \"level\": ", f);
	json_num(f, ci->level);
	fprintf(f, ", \"is_95\": %s}", ci->ok ? "true" : "false");
}

static void json_world(FILE *f, const char *name, const struct stats_summary *s,
		       const char *label)
{
	fprintf(f, "      \"%s\": {\"n\": %zu, \"median\": ", name, s->n);
	json_num(f, s->median);
	fputs(", \"min\": ", f), json_num(f, s->min);
	fputs(", \"max\": ", f), json_num(f, s->max);
	fputs(", \"mean\": ", f), json_num(f, s->mean);
	fputs(", \"sd\": ", f), json_num(f, s->sd);
	fputs(", ", f), json_ci(f, "median_ci", &s->median_ci);
	fputs(", ", f), json_ci(f, "mean_ci", &s->mean_ci);
	fputs(", \"label\": ", f), json_str(f, label);
	fputs("}", f);
}

static void json_kv(FILE *f, const char *key, const char *val, int last)
{
	fprintf(f, "    \"%s\": ", key);
	json_str(f, val);
	fputs(last ? "\n" : ",\n", f);
}

static void write_json(FILE *f, const struct files_ctx *c)
{
	const struct bench *b = c->b;
	const struct bench_group *g = c->g;
	size_t n = c->n;
	const struct bench_env *e = &b->env;
	size_t i;

	fputs("{\n  \"tool\": \"kvmini bench\",\n", f);
	fprintf(f, "  \"nested_warning\": %s,\n",
		e->nested ? "\"NESTED: these are not hardware numbers\"" : "null");
	fputs("  \"environment\": {\n", f);
	json_kv(f, "date", e->date, 0);
	json_kv(f, "cpu_model", e->cpu_model, 0);
	json_kv(f, "host_kernel", e->kernel, 0);
	json_kv(f, "two_dimensional_paging", e->tdp, 0);
	fprintf(f, "    \"host_is_vm\": %s,\n", e->hypervisor ? "true" : "false");
	fprintf(f, "    \"nested\": %s,\n", e->nested ? "true" : "false");
	json_kv(f, "pinning", e->pinning, 0);
	json_kv(f, "sandbox", e->sandbox, 0);
	json_kv(f, "pages", e->pages, 0);
	json_kv(f, "guest_ram", e->guest_ram, 1);
	fputs("  },\n  \"settings\": {\n", f);
	json_kv(f, "workloads", b->o.workloads, 0);
	fprintf(f, "    \"reps\": %u,\n    \"warmup\": %u,\n", b->o.reps, b->o.warmup);
	if (b->o.cpu >= 0)
		fprintf(f, "    \"cpu\": %d,\n", b->o.cpu);
	else
		fputs("    \"cpu\": null,\n", f);
	json_kv(f, "args", b->o.args, 0);
	json_kv(f, "guest", b->o.guest, 0);
	json_kv(f, "native", b->o.native, 0);
	if (b->o.has_disk) {
		json_kv(f, "disk", b->o.disk.path, 0);
		fprintf(f, "    \"disk_vm_direct\": %s,\n", b->o.disk.direct ? "true" : "false");
	}
	if (b->o.has_nic) {
		json_kv(f, "tap", b->o.nic.tap, 0);
		json_kv(f, "tap_vm_vhost", b->o.nic.vhost > 0 ? "on" : b->o.nic.vhost == 0 ? "off"
								 : "auto", 0);
	}
	json_kv(f, "order", "interleaved: each repetition runs both worlds, the first alternates", 1);
	fprintf(f, "  },\n  \"runs\": %u,\n  \"failed_runs\": %u,\n", b->runs, b->failures);
	fputs("  \"ratio\": \"vm median / native median\",\n  \"results\": [\n", f);
	for (i = 0; i < n; i++) {
		fputs("    {\"workload\": ", f), json_str(f, g[i].workload);
		fputs(", \"test\": ", f), json_str(f, g[i].test);
		fputs(", \"metric\": ", f), json_str(f, g[i].metric);
		fputs(", \"unit\": ", f), json_str(f, g[i].unit);
		fputs(", \"vm_native_ratio\": ", f), json_num(f, g[i].ratio);
		fprintf(f, ", \"checksums\": %s,\n", !g[i].has_checksum ? "null" :
			g[i].checksum_mismatch ? "\"mismatch\"" : "\"match\"");
		json_world(f, "native", &g[i].st[BENCH_NATIVE], g[i].label[BENCH_NATIVE]);
		fputs(",\n", f);
		json_world(f, "vm", &g[i].st[BENCH_VM], g[i].label[BENCH_VM]);
		fprintf(f, "}%s\n", i + 1 < n ? "," : "");
	}
	fputs("  ],\n  \"skipped\": [", f);
	for (i = 0; i < b->nskips; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, b->skips[i]);
	}
	fputs("]\n}\n", f);
}

int bench_write_files(const struct bench *b, const struct bench_group *g, size_t n,
		      const char *dir)
{
	const struct files_ctx c = { .b = b, .g = g, .n = n };
	int r = 0;

	r |= write_file(dir, "results.csv", write_results_csv, &c);
	r |= write_file(dir, "results.json", write_json, &c);
	r |= write_file(dir, "runs.csv", write_runs_csv, &c);
	return r ? -1 : 0;
}
