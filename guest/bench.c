/*
 * bench.c - the driver shared by both worlds: parse "key=value" options,
 * run the chosen workloads, print RESULT lines and a closing DONE line.
 *
 * Line formats (one space between fields, no spaces inside values):
 *   RESULT world=W workload=X test=T rep=N metric=M unit=U value=V
 *          [checksum=0x%016x] [label=L]
 *   SKIP world=W workload=X test=T reason=R
 *   DONE world=W status=ok|fail
 */
#include "platform.h"

static unsigned int cur_rep;

void report_result(const struct result *r)
{
	char ck[40] = "", lb[160] = "";

	if (r->has_checksum)
		fmt_snprintf(ck, sizeof(ck), " checksum=0x%016llx",
			     (unsigned long long)r->checksum);
	if (r->label)
		fmt_snprintf(lb, sizeof(lb), " label=%s", r->label);
	con_printf("RESULT world=%s workload=%s test=%s rep=%u metric=%s unit=%s value=%llu%s%s\n",
		   plat_world(), r->workload, r->test, cur_rep, r->metric, r->unit,
		   (unsigned long long)r->value, ck, lb);
}

void report_skip(const char *workload, const char *test, const char *why)
{
	con_printf("SKIP world=%s workload=%s test=%s reason=%s\n",
		   plat_world(), workload, test, why);
}

static int streq_n(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return b[n] == '\0';
}

/* "64M", "16K", "1G", "1000" -> bytes (or a plain count). */
static int parse_num(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n == 0)
		return -PLAT_EINVAL;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++) {
			char c = s[i];
			unsigned int d;

			if (c >= '0' && c <= '9')
				d = (unsigned int)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned int)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned int)(c - 'A' + 10);
			else
				return -PLAT_EINVAL;
			v = v * 16 + d;
		}
		*out = v;
		return 0;
	}
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (i == 0)
		return -PLAT_EINVAL;
	if (i < n) {
		if (i + 1 != n)
			return -PLAT_EINVAL;
		switch (s[i]) {
		case 'k': case 'K': v <<= 10; break;
		case 'm': case 'M': v <<= 20; break;
		case 'g': case 'G': v <<= 30; break;
		default: return -PLAT_EINVAL;
		}
	}
	*out = v;
	return 0;
}

/* "10.79.0.2" -> 0x0a4f0002. */
static int parse_ip4(const char *s, size_t n, uint32_t *out)
{
	uint32_t ip = 0, part = 0;
	unsigned int dots = 0, digits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			part = part * 10 + (uint32_t)(s[i] - '0');
			if (part > 255 || ++digits > 3)
				return -PLAT_EINVAL;
		} else if (s[i] == '.' && digits && dots < 3) {
			ip = ip << 8 | part;
			part = 0;
			digits = 0;
			dots++;
		} else {
			return -PLAT_EINVAL;
		}
	}
	if (dots != 3 || !digits)
		return -PLAT_EINVAL;
	*out = ip << 8 | part;
	return 0;
}

/* Copy a value of n bytes into dst (size bytes, NUL-terminated). */
static int copy_str(char *dst, size_t size, const char *s, size_t n)
{
	size_t i;

	if (n >= size)
		return -PLAT_EINVAL;
	for (i = 0; i < n; i++)
		dst[i] = s[i];
	dst[n] = '\0';
	return 0;
}

/* "4K,2M,1G" (any order, at least one) -> BENCH_PG_* bits. */
static int parse_pages(const char *s, size_t n, unsigned int *out)
{
	unsigned int bits = 0;
	size_t i = 0;

	while (i < n) {
		size_t start = i;

		while (i < n && s[i] != ',')
			i++;
		if (i - start != 2)
			return -PLAT_EINVAL;
		if (s[start] == '4' && (s[start + 1] == 'K' || s[start + 1] == 'k'))
			bits |= BENCH_PG_4K;
		else if (s[start] == '2' && (s[start + 1] == 'M' || s[start + 1] == 'm'))
			bits |= BENCH_PG_2M;
		else if (s[start] == '1' && (s[start + 1] == 'G' || s[start + 1] == 'g'))
			bits |= BENCH_PG_1G;
		else
			return -PLAT_EINVAL;
		i++;   /* past the comma */
	}
	if (!bits || s[n - 1] == ',')
		return -PLAT_EINVAL;
	*out = bits;
	return 0;
}

