/* fuzz_multiboot.c - the Multiboot header and ELF/a.out parser on arbitrary files. */
#include "vmm/multiboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct multiboot_image mi;
	struct kvmini_error err;

	if (multiboot_parse(data, size, &mi, &err))
		return 0;   /* refused: the common outcome */
	return 0;
}
