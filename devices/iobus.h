/*
 * iobus.h - an address bus (port I/O or MMIO) that routes an access to the
 * device owning the address and hands it the offset into its own range.
 * Registration refuses zero-length, wrapping and overlapping ranges; an
 * access nobody owns reads as all-ones, is dropped on write, and is counted.
 * Ranges are registered before vCPUs start; lookups take no lock.
 */
#ifndef KVMINI_IOBUS_H
#define KVMINI_IOBUS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The one handler signature every device implements. len is 1, 2, 4 or 8. */
struct iodev_ops {
	void (*read)(void *opaque, uint64_t offset, void *data, unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const void *data, unsigned int len);
};

struct iobus_range {
	uint64_t base, len;
	const struct iodev_ops *ops;
	void *opaque;
	const char *name;
};

struct iobus {
	const char *name;          /* "pio" or "mmio", for messages */
	struct iobus_range *ranges; /* sorted by base */
	size_t nr, cap;
	atomic_ullong unclaimed;   /* accesses no device owned */
};

/* iobus_init - an empty bus. */
void iobus_init(struct iobus *bus, const char *name);

/* iobus_destroy - free the range table (devices are not touched). */
void iobus_destroy(struct iobus *bus);

/*
 * iobus_register - give [base, base+len) to a device. Returns 0, -EINVAL for
 * len 0 or a range that wraps, -EEXIST if it overlaps a registered range.
 */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   const struct iodev_ops *ops, void *opaque, const char *name)
	__attribute__((warn_unused_result));

/* iobus_find - the range holding addr, or NULL. */
const struct iobus_range *iobus_find(const struct iobus *bus, uint64_t addr);

/*
 * iobus_access - perform one access of len bytes at addr. Returns 0 when a
 * device handled it, 1 when nobody owns addr (reads fill data with 0xff).
 * An access that straddles the end of a device's range is unclaimed.
 */
int iobus_access(struct iobus *bus, uint64_t addr, void *data,
		 unsigned int len, int is_write);

#endif
