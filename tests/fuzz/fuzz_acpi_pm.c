/* fuzz_acpi_pm.c - the ACPI power-management block (PM1 event, control, reset). */
#include "bios/layout.h"
#include "devices/acpi_pm.h"
#include "fuzz_io.h"

static void no_power(void *ctx, enum power_event ev, const char *why)
{
	(void)ctx, (void)ev, (void)why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acpi_pm pm;

	if (acpi_pm_init(&pm, (struct power_sink){ no_power, NULL }))
		return 0;
	fuzz_io_run(data, size, &acpi_pm_ops, &pm, PM_PORT_COUNT);
	acpi_pm_destroy(&pm);
	return 0;
}
