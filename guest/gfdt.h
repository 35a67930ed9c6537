/*
 * gfdt.h - the few libfdt calls the guest makes. Declared here rather than
 * through <libfdt.h>, which pulls in the host's C library headers; the
 * archive itself is /usr/lib/x86_64-linux-gnu/libfdt.a.
 */
#ifndef GUEST_GFDT_H
#define GUEST_GFDT_H

int fdt_check_header(const void *fdt);
int fdt_path_offset(const void *fdt, const char *path);
const void *fdt_getprop(const void *fdt, int nodeoffset, const char *name, int *lenp);
int fdt_first_subnode(const void *fdt, int offset);
int fdt_next_subnode(const void *fdt, int offset);
const char *fdt_get_name(const void *fdt, int nodeoffset, int *lenp);
int fdt_node_check_compatible(const void *fdt, int nodeoffset, const char *compatible);

#endif
