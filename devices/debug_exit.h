/*
 * debug_exit.h - isa-debug-exit, the test device QEMU also offers: a write
 * of value v to any of its KVMINI_DEBUG_EXIT_SIZE ports asks the machine to
 * stop with exit status (v << 1) | 1, so a guest can report success or
 * failure as the VMM's exit status. Reads return all-ones. Offsets are
 * relative to the base port (KVMINI_DEBUG_EXIT_PORT, 0xf4, by default).
 */
#ifndef KVMINI_DEBUG_EXIT_H
#define KVMINI_DEBUG_EXIT_H

#include <stdint.h>

#include "devices/iobus.h"

/* Where a stop request goes: the machine decides what to do with it. */
struct debug_exit_sink {
	/* status is (v << 1) | 1 for the value v the guest wrote. */
	void (*request)(void *ctx, uint64_t status, uint32_t value);
	void *ctx;
};

struct debug_exit {
	struct debug_exit_sink sink;
	uint64_t writes;   /* stop requests seen */
};

/* Handlers for the device's port range. */
extern const struct iodev_ops debug_exit_ops;

/* debug_exit_init - a device that reports to sink (request may be NULL). */
void debug_exit_init(struct debug_exit *d, struct debug_exit_sink sink);

/* debug_exit_status - the exit status a write of value asks for. */
static inline uint64_t debug_exit_status(uint32_t value)
{
	return ((uint64_t)value << 1) | 1;
}

#endif
