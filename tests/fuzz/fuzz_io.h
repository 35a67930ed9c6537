/*
 * fuzz_io.h - drive a device's register interface (struct iodev_ops) from
 * fuzzer bytes: each access is one control byte (bit 0 write, bits 1-2 the
 * size 1, 2, 4 or 8), one offset byte (taken modulo the range's length) and,
 * for a write, the value's bytes. What a read returns is discarded; the
 * sanitizers and the device's own checks are what the fuzzer looks at.
 */
#ifndef KVMINI_FUZZ_IO_H
#define KVMINI_FUZZ_IO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "devices/iobus.h"

/* fuzz_io_run - play data against ops/opaque over a range of len bytes. */
static inline void fuzz_io_run(const uint8_t *data, size_t size, const struct iodev_ops *ops,
			       void *opaque, uint64_t len)
{
	size_t i = 0;

	while (i + 2 <= size) {
		unsigned int ctl = data[i], width = 1u << ((ctl >> 1) & 3);
		uint64_t off = data[i + 1] % len, v = 0;
		size_t n = 0;

		i += 2;
		if (ctl & 1) {
			n = size - i < width ? size - i : width;
			memcpy(&v, data + i, n);
			i += n;
		}
		if (width > len)
			continue;
		/* An access that would run past the range is moved to fit. */
		if (off + width > len)
			off = len - width;
		if (ctl & 1)
			ops->write(opaque, off, &v, width);
		else
			ops->read(opaque, off, &v, width);
	}
}

#endif
