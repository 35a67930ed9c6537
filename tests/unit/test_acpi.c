/*
 * test_acpi.c - the ACPI tables: RSDP checksums, XSDT/RSDT walk, every
 * table's checksum, MADT contents, FADT PM ports and DSDT \_S5, and the
 * failure paths.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bios/acpi.h"
#include "bios/layout.h"

#define BASE   0xe0000ULL
#define BUFLEN (64 * 1024)

#define FADT_DSDT_OFF       40
#define FADT_PM1A_EVT_OFF   56
#define FADT_PM1A_CNT_OFF   64
#define FADT_SCI_INT_OFF    46
#define MADT_ENTRIES_OFF    44

static uint8_t *buf;

static void setup(void)
{
	buf = malloc(BUFLEN);
	cr_assert_not_null(buf);
	memset(buf, 0xcc, BUFLEN);
}

static void teardown(void)
{
	free(buf);
}

TestSuite(acpi, .init = setup, .fini = teardown);

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Translate a table address into the buffer, checking the whole table
 * (length from its header) lies inside what acpi_build used. */
static const uint8_t *table_at(uint64_t gpa, int used, const char *sig)
{
	const uint8_t *t;
	uint32_t len;

	cr_assert_geq(gpa, BASE, "%s address below base", sig);
	cr_assert_lt(gpa - BASE + 36, (uint64_t)used + 1, "%s outside tables", sig);
	t = buf + (gpa - BASE);
	len = le32(t + 4);
	cr_assert_geq(len, 36, "%s too short", sig);
	cr_assert_leq(gpa - BASE + len, (uint64_t)used, "%s runs past the end", sig);
	cr_assert_eq(memcmp(t, sig, 4), 0, "expected %s, found %.4s", sig, (const char *)t);
	cr_assert_eq(acpi_sum(t, len), 0, "%s checksum", sig);
	return t;
}

static int build(unsigned int ncpus)
{
	struct kvmini_error err = { .msg = "" };
	int used = acpi_build(buf, BUFLEN, BASE, ncpus, &err);

	cr_assert_gt(used, 0, "acpi_build(%u): %s", ncpus, err.msg);
	cr_assert_leq(used, BUFLEN);
	return used;
}