int bench_parse(const char *args, uint64_t default_mem_max, struct bench_opts *o)
{
	const char *p = args ? args : "";

	*o = (struct bench_opts){
		.workloads = "all",
		.reps = 1,
		.mem_max = default_mem_max,
		.mem_bytes = 256ull << 20,
		.mem_steps = 1ull << 22,
		.mem_pages = BENCH_PG_4K | BENCH_PG_2M,
		.cpu_bytes = 4ull << 20,
		.cpu_sieve = 10000000,
		.cpu_mat = 128,
		.exits_iters = 100000,
		.exits_timer = PLAT_WAKE_PERIODIC,
		.pin_cpu = -1u,
		.blk_bytes = 64ull << 20,
		.blk_ops = 4096,
		.net_ip = 0x0a4f0002,     /* 10.79.0.2 */
		.net_peer = 0x0a4f0001,   /* 10.79.0.1 */
		.net_pings = 2000,
		.net_window = 32,
		.net_frames = 20000,
	};
	while (*p) {
		const char *tok, *eq = 0;
		size_t klen, vlen;
		uint64_t v = 0;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			if (*p == '=' && !eq)
				eq = p;
			p++;
		}
		if (!eq)
			continue;   /* the kernel file name, or anything else */
		klen = (size_t)(eq - tok);
		vlen = (size_t)(p - eq - 1);
		if (streq_n(tok, "workload", klen) || streq_n(tok, "workloads", klen)) {
			size_t i;

			if (vlen == 0 || vlen >= sizeof(o->workloads))
				return -PLAT_EINVAL;
			for (i = 0; i < vlen; i++)
				o->workloads[i] = eq[1 + i];
			o->workloads[vlen] = '\0';
			continue;
		}
		if (streq_n(tok, "blk.file", klen)) {
			if (copy_str(o->blk_file, sizeof(o->blk_file), eq + 1, vlen))
				return -PLAT_EINVAL;
			continue;
		}
		if (streq_n(tok, "net.tap", klen)) {
			if (copy_str(o->net_tap, sizeof(o->net_tap), eq + 1, vlen))
				return -PLAT_EINVAL;
			continue;
		}
		if (streq_n(tok, "exits.timer", klen)) {
			if (streq_n(eq + 1, "periodic", vlen))
				o->exits_timer = PLAT_WAKE_PERIODIC;
			else if (streq_n(eq + 1, "oneshot", vlen))
				o->exits_timer = PLAT_WAKE_ONESHOT;
			else
				return -PLAT_EINVAL;
			continue;
		}
		if (streq_n(tok, "mem.pages", klen)) {
			if (parse_pages(eq + 1, vlen, &o->mem_pages))
				return -PLAT_EINVAL;
			continue;
		}
		if (streq_n(tok, "net.ip", klen) || streq_n(tok, "net.peer", klen)) {
			if (parse_ip4(eq + 1, vlen, tok[4] == 'i' ? &o->net_ip : &o->net_peer))
				return -PLAT_EINVAL;
			continue;
		}
		if (parse_num(eq + 1, vlen, &v))
			continue;   /* not ours */
		if (streq_n(tok, "reps", klen))
			o->reps = v ? (unsigned int)v : 1;
		else if (streq_n(tok, "mem.max", klen))
			o->mem_max = v;
		else if (streq_n(tok, "mem.bytes", klen))
			o->mem_bytes = v;
		else if (streq_n(tok, "mem.steps", klen))
			o->mem_steps = v;
		else if (streq_n(tok, "cpu.bytes", klen))
			o->cpu_bytes = v;
		else if (streq_n(tok, "cpu.sieve", klen))
			o->cpu_sieve = v;
		else if (streq_n(tok, "cpu.mat", klen))
			o->cpu_mat = (unsigned int)v;
		else if (streq_n(tok, "exits.iters", klen))
			o->exits_iters = v ? v : 1;
		else if (streq_n(tok, "blk.bytes", klen))
			o->blk_bytes = v;
		else if (streq_n(tok, "blk.ops", klen))
			o->blk_ops = v ? v : 1;
		else if (streq_n(tok, "net.pings", klen))
			o->net_pings = v ? v : 1;
		else if (streq_n(tok, "net.window", klen))
			o->net_window = (unsigned int)v;
		else if (streq_n(tok, "net.frames", klen))
			o->net_frames = v ? v : 1;
		else if (streq_n(tok, "cpu", klen))
			o->pin_cpu = (unsigned int)v;
	}
	if (o->mem_max < 16384)
		o->mem_max = 16384;
	if (o->cpu_mat == 0 || o->cpu_mat > 1024)
		return -PLAT_EINVAL;
	if (o->net_window == 0 || o->net_window > 256 || o->net_ip == o->net_peer)
		return -PLAT_EINVAL;
	return 0;
}

/* Is name in the comma-separated list (or is the list "all")? */
static int chosen(const char *list, const char *name)
{
	const char *p = list;

	while (*p) {
		const char *s = p;
		size_t n;

		while (*p && *p != ',')
			p++;
		n = (size_t)(p - s);
		if (streq_n(s, "all", n) || streq_n(s, name, n))
			return 1;
		if (*p)
			p++;
	}
	return 0;
}

static int known(const char *list)
{
	static const char *const names[] = { "all", "cpu", "mem", "exits", "blk", "net" };
	const char *p = list;

	while (*p) {
		const char *s = p;
		size_t n, i;
		int ok = 0;

		while (*p && *p != ',')
			p++;
		n = (size_t)(p - s);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			ok |= streq_n(s, names[i], n);
		if (!ok) {
			con_printf("unknown workload in \"%s\" (known: cpu, mem, exits, blk, net, all)\n", list);
			return 0;
		}
		if (*p)
			p++;
	}
	return 1;
}

int bench_main(const char *args, uint64_t default_mem_max)
{
	struct bench_opts o;
	int bad = 0;

	if (bench_parse(args, default_mem_max, &o) || !known(o.workloads)) {
		con_printf("bad options: \"%s\"\n", args ? args : "");
		con_printf("DONE world=%s status=fail\n", plat_world());
		return 2;
	}
	plat_apply_opts(&o);
	for (cur_rep = 0; cur_rep < o.reps; cur_rep++) {
		if (chosen(o.workloads, "cpu") && wl_cpu(&o))
			bad = 1;
		if (chosen(o.workloads, "mem") && wl_mem(&o))
			bad = 1;
		if (chosen(o.workloads, "exits") && wl_exits(&o))
			bad = 1;
		if (chosen(o.workloads, "blk") && wl_blk(&o))
			bad = 1;
		if (chosen(o.workloads, "net") && wl_net(&o))
			bad = 1;
	}
	con_printf("DONE world=%s status=%s\n", plat_world(), bad ? "fail" : "ok");
	return bad;
}
