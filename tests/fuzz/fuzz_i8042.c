/* fuzz_i8042.c - the i8042's data (0x60) and command (0x64) ports, interleaved. */
#include "devices/i8042.h"
#include "fuzz_io.h"

static void no_power(void *ctx, enum power_event ev, const char *why)
{
	(void)ctx, (void)ev, (void)why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct i8042 k;
	size_t i;

	if (i8042_init(&k, (struct power_sink){ no_power, NULL }))
		return 0;
	/* Chunks of 8 bytes alternate between the two ports. */
	for (i = 0; i < size; i += 8)
		fuzz_io_run(data + i, size - i < 8 ? size - i : 8,
			    (i / 8) % 2 ? &i8042_cmd_ops : &i8042_data_ops, &k, 1);
	i8042_destroy(&k);
	return 0;
}
