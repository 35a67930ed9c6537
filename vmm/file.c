/* file.c - see file.h. */
#include "vmm/file.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int file_map(const char *path, const char *what, struct mapped_file *f,
	     struct kvmini_error *err)
{
	struct stat st;
	void *p;
	int fd, e;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_err(err, errno, "cannot open %s '%s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return set_err(err, EINVAL, "%s '%s' is not a regular file", what, path);
	}
	if (st.st_size == 0) {
		close(fd);
		return set_err(err, EINVAL, "%s '%s' is empty", what, path);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED)
		return set_err(err, e, "cannot map %s '%s': %s", what, path, strerror(e));
	f->data = p;
	f->len = (size_t)st.st_size;
	return 0;
}

void file_unmap(struct mapped_file *f)
{
	if (f->data)
		munmap((void *)f->data, f->len);
	memset(f, 0, sizeof(*f));
}

int initrd_set_map(const struct kvmini_config *cfg, struct initrd_set *s,
		   struct kvmini_error *err)
{
	unsigned int i, total = (cfg->initrd ? 1 : 0) + cfg->ninitrds;
	int r;

	memset(s, 0, sizeof(*s));
	if (cfg->ninitrds > KVMINI_MAX_INITRDS || total > KVMINI_MAX_INITRDS)
		return set_err(err, EINVAL, "%u initrds given; at most %d", total,
			       KVMINI_MAX_INITRDS);
	if (cfg->initrd)
		s->path[s->n++] = cfg->initrd;
	for (i = 0; i < cfg->ninitrds; i++) {
		if (!cfg->initrds[i])
			return set_err(err, EINVAL, "initrds[%u] is NULL", i);
		s->path[s->n++] = cfg->initrds[i];
	}
	for (i = 0; i < s->n; i++) {
		r = file_map(s->path[i], "initrd", &s->f[i], err);
		if (r) {
			initrd_set_unmap(s);
			return r;
		}
	}
	return 0;
}

int initrd_set_join(struct initrd_set *s, const uint8_t **data, size_t *len,
		    struct kvmini_error *err)
{
	size_t total = 0, at = 0;
	unsigned int i;

	*data = NULL;
	*len = 0;
	if (s->n == 1) {
		*data = s->f[0].data;
		*len = s->f[0].len;
	}
	if (s->n <= 1)
		return 0;
	for (i = 0; i < s->n; i++) {
		size_t padded = (s->f[i].len + 3) & ~(size_t)3;

		if (padded < s->f[i].len || total + padded < total)
			return set_err(err, EFBIG, "the initrds together are too large");
		total += padded;
	}
	free(s->joined);
	s->joined = calloc(1, total);
	if (!s->joined)
		return set_err_host(err, ENOMEM, "no memory to join %u initrds (%zu bytes)", s->n,
				    total);
	for (i = 0; i < s->n; i++) {
		memcpy(s->joined + at, s->f[i].data, s->f[i].len);
		at += (s->f[i].len + 3) & ~(size_t)3;
	}
	s->joined_len = total;
	*data = s->joined;
	*len = total;
	return 0;
}

void initrd_set_unmap(struct initrd_set *s)
{
	unsigned int i;

	for (i = 0; i < KVMINI_MAX_INITRDS; i++)
		file_unmap(&s->f[i]);
	free(s->joined);
	s->joined = NULL;
	s->joined_len = 0;
	s->n = 0;
}
