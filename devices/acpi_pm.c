/* acpi_pm.c - see acpi_pm.h. */
#include "devices/acpi_pm.h"

#include <string.h>

#include "bios/layout.h"

#define PM1_SCI_EN      0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  0x7
#define PM1_SLP_EN      0x2000

enum { OFF_STS = 0, OFF_EN = 2, OFF_CNT = 4, OFF_RESET = 8 };

/* Read/modify one byte of a 16-bit register. */
static uint8_t byte_of(uint16_t reg, uint64_t off)
{
	return (uint8_t)(reg >> (8 * (off & 1)));
}

static void pm_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct acpi_pm *pm = opaque;
	uint8_t *d = data;
	unsigned int i;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		uint64_t o = off + i;

		if (o < OFF_EN)
			d[i] = byte_of(pm->pm1_sts, o);
		else if (o < OFF_CNT)
			d[i] = byte_of(pm->pm1_en, o);
		else if (o < OFF_CNT + 2)
			d[i] = byte_of(pm->pm1_cnt, o);
		else
			d[i] = 0;
	}
	pthread_mutex_unlock(&pm->lock);
}

static void pm_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct acpi_pm *pm = opaque;
	const uint8_t *d = data;
	enum power_event ev = 0;
	unsigned int i;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		uint64_t o = off + i;
		uint16_t v = (uint16_t)(d[i] << (8 * (o & 1)));

		if (o < OFF_EN) {
			pm->pm1_sts &= (uint16_t)~v;  /* write 1 to clear */
		} else if (o < OFF_CNT) {
			pm->pm1_en = (uint16_t)((pm->pm1_en & ~(0xff << (8 * (o & 1)))) | v);
		} else if (o < OFF_CNT + 2) {
			pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & ~(0xff << (8 * (o & 1)))) | v);
			pm->pm1_cnt |= PM1_SCI_EN;
		} else if (o == OFF_RESET && d[i] == PM_RESET_VALUE) {
			ev = POWER_RESET;
		}
	}
	if ((pm->pm1_cnt & PM1_SLP_EN) && off + len > OFF_CNT + 1) {
		unsigned int typ = (pm->pm1_cnt >> PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK;

		pm->pm1_cnt &= (uint16_t)~PM1_SLP_EN;  /* SLP_EN reads as zero */
		if (typ == PM_SLP_TYP_S5)
			ev = POWER_OFF;
	}
	pthread_mutex_unlock(&pm->lock);
	if (ev == POWER_OFF)
		power_request(&pm->power, ev, "ACPI S5 (poweroff)");
	else if (ev == POWER_RESET)
		power_request(&pm->power, ev, "ACPI reset register");
}

const struct iodev_ops acpi_pm_ops = { .read = pm_read, .write = pm_write };

int acpi_pm_init(struct acpi_pm *pm, struct power_sink power)
{
	memset(pm, 0, sizeof(*pm));
	pm->power = power;
	pm->pm1_cnt = PM1_SCI_EN;
	return -pthread_mutex_init(&pm->lock, NULL);
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}
