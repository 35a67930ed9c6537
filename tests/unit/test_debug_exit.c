/*
 * test_debug_exit.c - isa-debug-exit: the status a write asks for, access
 * widths, reads, and a device without a sink.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "devices/debug_exit.h"
#include "kvmini_guest_abi.h"

struct seen {
	int calls;
	uint64_t status;
	uint32_t value;
};

static void record(void *ctx, uint64_t status, uint32_t value)
{
	struct seen *s = ctx;

	s->calls++;
	s->status = status;
	s->value = value;
}

static void write_val(struct debug_exit *d, uint64_t off, uint32_t v, unsigned int len)
{
	uint8_t b[4];

	memcpy(b, &v, sizeof(b));
	debug_exit_ops.write(d, off, b, len);
}

Test(debug_exit, status_is_value_shifted_with_low_bit)
{
	struct seen s = { 0 };
	struct debug_exit d;

	debug_exit_init(&d, (struct debug_exit_sink){ record, &s });
	write_val(&d, 0, 0, 4);
	cr_assert_eq(s.calls, 1);
	cr_assert_eq(s.status, 1, "write of 0 -> status 1");
	write_val(&d, 0, 1, 4);
	cr_assert_eq(s.status, 3, "write of 1 -> status 3");
	write_val(&d, 0, 0x12345678, 4);
	cr_assert_eq(s.value, 0x12345678);
	cr_assert_eq(s.status, 0x2468acf1ULL);
	write_val(&d, 0, 0xffffffffu, 4);
	cr_assert_eq(s.status, 0x1ffffffffULL, "no truncation to 32 bits");
	cr_assert_eq(d.writes, 4);
}

Test(debug_exit, narrow_writes_and_offsets)
{
	struct seen s = { 0 };
	struct debug_exit d;

	debug_exit_init(&d, (struct debug_exit_sink){ record, &s });
	write_val(&d, 0, 0x0102037f, 1);
	cr_assert_eq(s.value, 0x7f, "a byte write carries one byte");
	cr_assert_eq(s.status, 0xff);
	write_val(&d, 2, 0xbeef, 2);
	cr_assert_eq(s.value, 0xbeef, "any offset in the range counts");
	cr_assert_eq(s.calls, 2);
}

Test(debug_exit, reads_all_ones_and_no_sink_is_safe)
{
	struct debug_exit d;
	uint8_t b[4] = { 0 };

	debug_exit_init(&d, (struct debug_exit_sink){ NULL, NULL });
	debug_exit_ops.read(&d, 0, b, 4);
	cr_assert(b[0] == 0xff && b[1] == 0xff && b[2] == 0xff && b[3] == 0xff);
	write_val(&d, 0, 5, 4);   /* nowhere to go: must not crash */
	cr_assert_eq(d.writes, 1);
	cr_assert_eq(KVMINI_DEBUG_EXIT_PORT, 0xf4);
	cr_assert_eq(KVMINI_DEBUG_EXIT_SIZE, 4);
}
