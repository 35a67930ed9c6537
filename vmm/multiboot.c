/* multiboot.c - see multiboot.h and the Multiboot 0.6.96 specification. */
#include "vmm/multiboot.h"

#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "bios/e820.h"

#define LOADER_NAME "kvmini"
#define MB_MMAP_MAX 32
#define LIMIT_4G    (4ULL * GiB)

_Static_assert(sizeof(struct mb_info) == 88, "Multiboot info is 88 bytes");
_Static_assert(sizeof(struct mb_module) == 16, "Multiboot module is 16 bytes");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "Multiboot mmap entry is 24 bytes");

/* Layout of the info area at MB_INFO_ADDR. */
#define OFF_INFO    0x000
#define OFF_MMAP    0x100
#define OFF_MODS    (OFF_MMAP + MB_MMAP_MAX * sizeof(struct mb_mmap_entry))
#define OFF_NAME    (OFF_MODS + sizeof(struct mb_module))
#define OFF_MODSTR  (OFF_NAME + 16)
#define INFO_USED   (OFF_MODSTR + 16)
_Static_assert(INFO_USED <= MB_INFO_MAX, "Multiboot info area too small");
_Static_assert(MB_INFO_ADDR + MB_INFO_MAX <= MB_FDT_ADDR, "info overlaps FDT");
_Static_assert(MB_CMDLINE_ADDR + MB_CMDLINE_MAX <= MB_INFO_ADDR, "cmdline overlaps info");

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Find the header; 0 with *off set, or -ENOEXEC. */
static int find_header(const uint8_t *img, size_t len, size_t *off,
		       struct kvmini_error *err)
{
	size_t end = len < MB_HEADER_SEARCH ? len : MB_HEADER_SEARCH, o;
	int bad_sum = 0;

	for (o = 0; o + 12 <= end; o += MB_HEADER_ALIGN) {
		if (rd32(img + o) != MB_HEADER_MAGIC)
			continue;
		if ((uint32_t)(rd32(img + o) + rd32(img + o + 4) + rd32(img + o + 8)) == 0) {
			*off = o;
			return 0;
		}
		bad_sum = 1;
	}
	if (bad_sum)
		return set_err(err, ENOEXEC,
			       "Multiboot header has a bad checksum (magic + flags + checksum != 0)");
	return set_err(err, ENOEXEC,
		       "not a Multiboot kernel: no header (magic 0x1BADB002) in the first %u bytes",
		       MB_HEADER_SEARCH);
}

static int parse_kludge(const uint8_t *img, size_t len, size_t off,
			struct multiboot_image *mi, struct kvmini_error *err)
{
	struct mb_header h;
	uint64_t text_off, load_size, mem_end;

	if (len - off < sizeof(h))
		return set_err(err, ENOEXEC, "Multiboot header is truncated (address fields missing)");
	memcpy(&h, img + off, sizeof(h));
	if (h.header_addr < h.load_addr || h.header_addr - h.load_addr > off)
		return set_err(err, ENOEXEC,
			       "Multiboot header_addr %#x and load_addr %#x do not match its file offset %#zx",
			       h.header_addr, h.load_addr, off);
	text_off = off - (h.header_addr - h.load_addr);
	if (h.load_end_addr) {
		if (h.load_end_addr <= h.load_addr)
			return set_err(err, ENOEXEC, "Multiboot load_end_addr %#x is not above load_addr %#x",
				       h.load_end_addr, h.load_addr);
		load_size = (uint64_t)h.load_end_addr - h.load_addr;
	} else {
		load_size = len - text_off;
	}
	if (load_size > len - text_off)
		return set_err(err, ENOEXEC,
			       "kernel is truncated: the Multiboot header asks for %llu bytes from offset %#llx, the file has %zu",
			       (unsigned long long)load_size, (unsigned long long)text_off, len);
	mem_end = (uint64_t)h.load_addr + load_size;
	if (h.bss_end_addr) {
		if (h.bss_end_addr < mem_end)
			return set_err(err, ENOEXEC, "Multiboot bss_end_addr %#x is below the loaded image end %#llx",
				       h.bss_end_addr, (unsigned long long)mem_end);
		mem_end = h.bss_end_addr;
	}
	if (h.entry_addr < h.load_addr || h.entry_addr >= mem_end)
		return set_err(err, ENOEXEC, "Multiboot entry_addr %#x lies outside the image [%#x, %#llx)",
			       h.entry_addr, h.load_addr, (unsigned long long)mem_end);
	mi->aout_kludge = 1;
	mi->load_start = h.load_addr;
	mi->load_end = mem_end;
	mi->entry = h.entry_addr;
	return 0;
}

