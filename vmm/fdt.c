/* fdt.c - see fdt.h. */
#include "fdt.h"

#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "kvmini_guest_abi.h"
#include "layout.h"

#define FDT_START_SIZE 4096
#define FDT_MAX_SIZE   (1024 * 1024)

/* Write the whole tree into buf; a libfdt error code (negative) or 0. */
static int write_tree(const struct kvfdt_params *p, void *buf, int size)
{
	fdt64_t reg[2 * ARRAY_SIZE(p->mem->region)];
	char name[32];
	unsigned int i;
	int r;

#define TRY(call) do { r = (call); if (r < 0) return r; } while (0)
	TRY(fdt_create(buf, size));
	TRY(fdt_add_reservemap_entry(buf, EBDA_START, HIGH_MEM_START - EBDA_START));
	TRY(fdt_finish_reservemap(buf));
	TRY(fdt_begin_node(buf, ""));
	TRY(fdt_property_u32(buf, "#address-cells", 2));
	TRY(fdt_property_u32(buf, "#size-cells", 2));
	TRY(fdt_property_string(buf, "compatible", "kvmini,virt"));
	TRY(fdt_property_string(buf, "model", "kvmini"));

	TRY(fdt_begin_node(buf, "chosen"));
	TRY(fdt_property_string(buf, "bootargs", p->cmdline ? p->cmdline : ""));
	TRY(fdt_end_node(buf));

	TRY(fdt_begin_node(buf, "memory@0"));
	TRY(fdt_property_string(buf, "device_type", "memory"));
	for (i = 0; i < p->mem->nr_regions; i++) {
		reg[2 * i] = cpu_to_fdt64(p->mem->region[i].gpa);
		reg[2 * i + 1] = cpu_to_fdt64(p->mem->region[i].size);
	}
	TRY(fdt_property(buf, "reg", reg, (int)(2 * p->mem->nr_regions * sizeof(reg[0]))));
	TRY(fdt_end_node(buf));

	TRY(fdt_begin_node(buf, "cpus"));
	TRY(fdt_property_u32(buf, "#address-cells", 1));
	TRY(fdt_property_u32(buf, "#size-cells", 0));
	for (i = 0; i < p->ncpus; i++) {
		snprintf(name, sizeof(name), "cpu@%x", i);
		TRY(fdt_begin_node(buf, name));
		TRY(fdt_property_string(buf, "device_type", "cpu"));
		TRY(fdt_property_u32(buf, "reg", i));
		TRY(fdt_end_node(buf));
	}
	TRY(fdt_end_node(buf));

	TRY(fdt_begin_node(buf, "kvmini"));
	TRY(fdt_property_string(buf, "compatible", "kvmini,platform"));
	TRY(fdt_property_u32(buf, "exit-port", p->exit_port));
	TRY(fdt_property_u32(buf, "exit-port-size", KVMINI_DEBUG_EXIT_SIZE));
	snprintf(name, sizeof(name), "serial@%x", KVMINI_COM1_PORT);
	TRY(fdt_begin_node(buf, name));
	TRY(fdt_property_string(buf, "compatible", "ns16550a"));
	TRY(fdt_property_u32(buf, "port", KVMINI_COM1_PORT));
	TRY(fdt_property_u32(buf, "irq", 4));
	TRY(fdt_end_node(buf));
	TRY(fdt_end_node(buf));

	TRY(fdt_end_node(buf));
	TRY(fdt_finish(buf));
#undef TRY
	return 0;
}

int kvfdt_build(const struct kvfdt_params *p, void **blob, size_t *size,
		struct kvmini_error *err)
{
	int len = FDT_START_SIZE;

	*blob = NULL;
	*size = 0;
	if (!p || !p->mem || p->mem->nr_regions == 0 ||
	    p->mem->nr_regions > ARRAY_SIZE(p->mem->region))
		return set_err(err, EINVAL, "device tree: no guest memory regions");
	if (p->ncpus == 0 || p->ncpus > KVMINI_MAX_CPUS)
		return set_err(err, EINVAL, "device tree: %u vCPUs (1 to %d)", p->ncpus,
			       KVMINI_MAX_CPUS);
	for (;;) {
		void *buf = malloc((size_t)len);
		int r;

		if (!buf)
			return set_err(err, ENOMEM, "device tree: out of memory");
		r = write_tree(p, buf, len);
		if (r == 0) {
			*blob = buf;
			*size = fdt_totalsize(buf);
			return 0;
		}
		free(buf);
		if (r != -FDT_ERR_NOSPACE || len >= FDT_MAX_SIZE)
			return set_err(err, r == -FDT_ERR_NOSPACE ? E2BIG : EIO,
				       "device tree: %s", fdt_strerror(r));
		len *= 2;
	}
}
