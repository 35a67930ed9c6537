/* mc146818.c - see mc146818.h. */
#include "devices/mc146818.h"

#include <string.h>

enum {
	REG_SEC = 0x00, REG_MIN = 0x02, REG_HOUR = 0x04, REG_WDAY = 0x06,
	REG_MDAY = 0x07, REG_MON = 0x08, REG_YEAR = 0x09, REG_A = 0x0a,
	REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d, REG_CENTURY = 0x32,
};

#define REG_A_DEFAULT 0x26  /* 32.768 kHz base, 1024 Hz rate, UIP clear */
#define REG_B_24H     0x02  /* 24-hour mode, BCD */
#define REG_D_VRT     0x80  /* RAM and time valid */

static uint8_t bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t clock_reg(struct mc146818 *rtc, uint8_t reg)
{
	time_t t = rtc->now(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case REG_SEC: return bcd(tm.tm_sec);
	case REG_MIN: return bcd(tm.tm_min);
	case REG_HOUR: return bcd(tm.tm_hour);
	case REG_WDAY: return bcd(tm.tm_wday + 1);
	case REG_MDAY: return bcd(tm.tm_mday);
	case REG_MON: return bcd(tm.tm_mon + 1);
	case REG_YEAR: return bcd(tm.tm_year % 100);
	default: return bcd((tm.tm_year + 1900) / 100);
	}
}

static void rtc_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct mc146818 *rtc = opaque;
	uint8_t v = 0xff, reg;

	memset(data, 0, len);
	pthread_mutex_lock(&rtc->lock);
	reg = rtc->index;
	if (off == 1) {
		if (reg <= REG_YEAR && !(reg & 1 && reg < REG_WDAY))
			v = clock_reg(rtc, reg);
		else if (reg == REG_CENTURY)
			v = clock_reg(rtc, reg);
		else if (reg == REG_C)
			v = 0;  /* no interrupt flags pending */
		else
			v = rtc->ram[reg];
	}
	pthread_mutex_unlock(&rtc->lock);
	*(uint8_t *)data = v;
}

static void rtc_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct mc146818 *rtc = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	pthread_mutex_lock(&rtc->lock);
	if (off == 0)
		rtc->index = v & 0x7f;  /* bit 7 is the NMI mask */
	else if (rtc->index != REG_C && rtc->index != REG_D)
		rtc->ram[rtc->index] = rtc->index == REG_A ? v & 0x7f : v;  /* UIP is read-only */
	pthread_mutex_unlock(&rtc->lock);
}

const struct iodev_ops mc146818_ops = { .read = rtc_read, .write = rtc_write };

int mc146818_init(struct mc146818 *rtc)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->now = time;
	rtc->ram[REG_A] = REG_A_DEFAULT;
	rtc->ram[REG_B] = REG_B_24H;
	rtc->ram[REG_D] = REG_D_VRT;
	return -pthread_mutex_init(&rtc->lock, NULL);
}

void mc146818_destroy(struct mc146818 *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}