/* The ELF64 header and program header i, checked; NULL on error. */
static int elf_check(const uint8_t *img, size_t len, Elf64_Ehdr *eh,
		     struct kvmini_error *err)
{
	uint64_t ph_end;

	if (len < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG))
		return set_err(err, ENOEXEC,
			       "Multiboot kernel has no address fields and is not an ELF file");
	memcpy(eh, img, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return set_err(err, ENOEXEC,
			       "Multiboot ELF kernel is not little-endian ELF64 x86-64 (use the header's address fields)");
	if (eh->e_type != ET_EXEC)
		return set_err(err, ENOEXEC, "Multiboot ELF kernel is not an executable (e_type %u)",
			       eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return set_err(err, ENOEXEC, "Multiboot ELF kernel has no usable program headers");
	ph_end = eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phoff > len || ph_end > len || ph_end < eh->e_phoff)
		return set_err(err, ENOEXEC, "ELF program headers lie outside the file (truncated?)");
	return 0;
}

static int phdr_get(const uint8_t *img, size_t len, const Elf64_Ehdr *eh,
		    unsigned int i, Elf64_Phdr *ph, struct kvmini_error *err)
{
	memcpy(ph, img + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
	if (ph->p_type != PT_LOAD)
		return 0;
	if (ph->p_filesz > ph->p_memsz)
		return set_err(err, ENOEXEC, "ELF segment %u: file size exceeds memory size", i);
	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return set_err(err, ENOEXEC,
			       "ELF segment %u lies outside the file (offset %#llx, %llu bytes; file has %zu): truncated?",
			       i, (unsigned long long)ph->p_offset,
			       (unsigned long long)ph->p_filesz, len);
	if (ph->p_paddr > LIMIT_4G || ph->p_memsz > LIMIT_4G - ph->p_paddr)
		return set_err(err, ENOEXEC,
			       "ELF segment %u at %#llx (%llu bytes) does not fit below 4 GiB",
			       i, (unsigned long long)ph->p_paddr,
			       (unsigned long long)ph->p_memsz);
	return 0;
}

static int parse_elf(const uint8_t *img, size_t len, struct multiboot_image *mi,
		     struct kvmini_error *err)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;
	int r;

	r = elf_check(img, len, &eh, err);
	if (r)
		return r;
	for (i = 0; i < eh.e_phnum; i++) {
		r = phdr_get(img, len, &eh, i, &ph, err);
		if (r)
			return r;
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
	}
	if (hi == 0)
		return set_err(err, ENOEXEC, "Multiboot ELF kernel has no loadable segment");
	if (eh.e_entry >= LIMIT_4G)
		return set_err(err, ENOEXEC, "ELF entry point %#llx is above 4 GiB",
			       (unsigned long long)eh.e_entry);
	mi->aout_kludge = 0;
	mi->load_start = lo;
	mi->load_end = hi;
	mi->entry = eh.e_entry;
	return 0;
}

int multiboot_parse(const uint8_t *img, size_t len, struct multiboot_image *mi,
		    struct kvmini_error *err)
{
	size_t off = 0;
	int r;

	memset(mi, 0, sizeof(*mi));
	if (!img)
		return set_err(err, ENOEXEC, "no kernel image");
	r = find_header(img, len, &off, err);
	if (r)
		return r;
	mi->header_offset = off;
	mi->flags = rd32(img + off + 4);
	if (mi->flags & MB_FLAG_VIDEO_MODE)
		return set_err(err, ENOEXEC, "Multiboot kernel requires a video mode; kvmini has no display");
	if (mi->flags & MB_FLAGS_REQUIRED_MASK &
	    ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE))
		return set_err(err, ENOEXEC, "Multiboot kernel requires features kvmini lacks (flags %#x)",
			       mi->flags);
	if (mi->flags & MB_FLAG_AOUT_KLUDGE)
		return parse_kludge(img, len, off, mi, err);
	return parse_elf(img, len, mi, err);
}

