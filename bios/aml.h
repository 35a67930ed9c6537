/*
 * aml.h - a small writer for the ACPI Machine Language the DSDT needs:
 * names, integers, packages, buffers, scopes and devices, with package
 * lengths filled in when a scope is closed. Errors (overflow) are sticky
 * and reported once by aml_ok().
 */
#ifndef KVMINI_AML_H
#define KVMINI_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len, cap;
	int overflow;
};

/* aml_init - write into buf (cap bytes). */
void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* aml_ok - 0 if everything fitted, -ENOSPC otherwise. */
int aml_ok(const struct aml *a);

/* aml_bytes - raw bytes. */
void aml_bytes(struct aml *a, const void *p, size_t n);

/* aml_int - an integer with the smallest encoding (Zero, One, Byte..QWord). */
void aml_int(struct aml *a, uint64_t v);

/* aml_nameseg - a name path: "_S5_", "\\_SB_", "PCI0" (4-character segments). */
void aml_namestring(struct aml *a, const char *name);

/* aml_name - Name (NAME, ...): the value follows (aml_int, aml_package...). */
void aml_name(struct aml *a, const char *name);

/*
 * aml_open - start an object with a package length: op (1 or 2 bytes, e.g.
 * 0x10 Scope, 0x5b 0x82 Device, 0x12 Package, 0x11 Buffer). Returns a mark
 * for aml_close().
 */
size_t aml_open(struct aml *a, const uint8_t *op, size_t oplen);

/* aml_close - fill in the package length of the object opened at mark. */
void aml_close(struct aml *a, size_t mark);

/* aml_eisaid - the 32-bit compressed EISA ID of "PNP0A03" and the like. */
uint32_t aml_eisaid(const char *id);

#endif
