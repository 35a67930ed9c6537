/*
 * acpi.h - the ACPI tables kvmini gives a guest: RSDP, RSDT, XSDT, FADT,
 * FACS, DSDT (with the \_S5 sleep state, so that "poweroff" works) and MADT
 * (one local APIC per vCPU, the I/O APIC, the SCI override).
 */
#ifndef KVMINI_ACPI_H
#define KVMINI_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* Common header of every system description table. */
struct acpi_sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;      /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;      /* 2: ACPI 2.0+ with XSDT */
	uint32_t rsdt_addr;
	uint32_t length;
	uint64_t xsdt_addr;
	uint8_t ext_checksum;  /* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/*
 * acpi_build - lay the tables out in buf, which the guest sees at base.
 * The RSDP is at offset 0. Returns the bytes used, or a negative errno with
 * err filled (buffer too small, ncpus out of range).
 */
int acpi_build(uint8_t *buf, size_t len, gpa_t base, unsigned int ncpus,
	       struct kvmini_error *err) MUST_CHECK;

/* acpi_checksum - the byte that makes len bytes at p sum to zero. */
uint8_t acpi_checksum(const void *p, size_t len);

/* acpi_sum - the 8-bit sum of len bytes (0 for a valid table). */
uint8_t acpi_sum(const void *p, size_t len);

#endif
