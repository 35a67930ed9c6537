/*
 * acpi_pm.h - the ACPI fixed-hardware power-management block the FADT
 * points at: PM1a event (status/enable) and control registers, and the
 * reset register. Writing SLP_EN with SLP_TYP 5 (\_S5) powers off; writing
 * the reset value resets. Offsets are relative to PM_BASE_PORT.
 */
#ifndef KVMINI_ACPI_PM_H
#define KVMINI_ACPI_PM_H

#include <pthread.h>
#include <stdint.h>

#include "devices/iobus.h"
#include "devices/power.h"

struct acpi_pm {
	pthread_mutex_t lock;
	struct power_sink power;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
};

/* Handlers for the whole block (PM_PORT_COUNT ports). */
extern const struct iodev_ops acpi_pm_ops;

/* acpi_pm_init - reset state (SCI_EN set: always in ACPI mode). */
int acpi_pm_init(struct acpi_pm *pm, struct power_sink power);

/* acpi_pm_destroy - release the lock. */
void acpi_pm_destroy(struct acpi_pm *pm);

#endif