static void check_tables(unsigned int ncpus)
{
	int used = build(ncpus);
	const struct acpi_rsdp *rsdp = (const struct acpi_rsdp *)buf;
	const uint8_t *xsdt, *rsdt, *fadt = NULL, *madt = NULL, *dsdt, *p, *end;
	uint8_t seen[256] = { 0 };
	unsigned int i, nx, lapics = 0, ioapics = 0;

	cr_assert_eq(memcmp(rsdp->signature, "RSD PTR ", 8), 0);
	cr_assert_eq(rsdp->revision, 2);
	cr_assert_eq(rsdp->length, 36);
	cr_assert_eq(acpi_sum(rsdp, 20), 0, "RSDP 20-byte checksum");
	cr_assert_eq(acpi_sum(rsdp, 36), 0, "RSDP extended checksum");

	xsdt = table_at(rsdp->xsdt_addr, used, "XSDT");
	nx = (le32(xsdt + 4) - 36) / 8;
	cr_assert_eq(nx, 2);
	for (i = 0; i < nx; i++) {
		uint64_t a = le64(xsdt + 36 + 8 * i);
		const uint8_t *t = buf + (a - BASE);

		cr_assert_lt(a - BASE, (uint64_t)used);
		if (memcmp(t, "FACP", 4) == 0)
			fadt = table_at(a, used, "FACP");
		else if (memcmp(t, "APIC", 4) == 0)
			madt = table_at(a, used, "APIC");
		else
			cr_assert_fail("unexpected table %.4s in the XSDT", (const char *)t);
	}
	cr_assert_not_null(fadt, "XSDT has no FADT");
	cr_assert_not_null(madt, "XSDT has no MADT");

	/* The RSDT lists the same tables with 32-bit pointers. */
	rsdt = table_at(rsdp->rsdt_addr, used, "RSDT");
	cr_assert_eq((le32(rsdt + 4) - 36) / 4, nx);
	for (i = 0; i < nx; i++)
		cr_assert_eq(le32(rsdt + 36 + 4 * i), le64(xsdt + 36 + 8 * i));

	/* FADT: PM block ports, SCI, DSDT with \_S5. */
	cr_assert_eq(le32(fadt + FADT_PM1A_CNT_OFF), PM1A_CNT_PORT);
	cr_assert_eq(le32(fadt + FADT_PM1A_EVT_OFF), PM1A_EVT_PORT);
	cr_assert_eq(fadt[FADT_SCI_INT_OFF] | fadt[FADT_SCI_INT_OFF + 1] << 8, ACPI_SCI_IRQ);
	dsdt = table_at(le32(fadt + FADT_DSDT_OFF), used, "DSDT");
	cr_assert_not_null(memmem(dsdt + 36, le32(dsdt + 4) - 36, "_S5_", 4),
			   "DSDT AML has no _S5_");

	/* MADT: LAPIC address, N enabled local APICs, one I/O APIC. */
	cr_assert_eq(le32(madt + 36), LAPIC_ADDR);
	p = madt + MADT_ENTRIES_OFF;
	end = madt + le32(madt + 4);
	while (p < end) {
		cr_assert_geq(p[1], 2, "MADT entry with length %u", p[1]);
		cr_assert_leq(p + p[1], end, "MADT entry runs past the table");
		switch (p[0]) {
		case 0:
			cr_assert_eq(p[1], 8);
			cr_assert_eq(le32(p + 4) & 1, 1, "LAPIC %u not enabled", p[3]);
			cr_assert_eq(seen[p[3]], 0, "APIC ID %u twice", p[3]);
			seen[p[3]] = 1;
			lapics++;
			break;
		case 1:
			cr_assert_eq(p[1], 12);
			cr_assert_eq(le32(p + 4), IOAPIC_ADDR);
			cr_assert_eq(le32(p + 8), 0, "I/O APIC GSI base");
			ioapics++;
			break;
		default:
			break;
		}
		p += p[1];
	}
	cr_assert_eq(p, end);
	cr_assert_eq(lapics, ncpus);
	cr_assert_eq(ioapics, 1);
	/* The I/O APIC ID must not clash with a local APIC ID. */
	{
		const uint8_t *q = madt + MADT_ENTRIES_OFF;

		while (q < end) {
			if (q[0] == 1)
				cr_assert_eq(seen[q[2]], 0, "I/O APIC ID %u is a LAPIC ID", q[2]);
			q += q[1];
		}
	}
}

Test(acpi, one_cpu)
{
	check_tables(1);
}

Test(acpi, four_cpus)
{
	check_tables(4);
}

Test(acpi, sixty_four_cpus)
{
	check_tables(64);
}

Test(acpi, max_cpus)
{
	check_tables(254);
}

Test(acpi, ncpus_out_of_range)
{
	struct kvmini_error err = { .msg = "" };

	cr_assert_eq(acpi_build(buf, BUFLEN, BASE, 0, &err), -EINVAL);
	cr_assert_neq(err.msg[0], 0);
	cr_assert_eq(acpi_build(buf, BUFLEN, BASE, 255, &err), -EINVAL);
	cr_assert_eq(acpi_build(buf, BUFLEN, BASE, 255, NULL), -EINVAL);
}

Test(acpi, buffer_too_small)
{
	struct kvmini_error err = { .msg = "" };
	int used = build(4), r;
	size_t len;

	cr_assert_eq(acpi_build(buf, 64, BASE, 4, &err), -ENOSPC);
	cr_assert_neq(err.msg[0], 0);
	/* Every length short of what the tables need fails cleanly. */
	for (len = 0; len < (size_t)used; len += 7) {
		r = acpi_build(buf, len, BASE, 4, NULL);
		cr_assert_eq(r, -ENOSPC, "len %zu gave %d", len, r);
	}
	cr_assert_eq(acpi_build(buf, (size_t)used, BASE, 4, NULL), used);
}

Test(acpi, does_not_write_past_len)
{
	int used = build(8);

	memset(buf, 0xcc, BUFLEN);
	cr_assert_eq(acpi_build(buf, (size_t)used, BASE, 8, NULL), used);
	for (size_t i = (size_t)used; i < BUFLEN; i++)
		cr_assert_eq(buf[i], 0xcc, "byte %zu written", i);
}

Test(acpi, checksum_helpers)
{
	uint8_t b[5] = { 1, 2, 3, 250, 0 };

	cr_assert_eq(acpi_sum(b, 4), 0);
	cr_assert_eq(acpi_sum(b, 3), 6);
	b[4] = acpi_checksum(b, 3);
	cr_assert_eq(b[4], 250);
}
