/*
 * test_initrds.c - several --initrd files: mapped in order (initrd first,
 * then initrds[]), joined for a Linux kernel with each file padded to 4
 * bytes, one file passed as it is, and the limits refused with a message.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/file.h"

static char paths[3][64];

static void make(int i, const char *content)
{
	FILE *f;

	snprintf(paths[i], sizeof(paths[i]), "/tmp/kvmini-initrd-%d-%d", (int)getpid(), i);
	f = fopen(paths[i], "w");
	cr_assert_not_null(f);
	fputs(content, f);
	fclose(f);
}

static void setup(void)
{
	make(0, "first");      /* 5 bytes: 3 of padding */
	make(1, "2nd!");       /* 4: none */
	make(2, "x");
}

static void teardown(void)
{
	int i;

	for (i = 0; i < 3; i++)
		unlink(paths[i]);
}

TestSuite(initrds, .init = setup, .fini = teardown);

Test(initrds, joined_in_order_with_padding)
{
	struct kvmini_config cfg = { .initrd = paths[0], .initrds = { paths[1], paths[2] },
				     .ninitrds = 2 };
	struct kvmini_error err = { .msg = "" };
	struct initrd_set s;
	const uint8_t *d;
	size_t len;

	cr_assert_eq(initrd_set_map(&cfg, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.path[0], paths[0]);
	cr_assert_str_eq(s.path[2], paths[2]);
	cr_assert_eq(initrd_set_join(&s, &d, &len, &err), 0);
	cr_assert_eq(len, 8 + 4 + 4);
	cr_assert_eq(memcmp(d, "first\0\0\0" "2nd!" "x\0\0\0", 16), 0);
	initrd_set_unmap(&s);
}

Test(initrds, one_file_is_not_copied)
{
	struct kvmini_config cfg = { .initrds = { paths[2] }, .ninitrds = 1 };
	struct kvmini_error err = { .msg = "" };
	struct initrd_set s;
	const uint8_t *d;
	size_t len;

	cr_assert_eq(initrd_set_map(&cfg, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(initrd_set_join(&s, &d, &len, &err), 0);
	cr_assert_eq(d, s.f[0].data);
	cr_assert_eq(len, 1);
	cr_assert_null(s.joined);
	initrd_set_unmap(&s);
}

Test(initrds, none)
{
	struct kvmini_config cfg = { 0 };
	struct kvmini_error err = { .msg = "" };
	struct initrd_set s;
	const uint8_t *d = (const uint8_t *)"";
	size_t len = 9;

	cr_assert_eq(initrd_set_map(&cfg, &s, &err), 0);
	cr_assert_eq(initrd_set_join(&s, &d, &len, &err), 0);
	cr_assert_null(d);
	cr_assert_eq(len, 0);
	initrd_set_unmap(&s);
}

Test(initrds, limits_and_missing_files_refused)
{
	struct kvmini_config cfg = { .initrd = paths[0], .ninitrds = KVMINI_MAX_INITRDS };
	struct kvmini_error err = { .msg = "" };
	struct initrd_set s;
	unsigned int i;

	for (i = 0; i < KVMINI_MAX_INITRDS; i++)
		cfg.initrds[i] = paths[1];
	cr_assert_eq(initrd_set_map(&cfg, &s, &err), -EINVAL);
	cr_assert(strstr(err.msg, "at most 16"), "%s", err.msg);
	cr_assert_eq(err.kind, KVMINI_ERR_INPUT);

	cfg = (struct kvmini_config){ .initrd = paths[0], .initrds = { "/nonexistent/rd" },
				      .ninitrds = 1 };
	cr_assert_eq(initrd_set_map(&cfg, &s, &err), -ENOENT);
	cr_assert(strstr(err.msg, "cannot open initrd '/nonexistent/rd'"), "%s", err.msg);
	cr_assert_eq(s.n, 0, "nothing stays mapped");

	cfg = (struct kvmini_config){ .ninitrds = 1 };
	cr_assert_eq(initrd_set_map(&cfg, &s, &err), -EINVAL);
	cr_assert(strstr(err.msg, "NULL"), "%s", err.msg);
}
