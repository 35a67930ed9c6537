/*
 * test_i8042.c - the keyboard controller's reset paths, self test, status
 * register and controller configuration byte.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "fake_power.h"
#include "devices/i8042.h"

static struct i8042 kbd;
static struct fake_power pw;

static void setup(void)
{
	memset(&pw, 0, sizeof(pw));
	cr_assert_eq(i8042_init(&kbd, fake_power_sink(&pw)), 0);
}

static void teardown(void)
{
	i8042_destroy(&kbd);
}

TestSuite(i8042, .init = setup, .fini = teardown);

static void cmd(uint8_t v)
{
	i8042_cmd_ops.write(&kbd, 0, &v, 1);
}

static void data_w(uint8_t v)
{
	i8042_data_ops.write(&kbd, 0, &v, 1);
}

static uint8_t status(void)
{
	uint8_t v = 0xaa;

	i8042_cmd_ops.read(&kbd, 0, &v, 1);
	return v;
}

static uint8_t data_r(void)
{
	uint8_t v = 0xaa;

	i8042_data_ops.read(&kbd, 0, &v, 1);
	return v;
}

Test(i8042, pulse_reset_command)
{
	cmd(0xfe);
	cr_assert_eq(pw.calls, 1);
	cr_assert_eq(pw.last, POWER_RESET);
}

Test(i8042, output_port_reset)
{
	cmd(0xd1);
	cr_assert_eq(pw.calls, 0, "0xd1 alone must not reset");
	data_w(0xfe);  /* bit 0 clear: CPU reset asserted */
	cr_assert_eq(pw.calls, 1);
	cr_assert_eq(pw.last, POWER_RESET);
}

Test(i8042, output_port_without_reset)
{
	cmd(0xd1);
	data_w(0x01);
	cr_assert_eq(pw.calls, 0);
	/* The pending command is consumed: a later data byte is not an output
	 * port write. */
	data_w(0x00);
	cr_assert_eq(pw.calls, 0);
}

Test(i8042, data_without_command_does_nothing)
{
	data_w(0x00);
	cr_assert_eq(pw.calls, 0);
	cr_assert_eq(status() & 0x01, 0);
}

Test(i8042, self_test)
{
	cr_assert_eq(status() & 0x01, 0, "OBF clear after reset");
	cr_assert_eq(status() & 0x04, 0x04, "system flag set");
	cmd(0xaa);
	cr_assert_eq(status() & 0x01, 0x01);
	cr_assert_eq(data_r(), 0x55);
	cr_assert_eq(status() & 0x01, 0, "reading data clears OBF");
	cr_assert_eq(pw.calls, 0);
}

Test(i8042, config_byte_round_trip)
{
	cmd(0x60);
	data_w(0x47);
	cr_assert_eq(status() & 0x01, 0);
	cmd(0x20);
	cr_assert_eq(status() & 0x01, 0x01);
	cr_assert_eq(data_r(), 0x47);
	cr_assert_eq(status() & 0x01, 0);
	cr_assert_eq(pw.calls, 0, "a config byte with bit 0 clear is not a reset");
	cmd(0x60);
	data_w(0x00);
	cr_assert_eq(pw.calls, 0);
	cmd(0x20);
	cr_assert_eq(data_r(), 0x00);
}

Test(i8042, no_power_sink)
{
	struct i8042 k;
	uint8_t v = 0xfe;

	cr_assert_eq(i8042_init(&k, (struct power_sink){ 0 }), 0);
	i8042_cmd_ops.write(&k, 0, &v, 1);  /* must not crash */
	i8042_destroy(&k);
}
