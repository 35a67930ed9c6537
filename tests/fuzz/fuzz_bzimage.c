/*
 * fuzz_bzimage.c - the bzImage loader on arbitrary files: the first byte
 * says how much of the rest is the kernel and how much the initrd, into a
 * 64 MiB guest.
 */
#include <stdlib.h>

#include "vmm/bzimage.h"

#define RAM (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct guest_mem m;
	struct bzimage_boot boot;
	struct kvmini_error err;
	size_t klen;

	if (!ram && !(ram = calloc(1, RAM)))
		return 0;
	if (size < 1)
		return 0;
	klen = (size - 1) - (size - 1) * data[0] / 512;   /* at least half is kernel */
	gmem_init_buffer(&m, ram, RAM);
	if (bzimage_load(&m, data + 1, klen, data + 1 + klen, size - 1 - klen,
			   "console=ttyS0", 0xe0000, &boot, &err))
		return 0;   /* refused: the common outcome */
	return 0;
}
