/* fdt.c - see fdt.h. */
#include "vmm/fdt.h"

#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "kvmini_guest_abi.h"
#include "bios/layout.h"
#include "devices/pci.h"

#define FDT_START_SIZE 4096
#define FDT_MAX_SIZE   (1024 * 1024)
#define PCI_FNS        8
#define VIRTIO_VENDOR  0x1af4
#define LIMIT_32BIT    (1ULL << 32)

#define TRY(call) do { r = (call); if (r < 0) return r; } while (0)

/* A node name for a PCI function: what it is, if kvmini knows the IDs. */
static const char *pci_fn_name(const struct kvfdt_pci_fn *f)
{
	if (f->vendor == VIRTIO_VENDOR && (f->device == 0x1042 || f->device == 0x1001))
		return "virtio-blk";
	if (f->vendor == VIRTIO_VENDOR && (f->device == 0x1041 || f->device == 0x1000))
		return "virtio-net";
	return "pci-function";
}

/* /pci and a child per function; a libfdt error code (negative) or 0. */
static int write_pci(const struct kvfdt_pci *pci, void *buf)
{
	fdt64_t window[2] = { cpu_to_fdt64(pci->mmio_base), cpu_to_fdt64(pci->mmio_size) };
	fdt32_t range[2] = { cpu_to_fdt32(0), cpu_to_fdt32(0) };
	char name[48];
	unsigned int i;
	int r;

	TRY(fdt_begin_node(buf, "pci"));
	TRY(fdt_property_string(buf, "compatible", "kvmini,pci-cam"));
	TRY(fdt_property_string(buf, "device_type", "pci"));
	TRY(fdt_property(buf, "bus-range", range, sizeof(range)));
	TRY(fdt_property_u32(buf, "config-port", pci->config_port));
	TRY(fdt_property_u32(buf, "config-port-size", 8));
	TRY(fdt_property(buf, "mmio-window", window, sizeof(window)));
	TRY(fdt_property_u32(buf, "#address-cells", 1));
	TRY(fdt_property_u32(buf, "#size-cells", 0));
	for (i = 0; i < pci->nfns; i++) {
		const struct kvfdt_pci_fn *f = &pci->fns[i];

		snprintf(name, sizeof(name), "%s@%x,%x", pci_fn_name(f), f->slot, f->fn);
		TRY(fdt_begin_node(buf, name));
		snprintf(name, sizeof(name), "pci%x,%x", f->vendor, f->device);
		TRY(fdt_property_string(buf, "compatible", name));
		TRY(fdt_property_u32(buf, "reg", (uint32_t)f->slot << 11 | (uint32_t)f->fn << 8));
		TRY(fdt_property_u32(buf, "vendor-id", f->vendor));
		TRY(fdt_property_u32(buf, "device-id", f->device));
		TRY(fdt_property_u32(buf, "class-code", f->class_code));
		TRY(fdt_end_node(buf));
	}
	return fdt_end_node(buf);
}

/* Write the whole tree into buf; a libfdt error code (negative) or 0. */
static int write_tree(const struct kvfdt_params *p, void *buf, int size)
{
	fdt64_t reg[2 * ARRAY_SIZE(p->mem->region)];
	char name[32];
	unsigned int i;
	int r;

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

	if (p->pci)
		TRY(write_pci(p->pci, buf));

	TRY(fdt_end_node(buf));
	TRY(fdt_finish(buf));
	return 0;
}

/* Refuse a /pci description the guest could not use. */
static int check_pci(const struct kvfdt_pci *pci, struct kvmini_error *err)
{
	uint32_t seen[PCI_MAX_SLOTS] = { 0 };
	unsigned int i;

	if (pci->nfns > KVFDT_MAX_PCI_FNS || (pci->nfns && !pci->fns))
		return set_err(err, EINVAL, "device tree: %u PCI functions (at most %d)",
			       pci->nfns, KVFDT_MAX_PCI_FNS);
	if (!pci->mmio_size || pci->mmio_base >= LIMIT_32BIT ||
	    pci->mmio_size > LIMIT_32BIT - pci->mmio_base)
		return set_err(err, EINVAL, "device tree: PCI MMIO window 0x%llx+0x%llx is not "
			       "a range below 4 GiB", (unsigned long long)pci->mmio_base,
			       (unsigned long long)pci->mmio_size);
	for (i = 0; i < pci->nfns; i++) {
		const struct kvfdt_pci_fn *f = &pci->fns[i];

		if (f->slot >= PCI_MAX_SLOTS || f->fn >= PCI_FNS)
			return set_err(err, EINVAL, "device tree: PCI function %02x.%x does not exist",
				       f->slot, f->fn);
		if (seen[f->slot] & 1u << f->fn)
			return set_err(err, EINVAL, "device tree: PCI function %02x.%x listed twice",
				       f->slot, f->fn);
		seen[f->slot] |= 1u << f->fn;
	}
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
	if (p->pci) {
		int r = check_pci(p->pci, err);

		if (r)
			return r;
	}
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

/* A little-endian configuration space field of n bytes at off. */
static uint32_t cfg_field(const struct pci_function *f, unsigned int off, unsigned int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | f->cfg[off + n];
	return v;
}

void kvfdt_describe_pci(const struct pci_bus *bus, struct kvfdt_pci_fn *fns, unsigned int max,
			struct kvfdt_pci *pci)
{
	unsigned int slot;

	*pci = (struct kvfdt_pci){ .config_port = PCI_CONFIG_ADDR_PORT,
				   .mmio_base = bus->mmio_base,
				   .mmio_size = bus->mmio_end - bus->mmio_base, .fns = fns };
	for (slot = 1; slot < PCI_MAX_SLOTS && pci->nfns < max; slot++) {
		const struct pci_function *f = bus->slot[slot];

		if (!f)
			continue;
		fns[pci->nfns++] = (struct kvfdt_pci_fn){
			.slot = (uint8_t)slot,
			.fn = 0,
			.vendor = (uint16_t)cfg_field(f, PCI_VENDOR_ID, 2),
			.device = (uint16_t)cfg_field(f, PCI_DEVICE_ID, 2),
			.class_code = cfg_field(f, PCI_CLASS_PROG, 3),
		};
	}
}
