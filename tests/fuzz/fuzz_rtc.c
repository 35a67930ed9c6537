/* fuzz_rtc.c - the CMOS RTC's index and data ports. */
#include "devices/mc146818.h"
#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc146818 rtc;

	if (mc146818_init(&rtc))
		return 0;
	fuzz_io_run(data, size, &mc146818_ops, &rtc, 2);
	mc146818_destroy(&rtc);
	return 0;
}