/* Host pointer for [gpa, gpa+size) if it is RAM at or above 1 MiB. */
static uint8_t *kernel_area(struct guest_mem *m, uint64_t gpa, uint64_t size,
			    struct kvmini_error *err, int *r)
{
	uint8_t *p;

	if (gpa < HIGH_MEM_START) {
		*r = set_err(err, EINVAL,
			     "kernel wants memory at %#llx, below 1 MiB where kvmini keeps its boot data",
			     (unsigned long long)gpa);
		return NULL;
	}
	p = gmem_ptr(m, gpa, size);
	if (!p)
		*r = set_err(err, ENOMEM,
			     "kernel wants [%#llx, %#llx), outside guest RAM (%llu MiB); raise --mem",
			     (unsigned long long)gpa, (unsigned long long)(gpa + size),
			     (unsigned long long)(m->ram_size / MiB));
	return p;
}

static int copy_image(struct guest_mem *m, const uint8_t *img, size_t len,
		      const struct multiboot_image *mi, struct kvmini_error *err)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;
	uint8_t *dst;
	int r = 0;

	dst = kernel_area(m, mi->load_start, mi->load_end - mi->load_start, err, &r);
	if (!dst)
		return r;
	if (mi->aout_kludge) {
		struct mb_header h;
		uint64_t text_off, size;

		memcpy(&h, img + mi->header_offset, sizeof(h));
		text_off = mi->header_offset - (h.header_addr - h.load_addr);
		size = h.load_end_addr ? (uint64_t)h.load_end_addr - h.load_addr
				       : len - text_off;
		memcpy(dst, img + text_off, size);
		memset(dst + size, 0, mi->load_end - mi->load_start - size);
		return 0;
	}
	memcpy(&eh, img, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		r = phdr_get(img, len, &eh, i, &ph, err);
		if (r)
			return r;
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		dst = kernel_area(m, ph.p_paddr, ph.p_memsz, err, &r);
		if (!dst)
			return r;
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}

/* Fill the memory fields and map of the info from m's e820 map. */
static int build_mmap(struct guest_mem *m, struct mb_info *info, uint8_t *area,
		      struct kvmini_error *err)
{
	struct boot_e820_entry tab[MB_MMAP_MAX];
	int n, i;

	n = e820_build(m, tab, MB_MMAP_MAX);
	if (n < 0)
		return set_err(err, -n, "memory map does not fit the Multiboot information");
	for (i = 0; i < n; i++) {
		struct mb_mmap_entry e = {
			.size = sizeof(e) - sizeof(e.size),
			.addr = tab[i].addr, .len = tab[i].size, .type = tab[i].type,
		};
		uint64_t end = tab[i].addr + tab[i].size;

		memcpy(area + OFF_MMAP + (size_t)i * sizeof(e), &e, sizeof(e));
		if (tab[i].type != E820_RAM)
			continue;
		if (tab[i].addr == 0)
			info->mem_lower = (uint32_t)((end < 640 * KiB ? end : 640 * KiB) / KiB);
		if (tab[i].addr <= HIGH_MEM_START && end > HIGH_MEM_START)
			info->mem_upper = (uint32_t)((end > LIMIT_4G ? LIMIT_4G - HIGH_MEM_START
							     : end - HIGH_MEM_START) / KiB);
	}
	info->mmap_addr = (uint32_t)(MB_INFO_ADDR + OFF_MMAP);
	info->mmap_length = (uint32_t)((size_t)n * sizeof(struct mb_mmap_entry));
	info->flags |= MB_INFO_MEMORY | MB_INFO_MEM_MAP;
	return 0;
}

int multiboot_load(struct guest_mem *m, const uint8_t *img, size_t len,
		   const char *cmdline, const void *fdt, size_t fdt_len,
		   struct multiboot_boot *boot, struct kvmini_error *err)
{
	struct multiboot_image mi;
	struct mb_info info;
	uint8_t *area, *cl, *fdt_dst = NULL;
	size_t cl_len;
	int r;

