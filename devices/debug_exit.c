/* debug_exit.c - see debug_exit.h. */
#include "devices/debug_exit.h"

#include <string.h>

static void dx_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	(void)opaque;
	(void)off;
	memset(data, 0xff, len);
}

static void dx_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct debug_exit *d = opaque;
	const uint8_t *b = data;
	uint32_t v = 0;
	unsigned int i;

	(void)off;
	/* The value written, little-endian; wider accesses keep the low 32 bits. */
	for (i = 0; i < len && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	__atomic_add_fetch(&d->writes, 1, __ATOMIC_RELAXED);
	if (d->sink.request)
		d->sink.request(d->sink.ctx, debug_exit_status(v), v);
}

const struct iodev_ops debug_exit_ops = { .read = dx_read, .write = dx_write };

void debug_exit_init(struct debug_exit *d, struct debug_exit_sink sink)
{
	memset(d, 0, sizeof(*d));
	d->sink = sink;
}
