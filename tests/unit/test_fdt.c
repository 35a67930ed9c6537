/*
 * test_fdt.c - the device tree for Multiboot guests: build it, re-parse it
 * with libfdt and check bootargs, memory, cpus, the /kvmini node and the
 * reservation map; the /pci node and its functions, also as described from
 * a real bus (pci.c); refusals for bad
 * parameters; a long command line.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "fake_power.h"
#include "vmm/fdt.h"
#include "base/guestmem.h"
#include "bios/layout.h"
#include "devices/pci.h"

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
	struct kvmini_error err = { .msg = "" };
	struct guest_mem m;
	struct kvfdt_params p = { &m, "workload=cpu mem.max=16M", 3, 0xf4, NULL };
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
	struct kvfdt_params p = { &m, NULL, 1, 0xf4, NULL };
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
	struct kvfdt_params p = { &m, NULL, 64, 0xf4, NULL };
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
	struct kvmini_error err = { .msg = "" };
	struct guest_mem m;
	struct kvfdt_params p = { &m, "", 0, 0xf4, NULL };
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

static const struct kvfdt_pci_fn two_fns[] = {
	{ .slot = 1, .fn = 0, .vendor = 0x1af4, .device = 0x1042, .class_code = 0x010000 },
	{ .slot = 2, .fn = 0, .vendor = 0x1af4, .device = 0x1041, .class_code = 0x020000 },
};

Test(fdt, pci_node_and_functions)
{
	struct kvmini_error err = { .msg = "" };
	struct guest_mem m;
	struct kvfdt_pci pci = { .config_port = 0xcf8, .mmio_base = 0xc0000000,
				 .mmio_size = 0xfec00000 - 0xc0000000, .fns = two_fns,
				 .nfns = 2 };
	struct kvfdt_params p = { &m, "", 2, 0xf4, &pci };
	static const char *const names[] = { "virtio-blk@1,0", "virtio-net@2,0" };
	const fdt32_t *range;
	const void *window;
	void *blob;
	size_t len;
	int node, child, n, i = 0;

	fake_mem(&m, 512 * MiB);
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), 0, "%s", err.msg);
	node = fdt_path_offset(blob, "/pci");
	cr_assert_geq(node, 0);
	cr_assert_eq(fdt_node_check_compatible(blob, node, "kvmini,pci-cam"), 0);
	cr_assert_str_eq(fdt_getprop(blob, node, "device_type", NULL), "pci");
	range = fdt_getprop(blob, node, "bus-range", &n);
	cr_assert_eq(n, 8);
	cr_assert_eq(fdt32_to_cpu(range[0]), 0);
	cr_assert_eq(fdt32_to_cpu(range[1]), 0);
	cr_assert_eq(prop_u32(blob, "/pci", "config-port"), 0xcf8);
	cr_assert_eq(prop_u32(blob, "/pci", "config-port-size"), 8);
	cr_assert_eq(prop_u32(blob, "/pci", "#address-cells"), 1);
	cr_assert_eq(prop_u32(blob, "/pci", "#size-cells"), 0);
	window = fdt_getprop(blob, node, "mmio-window", &n);
	cr_assert_eq(n, 16);
	cr_assert_eq(cell64(window, 0), 0xc0000000);
	cr_assert_eq(cell64(window, 1), 0xfec00000 - 0xc0000000);

	fdt_for_each_subnode(child, blob, node) {
		char cmp[32];

		cr_assert_lt(i, 2);
		cr_assert_str_eq(fdt_get_name(blob, child, NULL), names[i]);
		cr_assert_eq(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(blob, child, "reg", NULL)),
			     (uint32_t)two_fns[i].slot << 11);
		snprintf(cmp, sizeof(cmp), "pci1af4,%x", two_fns[i].device);
		cr_assert_eq(fdt_node_check_compatible(blob, child, cmp), 0, "%s", cmp);
		i++;
	}
	cr_assert_eq(i, 2);
	cr_assert_eq(prop_u32(blob, "/pci/virtio-blk@1,0", "vendor-id"), 0x1af4);
	cr_assert_eq(prop_u32(blob, "/pci/virtio-blk@1,0", "device-id"), 0x1042);
	cr_assert_eq(prop_u32(blob, "/pci/virtio-blk@1,0", "class-code"), 0x010000);
	cr_assert_eq(prop_u32(blob, "/pci/virtio-net@2,0", "device-id"), 0x1041);
	cr_assert_eq(prop_u32(blob, "/pci/virtio-net@2,0", "class-code"), 0x020000);
	free(blob);
}

Test(fdt, pci_node_only_when_asked_and_may_be_empty)
{
	struct guest_mem m;
	struct kvfdt_pci pci = { .config_port = 0xcf8, .mmio_base = 0xc0000000,
				 .mmio_size = 0x3ec00000 };
	struct kvfdt_params p = { &m, "", 1, 0xf4, NULL };
	void *blob;
	size_t len;
	int node;

	fake_mem(&m, 64 * MiB);
	cr_assert_eq(kvfdt_build(&p, &blob, &len, NULL), 0);
	cr_assert_eq(fdt_path_offset(blob, "/pci"), -FDT_ERR_NOTFOUND);
	free(blob);

	p.pci = &pci;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, NULL), 0);
	node = fdt_path_offset(blob, "/pci");
	cr_assert_geq(node, 0);
	cr_assert_eq(fdt_first_subnode(blob, node), -FDT_ERR_NOTFOUND, "no functions");
	free(blob);
}

Test(fdt, refuses_bad_pci_descriptions)
{
	struct kvmini_error err = { .msg = "" };
	struct guest_mem m;
	struct kvfdt_pci_fn fns[2] = { two_fns[0], two_fns[1] };
	struct kvfdt_pci pci = { .config_port = 0xcf8, .mmio_base = 0xc0000000,
				 .mmio_size = 0x3ec00000, .fns = fns, .nfns = 2 };
	struct kvfdt_params p = { &m, "", 1, 0xf4, &pci };
	void *blob = (void *)1;
	size_t len = 1;

	fake_mem(&m, 64 * MiB);
	fns[1].slot = 32;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL);
	cr_assert_null(blob);
	cr_assert(strstr(err.msg, "does not exist"), "%s", err.msg);
	fns[1].slot = 2;
	fns[1].fn = 8;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL);
	fns[1] = fns[0];
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL);
	cr_assert(strstr(err.msg, "twice"), "%s", err.msg);
	fns[1] = two_fns[1];
	pci.mmio_base = 0xfff00000;
	pci.mmio_size = 0x200000;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL, "window past 4 GiB");
	pci.mmio_base = 0xc0000000;
	pci.mmio_size = 0;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL, "empty window");
	pci.mmio_size = 0x3ec00000;
	pci.fns = NULL;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL, "functions missing");
	pci.fns = fns;
	pci.nfns = KVFDT_MAX_PCI_FNS + 1;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), -EINVAL, "too many");
	pci.nfns = 2;
	cr_assert_eq(kvfdt_build(&p, &blob, &len, &err), 0, "%s", err.msg);
	free(blob);
}

Test(fdt, pci_described_from_the_bus)
{
	struct fake_power power = { 0 };
	struct pci_bus bus;
	struct pci_function blk, net;
	struct kvfdt_pci_fn fns[PCI_MAX_SLOTS];
	struct kvfdt_pci pci;
	struct guest_mem m;
	struct kvfdt_params p = { &m, "", 1, 0xf4, &pci };
	void *blob;
	size_t len;

	cr_assert_eq(pci_bus_init(&bus, fake_power_sink(&power), PCI_MMIO_BASE, PCI_MMIO_END), 0);
	pci_function_init(&blk, "virtio", 0x1af4, 0x1042, 0x018000, 0x1af4, 2);
	pci_function_init(&net, "virtio", 0x1af4, 0x1041, 0x020000, 0x1af4, 1);
	cr_assert_eq(pci_bus_add(&bus, &blk), 1);
	cr_assert_eq(pci_bus_add(&bus, &net), 2);

	kvfdt_describe_pci(&bus, fns, PCI_MAX_SLOTS, &pci);
	cr_assert_eq(pci.config_port, 0xcf8);
	cr_assert_eq(pci.mmio_base, PCI_MMIO_BASE);
	cr_assert_eq(pci.mmio_size, PCI_MMIO_END - PCI_MMIO_BASE);
	cr_assert_eq(pci.nfns, 2, "the host bridge is /pci itself, not a child");
	cr_assert_eq(fns[0].slot, 1);
	cr_assert_eq(fns[0].fn, 0);
	cr_assert_eq(fns[0].vendor, 0x1af4);
	cr_assert_eq(fns[0].device, 0x1042);
	cr_assert_eq(fns[0].class_code, 0x018000);
	cr_assert_eq(fns[1].slot, 2);
	cr_assert_eq(fns[1].device, 0x1041);
	cr_assert_eq(fns[1].class_code, 0x020000);

	fake_mem(&m, 64 * MiB);
	cr_assert_eq(kvfdt_build(&p, &blob, &len, NULL), 0);
	cr_assert_eq(prop_u32(blob, "/pci/virtio-blk@1,0", "reg"), 1u << 11);
	cr_assert_eq(prop_u32(blob, "/pci/virtio-net@2,0", "reg"), 2u << 11);
	free(blob);

	kvfdt_describe_pci(&bus, fns, 1, &pci);
	cr_assert_eq(pci.nfns, 1, "no more than the room given");
	pci_bus_destroy(&bus);
}