	memset(boot, 0, sizeof(*boot));
	r = multiboot_parse(img, len, &mi, err);
	if (r)
		return r;
	area = gmem_ptr(m, MB_INFO_ADDR, MB_INFO_MAX);
	cl = gmem_ptr(m, MB_CMDLINE_ADDR, MB_CMDLINE_MAX);
	if (!area || !cl)
		return set_err(err, EFAULT, "guest RAM does not cover the Multiboot boot areas below 1 MiB");
	cmdline = cmdline ? cmdline : "";
	cl_len = strlen(cmdline);
	if (cl_len >= MB_CMDLINE_MAX)
		return set_err(err, E2BIG, "command line is %zu bytes; the limit is %llu",
			       cl_len, (unsigned long long)MB_CMDLINE_MAX - 1);
	if (fdt && fdt_len) {
		if (fdt_len > MB_FDT_MAX)
			return set_err(err, E2BIG, "device tree is %zu bytes; the limit is %llu",
				       fdt_len, (unsigned long long)MB_FDT_MAX);
		fdt_dst = gmem_ptr(m, MB_FDT_ADDR, fdt_len);
		if (!fdt_dst)
			return set_err(err, EFAULT, "guest RAM does not cover the device tree area");
	}
	r = copy_image(m, img, len, &mi, err);
	if (r)
		return r;

	memset(area, 0, INFO_USED);
	memset(&info, 0, sizeof(info));
	r = build_mmap(m, &info, area, err);
	if (r)
		return r;
	memcpy(cl, cmdline, cl_len + 1);
	info.cmdline = (uint32_t)MB_CMDLINE_ADDR;
	info.flags |= MB_INFO_CMDLINE;
	memcpy(area + OFF_NAME, LOADER_NAME, sizeof(LOADER_NAME));
	info.boot_loader_name = (uint32_t)(MB_INFO_ADDR + OFF_NAME);
	info.flags |= MB_INFO_LOADER_NAME;
	if (fdt_dst) {
		struct mb_module mod = {
			.mod_start = (uint32_t)MB_FDT_ADDR,
			.mod_end = (uint32_t)(MB_FDT_ADDR + fdt_len),
			.string = (uint32_t)(MB_INFO_ADDR + OFF_MODSTR),
		};

		memcpy(fdt_dst, fdt, fdt_len);
		memcpy(area + OFF_MODS, &mod, sizeof(mod));
		memcpy(area + OFF_MODSTR, KVMINI_FDT_MODULE_STRING,
		       sizeof(KVMINI_FDT_MODULE_STRING));
		info.mods_count = 1;
		info.mods_addr = (uint32_t)(MB_INFO_ADDR + OFF_MODS);
		info.flags |= MB_INFO_MODS;
		boot->fdt = (uint32_t)MB_FDT_ADDR;
		boot->fdt_size = (uint32_t)fdt_len;
	}
	memcpy(area + OFF_INFO, &info, sizeof(info));

	boot->entry = (uint32_t)mi.entry;
	boot->magic = MB_BOOT_MAGIC;
	boot->info = (uint32_t)(MB_INFO_ADDR + OFF_INFO);
	boot->load_start = mi.load_start;
	boot->load_end = mi.load_end;
	return 0;
}

int multiboot_replace_fdt(struct guest_mem *m, struct multiboot_boot *boot,
			  const void *fdt, size_t fdt_len, struct kvmini_error *err)
{
	uint8_t *area = gmem_ptr(m, MB_INFO_ADDR, MB_INFO_MAX), *dst;
	struct mb_module mod;

	if (!boot->fdt || !fdt || !fdt_len || !area)
		return set_err(err, EINVAL, "no device tree module to replace");
	if (fdt_len > MB_FDT_MAX)
		return set_err(err, E2BIG, "device tree is %zu bytes; the limit is %llu",
			       fdt_len, (unsigned long long)MB_FDT_MAX);
	dst = gmem_ptr(m, MB_FDT_ADDR, fdt_len);
	if (!dst)
		return set_err(err, EFAULT, "guest RAM does not cover the device tree area");
	memcpy(&mod, area + OFF_MODS, sizeof(mod));
	if (mod.mod_start != boot->fdt)
		return set_err(err, EINVAL, "module 0 is not the device tree");
	memcpy(dst, fdt, fdt_len);
	mod.mod_end = (uint32_t)(MB_FDT_ADDR + fdt_len);
	memcpy(area + OFF_MODS, &mod, sizeof(mod));
	boot->fdt_size = (uint32_t)fdt_len;
	return 0;
}
