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

/* Every --initrd of a configuration, mapped, in order. */
struct initrd_set {
	struct mapped_file f[KVMINI_MAX_INITRDS];
	const char *path[KVMINI_MAX_INITRDS];
	unsigned int n;
	uint8_t *joined;         /* initrd_set_join()'s buffer, or NULL */
	size_t joined_len;
};

/*
 * initrd_set_map - map cfg->initrd (if set) and then cfg->initrds[], at most
 * KVMINI_MAX_INITRDS in all. Returns 0 or a negative errno with err filled
 * (what was wrong with which file); on failure nothing stays mapped.
 */
int initrd_set_map(const struct kvmini_config *cfg, struct initrd_set *s,
		   struct kvmini_error *err) MUST_CHECK;

/*
 * initrd_set_join - the set as one initramfs for a Linux kernel: the files
 * one after the other, each padded with zeros to 4 bytes (Linux unpacks
 * concatenated cpio archives, compressed or not, and skips the padding).
 * One file is returned as it is mapped. An empty set gives NULL, 0.
 */
int initrd_set_join(struct initrd_set *s, const uint8_t **data, size_t *len,
		    struct kvmini_error *err) MUST_CHECK;

/* initrd_set_unmap - unmap every file and free the joined buffer. */
void initrd_set_unmap(struct initrd_set *s);

#endif
