/*
 * test_acpi_pm.c - the ACPI PM1 block: SCI_EN, S5 poweroff through
 * SLP_TYP/SLP_EN, the reset register, write-1-to-clear status.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "fake_power.h"
#include "devices/acpi_pm.h"
#include "bios/layout.h"

#define OFF_STS   0
#define OFF_EN    2
#define OFF_CNT   4
#define OFF_RESET 8
#define SLP_EN    (1u << 13)
#define SLP_TYP(n) ((unsigned int)(n) << 10)

static struct acpi_pm pm;
static struct fake_power pw;

static void setup(void)
{
	memset(&pw, 0, sizeof(pw));
	cr_assert_eq(acpi_pm_init(&pm, fake_power_sink(&pw)), 0);
}

static void teardown(void)
{
	acpi_pm_destroy(&pm);
}

TestSuite(acpi_pm, .init = setup, .fini = teardown);

static uint16_t rd16(uint64_t off)
{
	uint16_t v = 0xaaaa;

	acpi_pm_ops.read(&pm, off, &v, 2);
	return v;
}

static void wr16(uint64_t off, uint16_t v)
{
	acpi_pm_ops.write(&pm, off, &v, 2);
}

static void wr8(uint64_t off, uint8_t v)
{
	acpi_pm_ops.write(&pm, off, &v, 1);
}

Test(acpi_pm, layout_matches_fadt_ports)
{
	cr_assert_eq(PM1A_EVT_PORT - PM_BASE_PORT, OFF_STS);
	cr_assert_eq(PM1A_CNT_PORT - PM_BASE_PORT, OFF_CNT);
	cr_assert_eq(PM_RESET_PORT - PM_BASE_PORT, OFF_RESET);
}

Test(acpi_pm, sci_en_reads_set)
{
	cr_assert_eq(rd16(OFF_CNT) & 1, 1);
	wr16(OFF_CNT, 0);
	cr_assert_eq(rd16(OFF_CNT) & 1, 1, "SCI_EN is always set");
	cr_assert_eq(pw.calls, 0);
}

Test(acpi_pm, s5_powers_off)
{
	wr16(OFF_CNT, (uint16_t)(SLP_TYP(5) | SLP_EN));
	cr_assert_eq(pw.calls, 1);
	cr_assert_eq(pw.last, POWER_OFF);
	cr_assert_eq(rd16(OFF_CNT) & SLP_EN, 0, "SLP_EN reads as zero");
}

Test(acpi_pm, other_sleep_types_do_not_power_off)
{
	unsigned int t;

	for (t = 0; t < 8; t++) {
		if (t == 5)
			continue;
		wr16(OFF_CNT, (uint16_t)(SLP_TYP(t) | SLP_EN));
	}
	cr_assert_eq(pw.calls, 0);
	/* SLP_TYP 5 without SLP_EN is only a preparation. */
	wr16(OFF_CNT, (uint16_t)SLP_TYP(5));
	cr_assert_eq(pw.calls, 0);
	cr_assert_eq(rd16(OFF_CNT) & SLP_TYP(7), SLP_TYP(5));
}

Test(acpi_pm, bytewise_control_write)
{
	uint16_t v = (uint16_t)(SLP_TYP(5) | SLP_EN | 1);

	wr8(OFF_CNT, (uint8_t)v);
	cr_assert_eq(pw.calls, 0);
	wr8(OFF_CNT + 1, (uint8_t)(v >> 8));
	cr_assert_eq(pw.calls, 1);
	cr_assert_eq(pw.last, POWER_OFF);
}

Test(acpi_pm, bytewise_control_keeps_other_byte)
{
	wr8(OFF_CNT + 1, (uint8_t)(SLP_TYP(3) >> 8));
	wr8(OFF_CNT, 0x01);
	cr_assert_eq(rd16(OFF_CNT), SLP_TYP(3) | 1);
}

Test(acpi_pm, reset_register)
{
	wr8(OFF_RESET, 0x02);
	wr8(OFF_RESET, 0x00);
	wr8(OFF_RESET, 0xff);
	cr_assert_eq(pw.calls, 0);
	wr8(OFF_RESET, 0x01);
	cr_assert_eq(pw.calls, 1);
	cr_assert_eq(pw.last, POWER_RESET);
}

Test(acpi_pm, status_write_one_to_clear)
{
	pm.pm1_sts = 0x8121;
	cr_assert_eq(rd16(OFF_STS), 0x8121);
	wr16(OFF_STS, 0x0001);
	cr_assert_eq(rd16(OFF_STS), 0x8120);
	wr16(OFF_STS, 0x0000);
	cr_assert_eq(rd16(OFF_STS), 0x8120, "writing 0 changes nothing");
	wr8(OFF_STS + 1, 0x80);
	cr_assert_eq(rd16(OFF_STS), 0x0120);
	wr16(OFF_STS, 0xffff);
	cr_assert_eq(rd16(OFF_STS), 0);
}

Test(acpi_pm, enable_register_round_trip)
{
	wr16(OFF_EN, 0x0121);
	cr_assert_eq(rd16(OFF_EN), 0x0121);
	cr_assert_eq(rd16(OFF_STS), 0);
}

Test(acpi_pm, dword_read_of_event_block)
{
	uint32_t v = 0;

	pm.pm1_sts = 0x0001;
	wr16(OFF_EN, 0x0100);
	acpi_pm_ops.read(&pm, OFF_STS, &v, 4);
	cr_assert_eq(v, 0x01000001);
}
