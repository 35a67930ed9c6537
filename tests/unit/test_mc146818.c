/*
 * test_mc146818.c - the CMOS RTC: BCD UTC time from the clock source,
 * status registers A and D, the NMI bit of the index port, CMOS RAM.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "devices/mc146818.h"

/* 2024-03-09 17:45:38 UTC, a Saturday. */
#define FIXED_TIME ((time_t)1710006338)

static struct mc146818 rtc;

static time_t fixed_now(time_t *t)
{
	if (t)
		*t = FIXED_TIME;
	return FIXED_TIME;
}

static void setup(void)
{
	cr_assert_eq(mc146818_init(&rtc), 0);
	rtc.now = fixed_now;
}

static void teardown(void)
{
	mc146818_destroy(&rtc);
}

TestSuite(rtc, .init = setup, .fini = teardown);

static uint8_t cmos(uint8_t index)
{
	uint8_t v = 0xaa;

	mc146818_ops.write(&rtc, 0, &index, 1);
	mc146818_ops.read(&rtc, 1, &v, 1);
	return v;
}

static void cmos_w(uint8_t index, uint8_t v)
{
	mc146818_ops.write(&rtc, 0, &index, 1);
	mc146818_ops.write(&rtc, 1, &v, 1);
}

Test(rtc, fixed_time_is_what_we_think)
{
	struct tm tm;
	time_t t = FIXED_TIME;

	gmtime_r(&t, &tm);
	cr_assert_eq(tm.tm_year, 124);
	cr_assert_eq(tm.tm_mon, 2);
	cr_assert_eq(tm.tm_mday, 9);
	cr_assert_eq(tm.tm_hour, 17);
	cr_assert_eq(tm.tm_min, 45);
	cr_assert_eq(tm.tm_sec, 38);
	cr_assert_eq(tm.tm_wday, 6);
}

Test(rtc, clock_registers_in_bcd)
{
	cr_assert_eq(cmos(0x00), 0x38, "seconds");
	cr_assert_eq(cmos(0x02), 0x45, "minutes");
	cr_assert_eq(cmos(0x04), 0x17, "hours (24h)");
	cr_assert_eq(cmos(0x06), 0x07, "weekday, Sunday = 1");
	cr_assert_eq(cmos(0x07), 0x09, "day of month");
	cr_assert_eq(cmos(0x08), 0x03, "month");
	cr_assert_eq(cmos(0x09), 0x24, "year");
	cr_assert_eq(cmos(0x32), 0x20, "century");
}

Test(rtc, register_a_uip_clear)
{
	cr_assert_eq(cmos(0x0a) & 0x80, 0);
}

Test(rtc, register_a_uip_is_read_only)
{
	/* A guest rewriting the divider/rate bits must not be able to make the
	 * update-in-progress flag stick: Linux polls it before reading time. */
	cmos_w(0x0a, 0xa6);
	cr_assert_eq(cmos(0x0a) & 0x80, 0);
	cr_assert_eq(cmos(0x0a) & 0x7f, 0x26, "the other bits are kept");
}

Test(rtc, register_b_24h_bcd)
{
	uint8_t b = cmos(0x0b);

	cr_assert_eq(b & 0x02, 0x02, "24-hour mode");
	cr_assert_eq(b & 0x04, 0, "BCD, not binary");
}

Test(rtc, register_d_valid)
{
	cr_assert_eq(cmos(0x0d) & 0x80, 0x80);
	cmos_w(0x0d, 0x00);
	cr_assert_eq(cmos(0x0d) & 0x80, 0x80, "register D is read-only");
}

Test(rtc, nmi_bit_ignored)
{
	cr_assert_eq(cmos(0x80 | 0x00), 0x38);
	cr_assert_eq(cmos(0x80 | 0x04), 0x17);
	cr_assert_eq(cmos(0x80 | 0x0d) & 0x80, 0x80);
	cmos_w(0x80 | 0x40, 0x99);
	cr_assert_eq(cmos(0x40), 0x99);
}

Test(rtc, cmos_ram_round_trip)
{
	unsigned int i;

	for (i = 0x0e; i < 0x80; i++) {
		if (i == 0x32)
			continue;
		cmos_w((uint8_t)i, (uint8_t)(i ^ 0x5a));
	}
	for (i = 0x0e; i < 0x80; i++) {
		if (i == 0x32)
			continue;
		cr_assert_eq(cmos((uint8_t)i), (uint8_t)(i ^ 0x5a), "CMOS byte 0x%x", i);
	}
}

Test(rtc, clock_follows_source)
{
	cr_assert_eq(cmos(0x00), 0x38);
	rtc.now = time;
	{
		time_t t = time(NULL);
		struct tm tm;
		uint8_t yr = cmos(0x09);

		gmtime_r(&t, &tm);
		cr_assert_eq(yr, ((tm.tm_year % 100) / 10) << 4 | (tm.tm_year % 10));
	}
}
