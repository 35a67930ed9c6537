/*
 * file_check.h - helpers for tests that check what a device wrote to a
 * disk image: read bytes back from the file, test a run of equal bytes.
 */
#ifndef KVMINI_TEST_FILE_CHECK_H
#define KVMINI_TEST_FILE_CHECK_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

/* file_read_at - len bytes of the file at path, from offset off, into buf. */
static inline void file_read_at(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* all_bytes - whether the n bytes at p all equal v. */
static inline int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

#endif
