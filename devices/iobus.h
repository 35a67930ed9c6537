/*
 * iobus.h - an address bus (port I/O or MMIO) that routes an access to the
 * device owning the address and hands it the offset into its own range.
 * Registration refuses zero-length, wrapping and overlapping ranges; an
 * access nobody owns reads as all-ones, is dropped on write, and is counted.
 *
 * Threads: ranges may be registered and unregistered while vCPUs run (a
 * guest moving a PCI BAR does so from its own vCPU thread). The table is a
 * sorted array behind a writer-preferring rwlock: iobus_access() takes it
 * for read just long enough to find the range and copy it, and calls the
 * device's handler with no bus lock held (so a handler may itself change
 * this bus or another one). Hence an access looked up just before an
 * iobus_unregister() may still reach the old handler after that returns:
 * a device's handler and opaque must stay valid as long as any thread can
 * access the bus, not merely while the range is registered.
 */
#ifndef KVMINI_IOBUS_H
#define KVMINI_IOBUS_H

#include <pthread.h>
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
	pthread_rwlock_t lock;     /* read: lookups; write: (un)registration */
	struct iobus_range *ranges; /* sorted by base, under lock */
	size_t nr, cap;
	atomic_ullong unclaimed;   /* accesses no device owned */
};

/* iobus_init - an empty bus (its lock is a static initializer: cannot fail). */
void iobus_init(struct iobus *bus, const char *name);

/*
 * iobus_destroy - free the range table (devices are not touched). No thread
 * may use the bus any more.
 */
void iobus_destroy(struct iobus *bus);

/*
 * iobus_register - give [base, base+len) to a device. Returns 0, -EINVAL for
 * len 0, a range that wraps or NULL ops, -EEXIST if it overlaps a registered
 * range, -ENOMEM. Safe while other threads access the bus.
 */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   const struct iodev_ops *ops, void *opaque, const char *name)
	__attribute__((warn_unused_result));

/*
 * iobus_unregister - take back the range that starts at base and was
 * registered with opaque. Returns 0, or -ENOENT if there is no such range
 * (a range owned by another opaque is left alone). Safe while other threads
 * access the bus; see the header comment for accesses already under way.
 */
int iobus_unregister(struct iobus *bus, uint64_t base, const void *opaque);

/*
 * iobus_overlap - copy into *out (if not NULL) the lowest registered range
 * that overlaps [base, base+len). Returns 1 if there is one, 0 if not,
 * -EINVAL for len 0 or a range that wraps.
 */
int iobus_overlap(struct iobus *bus, uint64_t base, uint64_t len,
		  struct iobus_range *out);

/*
 * iobus_find - the range holding addr, or NULL. The pointer is into the
 * table: valid until the next iobus_register/iobus_unregister, so only for
 * a bus whose ranges no other thread changes meanwhile (set-up, tests).
 */
const struct iobus_range *iobus_find(const struct iobus *bus, uint64_t addr);

/*
 * iobus_access - perform one access of len bytes at addr. Returns 0 when a
 * device handled it, 1 when nobody owns addr (reads fill data with 0xff).
 * An access that straddles the end of a device's range is unclaimed. The
 * handler runs with no bus lock held.
 */
int iobus_access(struct iobus *bus, uint64_t addr, void *data,
		 unsigned int len, int is_write);

#endif
