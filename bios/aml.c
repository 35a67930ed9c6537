/* aml.c - see aml.h and the ACPI specification, chapter 20 (AML encoding). */
#include "bios/aml.h"

#include <errno.h>
#include <string.h>

#define ZERO_OP   0x00
#define ONE_OP    0x01
#define BYTE_PFX  0x0a
#define WORD_PFX  0x0b
#define DWORD_PFX 0x0c
#define QWORD_PFX 0x0e
#define NAME_OP   0x08
#define MAX_PKGLEN_BYTES 4

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->cap = cap;
	a->len = 0;
	a->overflow = 0;
}

int aml_ok(const struct aml *a)
{
	return a->overflow ? -ENOSPC : 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = 1;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void le(struct aml *a, uint8_t prefix, uint64_t v, unsigned int n)
{
	uint8_t b[9];
	unsigned int i;

	b[0] = prefix;
	for (i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n + 1);
}

void aml_int(struct aml *a, uint64_t v)
{
	uint8_t op;

	if (v <= 1) {
		op = v ? ONE_OP : ZERO_OP;
		aml_bytes(a, &op, 1);
	} else if (v <= 0xff) {
		le(a, BYTE_PFX, v, 1);
	} else if (v <= 0xffff) {
		le(a, WORD_PFX, v, 2);
	} else if (v <= 0xffffffffu) {
		le(a, DWORD_PFX, v, 4);
	} else {
		le(a, QWORD_PFX, v, 8);
	}
}

void aml_namestring(struct aml *a, const char *name)
{
	uint8_t seg[4];
	size_t n;

	if (*name == '\\') {
		aml_bytes(a, name, 1);
		name++;
	}
	n = strlen(name);
	if (n != 4) {          /* only single segments are needed here */
		a->overflow = 1;
		return;
	}
	memcpy(seg, name, 4);
	aml_bytes(a, seg, 4);
}

void aml_name(struct aml *a, const char *name)
{
	uint8_t op = NAME_OP;

	aml_bytes(a, &op, 1);
	aml_namestring(a, name);
}

size_t aml_open(struct aml *a, const uint8_t *op, size_t oplen)
{
	static const uint8_t room[MAX_PKGLEN_BYTES];
	size_t mark;

	aml_bytes(a, op, oplen);
	mark = a->len;
	aml_bytes(a, room, MAX_PKGLEN_BYTES);  /* shrunk by aml_close() */
	return mark;
}

void aml_close(struct aml *a, size_t mark)
{
	size_t body, total;
	unsigned int n;
	uint8_t enc[MAX_PKGLEN_BYTES];

	if (a->overflow)
		return;
	body = a->len - mark - MAX_PKGLEN_BYTES;
	/* The package length counts its own bytes. */
	for (n = 1; n <= MAX_PKGLEN_BYTES; n++) {
		total = body + n;
		if ((n == 1 && total < 0x40) || (n > 1 && total < (1ULL << (4 + 8 * (n - 1)))))
			break;
	}
	if (n > MAX_PKGLEN_BYTES) {
		a->overflow = 1;
		return;
	}
	if (n == 1) {
		enc[0] = (uint8_t)total;
	} else {
		unsigned int i;

		enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		for (i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->buf + mark + n, a->buf + mark + MAX_PKGLEN_BYTES, body);
	memcpy(a->buf + mark, enc, n);
	a->len = mark + n + body;
}

uint32_t aml_eisaid(const char *id)
{
	uint32_t v;
	unsigned int i;

	/* Three letters, five bits each (A=1), then four hex digits; stored big-endian. */
	v = (uint32_t)((id[0] - '@') & 0x1f) << 26 | (uint32_t)((id[1] - '@') & 0x1f) << 21 |
	    (uint32_t)((id[2] - '@') & 0x1f) << 16;
	for (i = 3; i < 7; i++) {
		char c = id[i];
		uint32_t d = (uint32_t)(c >= 'A' ? c - 'A' + 10 : c - '0') & 0xf;

		v |= d << (4 * (6 - i));
	}
	return __builtin_bswap32(v);
}
