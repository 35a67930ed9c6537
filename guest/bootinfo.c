/*
 * bootinfo.c - read the Multiboot information (command line, memory map,
 * modules) and, when a module holds a flattened device tree, the FDT kvmini
 * provides (see include/kvmini_guest_abi.h), its PCI functions (/pci)
 * included.
 */
#include "gfdt.h"
#include "kvmini_guest_abi.h"
#include "platform.h"
#include "runtime.h"

extern char __image_end[];

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void copy_str(char *dst, size_t max, const char *src)
{
	size_t i = 0;

	while (src && src[i] && i + 1 < max) {
		dst[i] = src[i];
		i++;
	}
	dst[i] = '\0';
}

static void raise_end(struct boot_info *bi, uint64_t end)
{
	if (end > bi->reserved_end)
		bi->reserved_end = end;
}

static void add_ram(struct boot_info *bi, uint64_t start, uint64_t end)
{
	if (end <= start || bi->nr_ram >= BOOT_MAX_RANGES)
		return;
	bi->ram[bi->nr_ram].start = start;
	bi->ram[bi->nr_ram].end = end;
	bi->nr_ram++;
}

static int is_fdt_module(const struct mb_module *m)
{
	const char *s = (const char *)(uintptr_t)m->string;
	const char *last;

	if (m->mod_end >= m->mod_start + 4 &&
	    be32((const void *)(uintptr_t)m->mod_start) == KVMINI_FDT_MAGIC)
		return 1;
	if (!s)
		return 0;
	/* QEMU passes "path args": accept "fdt" as the whole string or last word. */
	last = s;
	for (; *s; s++)
		if (*s == ' ')
			last = s + 1;
	return last[0] == 'f' && last[1] == 'd' && last[2] == 't' && last[3] == '\0';
}

/* A 4-byte property of node as a number; 0 if it is there, else -1. */
static int prop_u32(const void *fdt, int node, const char *name, uint32_t *v)
{
	int len;
	const void *p = fdt_getprop(fdt, node, name, &len);

	if (!p || len != 4)
		return -1;
	*v = be32(p);
	return 0;
}

/* The functions /pci lists; without a kvmini /pci node, none (bus scan). */
static void parse_pci(const void *fdt, struct boot_info *bi)
{
	int node = fdt_path_offset(fdt, "/pci"), child;

	if (node < 0 || fdt_node_check_compatible(fdt, node, "kvmini,pci-cam") != 0)
		return;
	bi->fdt_has_pci = 1;
	for (child = fdt_first_subnode(fdt, node); child >= 0;
	     child = fdt_next_subnode(fdt, child)) {
		uint32_t reg, vendor, device;
		struct pci_dev *d;

		if (prop_u32(fdt, child, "reg", &reg) || prop_u32(fdt, child, "vendor-id", &vendor) ||
		    prop_u32(fdt, child, "device-id", &device)) {
			con_printf("# guest: fdt: /pci/%s lacks reg, vendor-id or device-id; "
				   "ignored\n", fdt_get_name(fdt, child, 0));
			continue;
		}
		if (bi->fdt_npci++ >= PCI_MAX_LISTED)
			continue;
		d = &bi->fdt_pci[bi->fdt_npci - 1];
		d->slot = (uint8_t)((reg >> 11) & 0x1f);
		d->fn = (uint8_t)((reg >> 8) & 0x7);
		d->vendor = (uint16_t)vendor;
		d->device = (uint16_t)device;
	}
}

static void parse_fdt(const void *fdt, struct boot_info *bi)
{
	const void *p;
	int node, len, i;

	if (fdt_check_header(fdt) != 0) {
		con_printf("# guest: the fdt module is not a valid device tree; ignored\n");
		return;
	}
	bi->have_fdt = 1;
	node = fdt_path_offset(fdt, "/chosen");
	if (node >= 0 && (p = fdt_getprop(fdt, node, "bootargs", &len)) && len > 0)
		copy_str(bi->cmdline, sizeof(bi->cmdline), p);
	node = fdt_path_offset(fdt, "/kvmini");
	if (node >= 0 && (p = fdt_getprop(fdt, node, "exit-port", &len)) && len == 4)
		bi->exit_port = be32(p);
	node = fdt_path_offset(fdt, "/memory@0");
	if (node >= 0 && (p = fdt_getprop(fdt, node, "reg", &len)) && len > 0)
		for (i = 0; i + 16 <= len; i += 16) {
			const uint8_t *r = (const uint8_t *)p + i;

			bi->fdt_mem += (uint64_t)be32(r + 8) << 32 | be32(r + 12);
		}
	node = fdt_path_offset(fdt, "/cpus");
	if (node >= 0)
		for (i = fdt_first_subnode(fdt, node); i >= 0; i = fdt_next_subnode(fdt, i))
			bi->fdt_cpus++;
	parse_pci(fdt, bi);
}

int bootinfo_parse(uint32_t magic, uint32_t info, struct boot_info *bi)
{
	const struct mb_info *mi = (const struct mb_info *)(uintptr_t)info;
	const void *fdt = 0;
	uint32_t i;

	bi->reserved_end = (uint64_t)(uintptr_t)__image_end;
	bi->exit_port = KVMINI_DEBUG_EXIT_PORT;
	if (magic != MB_BOOT_MAGIC || !info)
		return -1;
	raise_end(bi, (uint64_t)info + sizeof(*mi));
	if (mi->flags & MB_INFO_CMDLINE) {
		copy_str(bi->cmdline, sizeof(bi->cmdline), (const char *)(uintptr_t)mi->cmdline);
		raise_end(bi, mi->cmdline + 1 + (uint64_t)strlen(bi->cmdline));
	}
	if (mi->flags & MB_INFO_MODS) {
		const struct mb_module *m = (const struct mb_module *)(uintptr_t)mi->mods_addr;

		raise_end(bi, mi->mods_addr + (uint64_t)mi->mods_count * sizeof(*m));
		for (i = 0; i < mi->mods_count; i++) {
			raise_end(bi, m[i].mod_end);
			if (!fdt && is_fdt_module(&m[i]))
				fdt = (const void *)(uintptr_t)m[i].mod_start;
		}
	}
	if (mi->flags & MB_INFO_MEM_MAP) {
		uint64_t off = 0;

		raise_end(bi, (uint64_t)mi->mmap_addr + mi->mmap_length);
		while (off + sizeof(struct mb_mmap_entry) <= mi->mmap_length) {
			const struct mb_mmap_entry *e =
				(const void *)(uintptr_t)(mi->mmap_addr + off);

			if (e->type == MB_MMAP_RAM)
				add_ram(bi, e->addr, e->addr + e->len);
			off += (uint64_t)e->size + 4;
		}
	} else if (mi->flags & MB_INFO_MEMORY) {
		add_ram(bi, 0, (uint64_t)mi->mem_lower * 1024);
		add_ram(bi, 1ull << 20, (1ull << 20) + (uint64_t)mi->mem_upper * 1024);
	}
	if (fdt)
		parse_fdt(fdt, bi);
	return 0;
}
