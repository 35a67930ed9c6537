/* util.c - see util.h and kvmini_parse_size() in kvmini.h. */
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define THREAD_STACK (256 * KiB)

/* What a new thread needs before it calls fn: its own name (set by itself,
 * with prctl, so that no /proc file has to be opened for it). */
struct thread_boot {
	void *(*fn)(void *);
	void *arg;
	char name[16];
};

static void *thread_main(void *p)
{
	struct thread_boot b = *(struct thread_boot *)p;

	free(p);
	if (b.name[0])
		pthread_setname_np(pthread_self(), b.name);  /* best effort: a help only */
	return b.fn(b.arg);
}

int thread_start(pthread_t *t, const char *name, void *(*fn)(void *), void *arg)
{
	struct thread_boot *b = calloc(1, sizeof(*b));
	pthread_attr_t a;
	int r;

	if (!b)
		return -ENOMEM;
	b->fn = fn;
	b->arg = arg;
	if (name)
		snprintf(b->name, sizeof(b->name), "%s", name);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, THREAD_STACK);
	r = pthread_create(t, &a, thread_main, b);
	pthread_attr_destroy(&a);
	if (r)
		free(b);
	return -r;
}

static enum kvmini_error_kind kind_of(int e)
{
	switch (e) {
	case EINVAL: case ENOEXEC: case E2BIG: case EFBIG: case ERANGE: case EOVERFLOW:
	case ENOENT: case ENOTDIR: case EISDIR: case ENAMETOOLONG: case ELOOP:
	case EFAULT: case EBUSY:
		return KVMINI_ERR_INPUT;
	default:
		return KVMINI_ERR_HOST;
	}
}

static void __attribute__((format(printf, 3, 0)))
fill(struct kvmini_error *err, enum kvmini_error_kind kind, const char *fmt, va_list ap)
{
	if (!err)
		return;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->kind = kind;
}

int set_err(struct kvmini_error *err, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, kind_of(e), fmt, ap);
	va_end(ap);
	return -e;
}

int set_err_host(struct kvmini_error *err, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, KVMINI_ERR_HOST, fmt, ap);
	va_end(ap);
	return -e;
}

int kvmini_parse_disk(char *s, struct kvmini_disk *d)
{
	char *opt, *save = NULL;

	memset(d, 0, sizeof(*d));
	d->path = strtok_r(s, ",", &save);
	if (!d->path || !*d->path)
		return -EINVAL;
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strcmp(opt, "ro") || !strcmp(opt, "readonly=on"))
			d->readonly = 1;
		else if (!strcmp(opt, "rw") || !strcmp(opt, "readonly=off"))
			d->readonly = 0;
		else if (!strcmp(opt, "direct=on") || !strcmp(opt, "direct"))
			d->direct = 1;
		else if (!strcmp(opt, "direct=off"))
			d->direct = 0;
		else
			return -EINVAL;
	}
	return 0;
}

/* Six hex bytes separated by ':' or '-'; multicast addresses are refused. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i;

	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		mac[i] = (uint8_t)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
		s += 2;
		if (i < 5 && *s != ':' && *s != '-')
			return -EINVAL;
		if (i < 5)
			s++;
	}
	return *s || (mac[0] & 1) ? -EINVAL : 0;
}

int kvmini_parse_nic(char *s, struct kvmini_nic *n)
{
	char *opt, *save = NULL;

	memset(n, 0, sizeof(*n));
	n->vhost = -1;
	n->queues = 1;
	for (opt = strtok_r(s, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (!strncmp(opt, "tap=", 4) && opt[4] && strlen(opt + 4) < 16)
			n->tap = opt + 4;
		else if (!strcmp(opt, "vhost=on"))
			n->vhost = 1;
		else if (!strcmp(opt, "vhost=off"))
			n->vhost = 0;
		else if (!strcmp(opt, "vhost=auto"))
			n->vhost = -1;
		else if (!strncmp(opt, "mac=", 4) && !parse_mac(opt + 4, n->mac))
			n->has_mac = 1;
		else if (!strncmp(opt, "queues=", 7) && opt[7] >= '1' && opt[7] <= '9' &&
			 !opt[8] && (unsigned int)(opt[7] - '0') <= KVMINI_NIC_MAX_QUEUES)
			n->queues = (unsigned int)(opt[7] - '0');
		else
			return -EINVAL;
	}
	return n->tap ? 0 : -EINVAL;
}

int kvmini_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1, r;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = KiB; end++; break;
	case 'm': case 'M': mult = MiB; end++; break;
	case 'g': case 'G': mult = GiB; end++; break;
	case 't': case 'T': mult = 1024 * GiB; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end != '\0')
		return -EINVAL;
	if (__builtin_mul_overflow((uint64_t)v, mult, &r))
		return -ERANGE;
	*out = r;
	return 0;
}
