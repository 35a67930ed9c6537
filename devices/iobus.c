/* iobus.c - see iobus.h. */
#include "devices/iobus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void iobus_init(struct iobus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	atomic_init(&bus->unclaimed, 0);
}

void iobus_destroy(struct iobus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   const struct iodev_ops *ops, void *opaque, const char *name)
{
	uint64_t end;
	size_t i;

	if (len == 0 || __builtin_add_overflow(base, len - 1, &end) || !ops)
		return -EINVAL;
	for (i = 0; i < bus->nr; i++) {
		const struct iobus_range *r = &bus->ranges[i];

		if (base <= r->base + (r->len - 1) && r->base <= end)
			return -EEXIST;
	}
	if (bus->nr == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 8;
		struct iobus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bus->ranges = n;
		bus->cap = cap;
	}
	for (i = bus->nr; i > 0 && bus->ranges[i - 1].base > base; i--)
		bus->ranges[i] = bus->ranges[i - 1];
	bus->ranges[i] = (struct iobus_range){ base, len, ops, opaque, name };
	bus->nr++;
	return 0;
}

const struct iobus_range *iobus_find(const struct iobus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iobus_range *r = &bus->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int iobus_access(struct iobus *bus, uint64_t addr, void *data,
		 unsigned int len, int is_write)
{
	const struct iobus_range *r = iobus_find(bus, addr);
	uint64_t off;

	if (!r || len == 0 || len > r->len - (off = addr - r->base)) {
		atomic_fetch_add_explicit(&bus->unclaimed, 1, memory_order_relaxed);
		if (!is_write)
			memset(data, 0xff, len);
		return 1;
	}
	if (is_write) {
		if (r->ops->write)
			r->ops->write(r->opaque, off, data, len);
	} else if (r->ops->read) {
		r->ops->read(r->opaque, off, data, len);
	} else {
		memset(data, 0xff, len);
	}
	return 0;
}
