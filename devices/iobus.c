/* iobus.c - see iobus.h. */
#include "devices/iobus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void iobus_init(struct iobus *bus, const char *name)
{
	/*
	 * Writer-preferring: a vCPU remapping a BAR is not starved by the other
	 * vCPUs' lookups. Non-recursive is fine: no thread takes it twice.
	 */
	static const pthread_rwlock_t init = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	bus->lock = init;
	atomic_init(&bus->unclaimed, 0);
}

void iobus_destroy(struct iobus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* The last address of [base, base+len); 0 when len is 0 or the range wraps. */
static int range_end(uint64_t base, uint64_t len, uint64_t *end)
{
	return len != 0 && !__builtin_add_overflow(base, len - 1, end);
}

/* Index of the first range that overlaps [base, end], or bus->nr (lock held). */
static size_t first_overlap(const struct iobus *bus, uint64_t base, uint64_t end)
{
	size_t lo = 0, hi = bus->nr;

	/* The first range whose last address is >= base ... */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iobus_range *r = &bus->ranges[mid];

		if (r->base + (r->len - 1) < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ... overlaps if it starts at or before end. */
	return lo < bus->nr && bus->ranges[lo].base <= end ? lo : bus->nr;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   const struct iodev_ops *ops, void *opaque, const char *name)
{
	uint64_t end;
	size_t i;
	int r = 0;

	if (!range_end(base, len, &end) || !ops)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	if (first_overlap(bus, base, end) != bus->nr) {
		r = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 8;
		struct iobus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		bus->ranges = n;
		bus->cap = cap;
	}
	for (i = bus->nr; i > 0 && bus->ranges[i - 1].base > base; i--)
		bus->ranges[i] = bus->ranges[i - 1];
	bus->ranges[i] = (struct iobus_range){ base, len, ops, opaque, name };
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

/* The range holding addr, or NULL (lock held). Inlined into the hot path. */
static inline __attribute__((always_inline)) const struct iobus_range *
search(const struct iobus *bus, uint64_t addr)
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

int iobus_unregister(struct iobus *bus, uint64_t base, const void *opaque)
{
	const struct iobus_range *r;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	r = search(bus, base);
	if (r && r->base == base && r->opaque == opaque) {
		size_t i = (size_t)(r - bus->ranges);

		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(bus->ranges[0]));
		bus->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int iobus_overlap(struct iobus *bus, uint64_t base, uint64_t len,
		  struct iobus_range *out)
{
	uint64_t end;
	size_t i;

	if (!range_end(base, len, &end))
		return -EINVAL;
	pthread_rwlock_rdlock(&bus->lock);
	i = first_overlap(bus, base, end);
	if (i != bus->nr && out)
		*out = bus->ranges[i];
	pthread_rwlock_unlock(&bus->lock);
	return i != bus->nr;
}

const struct iobus_range *iobus_find(const struct iobus *bus, uint64_t addr)
{
	/* The lock is not part of the bus's value: reading takes it all the same. */
	pthread_rwlock_t *lock = (pthread_rwlock_t *)&bus->lock;
	const struct iobus_range *r;

	pthread_rwlock_rdlock(lock);
	r = search(bus, addr);
	pthread_rwlock_unlock(lock);
	return r;
}

int iobus_access(struct iobus *bus, uint64_t addr, void *data,
		 unsigned int len, int is_write)
{
	const struct iobus_range *p;
	struct iobus_range r;
	uint64_t off;

	/* Copy the range out under the lock; call the device without it. */
	pthread_rwlock_rdlock(&bus->lock);
	p = search(bus, addr);
	if (p)
		r = *p;
	pthread_rwlock_unlock(&bus->lock);
	if (!p || len == 0 || len > r.len - (off = addr - r.base)) {
		atomic_fetch_add_explicit(&bus->unclaimed, 1, memory_order_relaxed);
		if (!is_write)
			memset(data, 0xff, len);
		return 1;
	}
	if (is_write) {
		if (r.ops->write)
			r.ops->write(r.opaque, off, data, len);
	} else if (r.ops->read) {
		r.ops->read(r.opaque, off, data, len);
	} else {
		memset(data, 0xff, len);
	}
	return 0;
}
