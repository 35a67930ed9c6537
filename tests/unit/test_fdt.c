/*
 * test_fdt.c - the device tree for Multiboot guests: build it, re-parse it
 * with libfdt and check bootargs, memory, cpus, the /kvmini node and the
 * reservation map; refusals for bad parameters; a long command line.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "fdt.h"
#include "guestmem.h"
#include "layout.h"

static void fake_mem(struct guest_mem *m, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	gmem_layout(m, NULL, size);
}

/* Cell pairs in a property are only 4-byte aligned. */
static uint64_t cell64(const void *p, unsigned int i)
{
	fdt64_t v;

	memcpy(&v, (const uint8_t *)p + 8 * i, sizeof(v));
	return fdt64_to_cpu(v);
}

static uint32_t prop_u32(const void *fdt, const char *path, const char *name)
{
	int node = fdt_path_offset(fdt, path), len = 0;
	const fdt32_t *v;

	cr_assert_geq(node, 0, "no node %s", path);
	v = fdt_getprop(fdt, node, name, &len);
	cr_assert_not_null(v, "no %s in %s", name, path);
	cr_assert_eq(len, 4, "%s/%s is %d bytes", path, name, len);
	return fdt32_to_cpu(*v);
}

Test(fdt, tree_parses_back)
{
	struct kvmini_error err = { { 0 } };
	struct guest_mem m;
	struct kvfdt_params p = { &m, "workload=cpu mem.max=16M", 3, 0xf4 };
	const void *reg;
	const char *s;
	uint64_t addr, size;
	void *blob;
	size_t len;
	int node, n, cpus = 0;

	fake_mem(&m, 4 * GiB);   /* 3 GiB low, 1 GiB from 4 GiB */
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(fdt_check_header(blob), 0);
	cr_assert_eq(fdt_totalsize(blob), len);

	node = fdt_path_offset(blob, "/chosen");
	cr_assert_geq(node, 0);
	s = fdt_getprop(blob, node, "bootargs", &n);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "workload=cpu mem.max=16M");

	node = fdt_path_offset(blob, "/memory@0");
	cr_assert_geq(node, 0);
	cr_assert_str_eq(fdt_getprop(blob, node, "device_type", NULL), "memory");
	reg = fdt_getprop(blob, node, "reg", &n);
	cr_assert_eq(n, 32, "two (address, size) pairs of 2+2 cells");
	addr = cell64(reg, 0);
	size = cell64(reg, 1);
	cr_assert_eq(addr, 0);
	cr_assert_eq(size, 3 * GiB);
	cr_assert_eq(cell64(reg, 2), 4 * GiB);
	cr_assert_eq(cell64(reg, 3), 1 * GiB);
	cr_assert_eq(prop_u32(blob, "/", "#address-cells"), 2);
	cr_assert_eq(prop_u32(blob, "/", "#size-cells"), 2);

	node = fdt_path_offset(blob, "/cpus");
	cr_assert_geq(node, 0);
	for (n = fdt_first_subnode(blob, node); n >= 0; n = fdt_next_subnode(blob, n)) {
		const fdt32_t *r = fdt_getprop(blob, n, "reg", NULL);

		cr_assert_not_null(r);
		cr_assert_eq(fdt32_to_cpu(*r), (uint32_t)cpus, "cpu reg = its index");
		cpus++;
	}
	cr_assert_eq(cpus, 3);
	cr_assert_eq(prop_u32(blob, "/cpus/cpu@2", "reg"), 2);

	cr_assert_eq(prop_u32(blob, "/kvmini", "exit-port"), 0xf4);
	cr_assert_eq(prop_u32(blob, "/kvmini", "exit-port-size"), 4);
	cr_assert_eq(prop_u32(blob, "/kvmini/serial@3f8", "port"), 0x3f8);

	cr_assert_eq(fdt_num_mem_rsv(blob), 1);
	cr_assert_eq(fdt_get_mem_rsv(blob, 0, &addr, &size), 0);
	cr_assert_eq(addr, EBDA_START);
	cr_assert_eq(addr + size, HIGH_MEM_START);
	free(blob);
}

Test(fdt, one_region_and_no_cmdline)
{
	struct guest_mem m;
	struct kvfdt_params p = { &m, NULL, 1, 0xf4 };
	const char *s;
	void *blob;
	size_t len;
	int n;

	fake_mem(&m, 256 * MiB);
	cr_assert_eq(kvfdt_build(&p, &blob, &len, NULL), 0);
	s = fdt_getprop(blob, fdt_path_offset(blob, "/chosen"), "bootargs", &n);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "");
	fdt_getprop(blob, fdt_path_offset(blob, "/memory@0"), "reg", &n);
	cr_assert_eq(n, 16);
	free(blob);
}

Test(fdt, long_cmdline_grows_the_buffer)
{
	struct guest_mem m;
	struct kvfdt_params p = { &m, NULL, 64, 0xf4 };
	char *cl = malloc(60000);
	void *blob;
	size_t len;

	memset(cl, 'x', 59999);
	cl[59999] = '\0';
	p.cmdline = cl;
	fake_mem(&m, 64 * MiB);
	cr_assert_eq(kvfdt_build(&p, &blob, &len, NULL), 0);
	cr_assert_gt(len, 60000);
	cr_assert_eq(strlen(fdt_getprop(blob, fdt_path_offset(blob, "/chosen"), "bootargs", NULL)),
		     59999);
	cr_assert_geq(fdt_path_offset(blob, "/cpus/cpu@3f"), 0);
	free(blob);
	free(cl);
}

Test(fdt, refuses_bad_parameters)
{
	struct kvmini_error err = { { 0 } };
	struct guest_mem m;
	struct kvfdt_params p = { &m, "", 0, 0xf4 };
	void *blob = (void *)1;
	size_t len = 1;

	fake_mem(&m, 64 * MiB);
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL);
	cr_assert_null(blob);
	cr_assert_eq(len, 0);
	cr_assert(strstr(err.msg, "vCPUs"), "%s", err.msg);
	p.ncpus = 1000;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL);
	p.ncpus = 1;
	m.nr_regions = 0;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL);
	p.mem = NULL;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL);
}
