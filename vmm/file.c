/* file.c - see file.h. */
#include "vmm/file.h"

#include <errno.h>
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
