/*
 * file.h - map an input file (kernel, initrd) read-only, with errors that
 * name the file and what it was for.
 */
#ifndef KVMINI_FILE_H
#define KVMINI_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

struct mapped_file {
	const uint8_t *data;
	size_t len;
};

/*
 * file_map - map path (what: "kernel", "initrd", for messages). Empty files
 * and non-regular files are refused. Returns 0 or a negative errno.
 */
int file_map(const char *path, const char *what, struct mapped_file *f,
	     struct kvmini_error *err) MUST_CHECK;

/* file_unmap - undo file_map(); a zeroed struct is allowed. */
void file_unmap(struct mapped_file *f);

#endif
