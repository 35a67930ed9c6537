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

/* Layout of the info area at MB_INFO_ADDR; the strings fill the rest. */
#define OFF_INFO    0x000
#define OFF_NAME    0x060
#define OFF_MMAP    0x100
#define OFF_MODS    (OFF_MMAP + MB_MMAP_MAX * sizeof(struct mb_mmap_entry))
#define OFF_STRS    (OFF_MODS + MB_MODULES_MAX * sizeof(struct mb_module))
_Static_assert(OFF_INFO + sizeof(struct mb_info) <= OFF_NAME, "info overlaps the name");
_Static_assert(OFF_NAME + sizeof(LOADER_NAME) <= OFF_MMAP, "name overlaps the map");
_Static_assert(OFF_STRS + 4096 <= MB_INFO_MAX, "Multiboot info area too small");
_Static_assert(MB_INFO_ADDR + MB_INFO_MAX <= MB_FDT_ADDR, "info overlaps FDT");
_Static_assert(MB_CMDLINE_ADDR + MB_CMDLINE_MAX <= MB_INFO_ADDR, "cmdline overlaps info");

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int multiboot_refuse_format(struct kvmini_error *err)
{
	return set_err(err, ENOEXEC, "%s", KVMINI_KERNEL_FORMATS_MSG);
}

int multiboot_has_header(const uint8_t *img, size_t len)
{
	size_t end = len < MB_HEADER_SEARCH ? len : MB_HEADER_SEARCH, o;

	if (!img)
		return 0;
	for (o = 0; o + 12 <= end; o += MB_HEADER_ALIGN)
		if (rd32(img + o) == MB_HEADER_MAGIC)
			return 1;
	return 0;
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

/* --- the a.out kludge: the header's address fields --- */

/* The kludge's file range [*text_off, + *load_size); checked by parse_kludge. */
static void kludge_range(const struct mb_header *h, size_t len, size_t off,
			 uint64_t *text_off, uint64_t *load_size)
{
	*text_off = off - (h->header_addr - h->load_addr);
	*load_size = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr
				      : len - *text_off;
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
	if (h.load_end_addr && h.load_end_addr <= h.load_addr)
		return set_err(err, ENOEXEC, "Multiboot load_end_addr %#x is not above load_addr %#x",
			       h.load_end_addr, h.load_addr);
	kludge_range(&h, len, off, &text_off, &load_size);
	if (load_size > len - text_off)
		return set_err(err, ENOEXEC,
			       "kernel is truncated: the Multiboot header asks for %llu bytes from offset %#llx, the file has %zu",
			       (unsigned long long)load_size, (unsigned long long)text_off, len);
	if (h.header_addr - h.load_addr >= load_size)
		return set_err(err, ENOEXEC,
			       "Multiboot header_addr %#x lies outside the loaded text [%#x, %#llx)",
			       h.header_addr, h.load_addr,
			       (unsigned long long)(h.load_addr + load_size));
	mem_end = (uint64_t)h.load_addr + load_size;
	if (h.bss_end_addr) {
		if (h.bss_end_addr < mem_end)
			return set_err(err, ENOEXEC, "Multiboot bss_end_addr %#x is below the loaded image end %#llx",
				       h.bss_end_addr, (unsigned long long)mem_end);
		mem_end = h.bss_end_addr;
	}
	if (mem_end > LIMIT_4G)
		return set_err(err, ENOEXEC,
			       "Multiboot image [%#x, %#llx) does not fit below 4 GiB",
			       h.load_addr, (unsigned long long)mem_end);
	if (h.entry_addr < h.load_addr || h.entry_addr >= mem_end)
		return set_err(err, ENOEXEC, "Multiboot entry_addr %#x lies outside the image [%#x, %#llx)",
			       h.entry_addr, h.load_addr, (unsigned long long)mem_end);
	mi->aout_kludge = 1;
	mi->nsegs = 1;
	mi->load_start = h.load_addr;
	mi->load_end = mem_end;
	mi->entry = h.entry_addr;
	return 0;
}

/* --- ELF32 and ELF64, read into one form --- */

struct elf_file {
	int class;              /* ELFCLASS32 or ELFCLASS64 */
	uint64_t entry;
	uint64_t phoff;
	unsigned int phnum, phentsize;
};

struct elf_seg {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/*
 * The ELF header of an x86 executable, its program headers inside the
 * file: 0 and *ef, or -ENOEXEC.
 */
/*
 * The fields elf_open() needs from an ELF header of type T (Elf32_Ehdr or
 * Elf64_Ehdr), into type, machine and ef; returns from the caller if the
 * file is shorter than the header.
 */
#define READ_EHDR(T)                                                              \
	do {                                                                      \
		T eh_;                                                            \
		if (len < sizeof(eh_))                                            \
			return set_err(err, ENOEXEC, "ELF header is truncated (%zu bytes)", \
				       len);                                      \
		memcpy(&eh_, img, sizeof(eh_));                                   \
		type = eh_.e_type;                                                \
		machine = eh_.e_machine;                                          \
		ef->entry = eh_.e_entry;                                          \
		ef->phoff = eh_.e_phoff;                                          \
		ef->phnum = eh_.e_phnum;                                          \
		ef->phentsize = eh_.e_phentsize;                                  \
	} while (0)

static int elf_open(const uint8_t *img, size_t len, struct elf_file *ef,
		    struct kvmini_error *err)
{
	uint16_t type, machine;
	uint64_t ph_size;
	size_t min_phent;
	int ok_machine;

	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
		return set_err(err, ENOEXEC,
			       "Multiboot kernel has no address fields (header flag bit 16) and is not an ELF file");
	if (img[EI_DATA] != ELFDATA2LSB)
		return set_err(err, ENOEXEC, "Multiboot ELF kernel is not little-endian");
	memset(ef, 0, sizeof(*ef));
	ef->class = img[EI_CLASS];
	if (ef->class == ELFCLASS32) {
		READ_EHDR(Elf32_Ehdr);
		ok_machine = machine == EM_386 || machine == EM_X86_64;
		min_phent = sizeof(Elf32_Phdr);
	} else if (ef->class == ELFCLASS64) {
		READ_EHDR(Elf64_Ehdr);
		ok_machine = machine == EM_X86_64;
		min_phent = sizeof(Elf64_Phdr);
	} else {
		return set_err(err, ENOEXEC, "Multiboot ELF kernel has unknown class %u (not ELF32 or ELF64)",
			       img[EI_CLASS]);
	}
	if (!ok_machine)
		return set_err(err, ENOEXEC,
			       "Multiboot ELF%s kernel is for machine %u, not %s",
			       ef->class == ELFCLASS32 ? "32" : "64", machine,
			       ef->class == ELFCLASS32 ? "x86 (EM_386 or EM_X86_64)"
						       : "x86-64 (EM_X86_64)");
	if (ef->phentsize < min_phent)
		return set_err(err, ENOEXEC, "ELF program header entries are %u bytes, less than %zu",
			       ef->phentsize, min_phent);
	if (type != ET_EXEC)
		return set_err(err, ENOEXEC, "Multiboot ELF kernel is not an executable (e_type %u)",
			       type);
	if (ef->phnum == 0)
		return set_err(err, ENOEXEC, "Multiboot ELF kernel has no program headers");
	ph_size = (uint64_t)ef->phnum * ef->phentsize;   /* < 2^32: no overflow */
	if (ef->phoff > len || ph_size > len - ef->phoff)
		return set_err(err, ENOEXEC,
			       "ELF program headers (%u of %u bytes at offset %#llx) lie outside the file of %zu bytes: truncated?",
			       ef->phnum, ef->phentsize, (unsigned long long)ef->phoff, len);
	return 0;
}

/* Program header i of a file elf_open() accepted. */
static void elf_seg_get(const uint8_t *img, const struct elf_file *ef, unsigned int i,
			struct elf_seg *s)
{
	const uint8_t *p = img + ef->phoff + (uint64_t)i * ef->phentsize;

	if (ef->class == ELFCLASS32) {
		Elf32_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*s = (struct elf_seg){ .type = ph.p_type, .offset = ph.p_offset,
				       .vaddr = ph.p_vaddr, .paddr = ph.p_paddr,
				       .filesz = ph.p_filesz, .memsz = ph.p_memsz,
				       .align = ph.p_align };
	} else {
		Elf64_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*s = (struct elf_seg){ .type = ph.p_type, .offset = ph.p_offset,
				       .vaddr = ph.p_vaddr, .paddr = ph.p_paddr,
				       .filesz = ph.p_filesz, .memsz = ph.p_memsz,
				       .align = ph.p_align };
	}
}

/* Checks of one PT_LOAD segment against the file and the 32-bit space. */
static int seg_check(const struct elf_seg *s, unsigned int i, size_t len,
		     struct kvmini_error *err)
{
	if (s->filesz > s->memsz)
		return set_err(err, ENOEXEC,
			       "ELF segment %u: file size %#llx exceeds memory size %#llx",
			       i, (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->offset > len || s->filesz > len - s->offset)
		return set_err(err, ENOEXEC,
			       "ELF segment %u lies outside the file (offset %#llx, %llu bytes; file has %zu): truncated?",
			       i, (unsigned long long)s->offset,
			       (unsigned long long)s->filesz, len);
	if (s->paddr > LIMIT_4G || s->memsz > LIMIT_4G - s->paddr)
		return set_err(err, ENOEXEC,
			       "ELF segment %u at physical %#llx (%llu bytes) does not fit below 4 GiB",
			       i, (unsigned long long)s->paddr,
			       (unsigned long long)s->memsz);
	return 0;
}

static int parse_elf(const uint8_t *img, size_t len, struct multiboot_image *mi,
		     struct kvmini_error *err)
{
	struct { uint64_t start, end; unsigned int idx; } seen[MB_SEGMENTS_MAX];
	uint64_t lo = UINT64_MAX, hi = 0, entry = 0;
	unsigned int i, j, n = 0;
	int found = 0, r;
	struct elf_file ef;
	struct elf_seg s;

	r = elf_open(img, len, &ef, err);
	if (r)
		return r;
	for (i = 0; i < ef.phnum; i++) {
		elf_seg_get(img, &ef, i, &s);
		if (s.type != PT_LOAD)
			continue;
		r = seg_check(&s, i, len, err);
		if (r)
			return r;
		if (s.memsz == 0)
			continue;
		if (n == MB_SEGMENTS_MAX)
			return set_err(err, ENOEXEC, "Multiboot ELF kernel has more than %u loadable segments",
				       MB_SEGMENTS_MAX);
		for (j = 0; j < n; j++)
			if (s.paddr < seen[j].end && seen[j].start < s.paddr + s.memsz)
				return set_err(err, ENOEXEC,
					       "ELF segments %u and %u overlap in physical memory ([%#llx, %#llx) and [%#llx, %#llx))",
					       seen[j].idx, i, (unsigned long long)seen[j].start,
					       (unsigned long long)seen[j].end,
					       (unsigned long long)s.paddr,
					       (unsigned long long)(s.paddr + s.memsz));
		seen[n].start = s.paddr;
		seen[n].end = s.paddr + s.memsz;
		seen[n].idx = i;
		n++;
		if (s.paddr < lo)
			lo = s.paddr;
		if (s.paddr + s.memsz > hi)
			hi = s.paddr + s.memsz;
		/* As GRUB: the first segment whose virtual range holds e_entry. */
		if (!found && ef.entry >= s.vaddr && ef.entry - s.vaddr < s.memsz) {
			entry = s.paddr + (ef.entry - s.vaddr);
			found = 1;
		}
	}
	if (n == 0)
		return set_err(err, ENOEXEC, "Multiboot ELF kernel has no loadable segment");
	if (!found)
		return set_err(err, ENOEXEC,
			       "ELF entry point %#llx lies in no loadable segment (no p_vaddr range holds it)",
			       (unsigned long long)ef.entry);
	mi->aout_kludge = 0;
	mi->elf_class = ef.class;
	mi->nsegs = n;
	mi->load_start = lo;
	mi->load_end = hi;
	mi->entry = entry;
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

/* --- the kvmini note --- */

static uint64_t note_pad(uint64_t n, uint64_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* 1 if the notes in [p, p + size) hold KVMINI_NOTE_NAME / KVMINI_NOTE_TYPE_FDT. */
static int notes_have_kvmini(const uint8_t *p, uint64_t size, uint64_t align)
{
	static const char name[] = KVMINI_NOTE_NAME;
	uint64_t o = 0;

	while (size - o >= 12) {
		uint64_t namesz = rd32(p + o), descsz = rd32(p + o + 4);
		uint32_t type = rd32(p + o + 8);
		uint64_t name_o = o + 12, desc_o;

		desc_o = name_o + note_pad(namesz, align);   /* < 2^34: no overflow */
		if (desc_o > size || descsz > size - desc_o)
			return 0;
		if (namesz == sizeof(name) && type == KVMINI_NOTE_TYPE_FDT &&
		    !memcmp(p + name_o, name, sizeof(name)))
			return 1;
		o = desc_o + note_pad(descsz, align);
		if (o >= size)
			return 0;
	}
	return 0;
}

int multiboot_wants_fdt(const uint8_t *img, size_t len)
{
	struct elf_file ef;
	struct elf_seg s;
	unsigned int i;

	if (!img || elf_open(img, len, &ef, NULL))
		return 0;
	for (i = 0; i < ef.phnum; i++) {
		elf_seg_get(img, &ef, i, &s);
		if (s.type != PT_NOTE || s.offset > len || s.filesz > len - s.offset)
			continue;
		if (notes_have_kvmini(img + s.offset, s.filesz, s.align == 8 ? 8 : 4))
			return 1;
	}
	return 0;
}

/* --- loading --- */

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

/* Copy what parse accepted; kernel_area() already passed for the whole span. */
static void copy_image(struct guest_mem *m, const uint8_t *img, size_t len,
		       const struct multiboot_image *mi)
{
	struct elf_file ef;
	struct elf_seg s;
	unsigned int i;
	uint8_t *dst;

	if (mi->aout_kludge) {
		struct mb_header h;
		uint64_t text_off, size;

		memcpy(&h, img + mi->header_offset, sizeof(h));
		kludge_range(&h, len, mi->header_offset, &text_off, &size);
		dst = gmem_ptr(m, mi->load_start, mi->load_end - mi->load_start);
		memcpy(dst, img + text_off, size);
		memset(dst + size, 0, mi->load_end - mi->load_start - size);
		return;
	}
	if (elf_open(img, len, &ef, NULL))
		return;
	for (i = 0; i < ef.phnum; i++) {
		elf_seg_get(img, &ef, i, &s);
		if (s.type != PT_LOAD || s.memsz == 0)
			continue;
		dst = gmem_ptr(m, s.paddr, s.memsz);
		memcpy(dst, img + s.offset, s.filesz);
		memset(dst + s.filesz, 0, s.memsz - s.filesz);
	}
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

/* Where the modules go, worked out before anything is written. */
struct mod_plan {
	uint64_t base, total;        /* the non-FDT modules: [base, base + total) */
	uint64_t strs;               /* bytes of module strings */
	int fdt;                     /* index of the FDT module, -1 if none */
};

static int plan_modules(struct guest_mem *m, const struct multiboot_image *mi,
			const struct multiboot_module *mods, unsigned int nmods,
			struct mod_plan *p, struct kvmini_error *err)
{
	uint64_t low_end = gmem_low_end(m);
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->fdt = -1;
	if (nmods && !mods)
		return set_err(err, EINVAL, "%u modules given without their list", nmods);
	if (nmods > MB_MODULES_MAX)
		return set_err(err, E2BIG, "%u modules given; a Multiboot kernel takes at most %u",
			       nmods, MB_MODULES_MAX);
	for (i = 0; i < nmods; i++) {
		const struct multiboot_module *d = &mods[i];
		const char *s = d->string ? d->string : "";

		if (d->len && !d->data)
			return set_err(err, EINVAL, "module %u (%s) has no contents", i, s);
		p->strs += strlen(s) + 1;
		if (p->strs > MB_INFO_MAX - OFF_STRS)
			return set_err(err, E2BIG,
				       "module strings take more than the %llu bytes of the Multiboot information area",
				       (unsigned long long)(MB_INFO_MAX - OFF_STRS));
		if (d->fdt) {
			if (p->fdt >= 0)
				return set_err(err, EINVAL, "modules %d and %u are both the device tree",
					       p->fdt, i);
			if (d->len > MB_FDT_MAX)
				return set_err(err, E2BIG, "device tree is %zu bytes; the limit is %llu",
					       d->len, (unsigned long long)MB_FDT_MAX);
			if (!gmem_ptr(m, MB_FDT_ADDR, MB_FDT_MAX))
				return set_err(err, EFAULT, "guest RAM does not cover the device tree area");
			p->fdt = (int)i;
			continue;
		}
		if (d->len > LIMIT_4G)
			return set_err(err, ENOMEM, "module %u (%s) is %zu bytes, more than fits below 4 GiB",
				       i, s, d->len);
		p->total += ALIGN_UP((uint64_t)d->len, MB_MODULE_ALIGN);  /* < 2^39: no overflow */
	}
	if (p->total == 0)
		return 0;
	/* After the kernel, or else between 1 MiB and the kernel. */
	p->base = ALIGN_UP(mi->load_end, MB_MODULE_ALIGN);
	if (p->base <= low_end && p->total <= low_end - p->base && gmem_ptr(m, p->base, p->total))
		return 0;
	p->base = HIGH_MEM_START;
	if (mi->load_start >= HIGH_MEM_START && p->total <= mi->load_start - HIGH_MEM_START &&
	    gmem_ptr(m, p->base, p->total))
		return 0;
	return set_err(err, ENOMEM,
		       "the kernel ([%#llx, %#llx)) and its modules (%llu KiB) do not fit in guest RAM below %llu MiB; raise --mem",
		       (unsigned long long)mi->load_start, (unsigned long long)mi->load_end,
		       (unsigned long long)(p->total / KiB), (unsigned long long)(low_end / MiB));
}

/* Write the modules, their list and strings planned by plan_modules(). */
static void put_modules(struct guest_mem *m, uint8_t *area,
			const struct multiboot_module *mods, unsigned int nmods,
			const struct mod_plan *p, struct mb_info *info,
			struct multiboot_boot *boot)
{
	uint64_t at = p->base, str = OFF_STRS;
	unsigned int i;

	for (i = 0; i < nmods; i++) {
		const struct multiboot_module *d = &mods[i];
		const char *s = d->string ? d->string : "";
		size_t sl = strlen(s) + 1;
		uint64_t start = d->fdt ? MB_FDT_ADDR : at;
		struct mb_module rec = {
			.mod_start = (uint32_t)start,
			.mod_end = (uint32_t)(start + d->len),
			.string = (uint32_t)(MB_INFO_ADDR + str),
		};

		if (d->len)
			memcpy(gmem_ptr(m, start, d->len), d->data, d->len);
		memcpy(area + str, s, sl);
		str += sl;
		memcpy(area + OFF_MODS + (size_t)i * sizeof(rec), &rec, sizeof(rec));
		if (d->fdt) {
			boot->fdt = rec.mod_start;
			boot->fdt_size = (uint32_t)d->len;
			boot->fdt_mod = (uint32_t)(MB_INFO_ADDR + OFF_MODS + i * sizeof(rec));
		} else {
			at += ALIGN_UP((uint64_t)d->len, MB_MODULE_ALIGN);
		}
	}
	if (p->total) {
		boot->mods_start = (uint32_t)p->base;
		boot->mods_end = (uint32_t)(p->base + p->total);
	}
	boot->nmods = nmods;
	if (nmods) {
		info->mods_count = nmods;
		info->mods_addr = (uint32_t)(MB_INFO_ADDR + OFF_MODS);
		info->flags |= MB_INFO_MODS;
	}
}

int multiboot_load(struct guest_mem *m, const uint8_t *img, size_t len,
		   const struct multiboot_module *mods, unsigned int nmods,
		   const char *cmdline, struct multiboot_boot *boot,
		   struct kvmini_error *err)
{
	struct multiboot_image mi;
	struct mod_plan plan;
	struct mb_info info;
	uint8_t *area, *cl;
	size_t cl_len;
	int r = 0;

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
	if (!kernel_area(m, mi.load_start, mi.load_end - mi.load_start, err, &r))
		return r;
	r = plan_modules(m, &mi, mods, nmods, &plan, err);
	if (r)
		return r;

	/* Everything fits: write. */
	copy_image(m, img, len, &mi);
	memset(area, 0, MB_INFO_MAX);
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
	put_modules(m, area, mods, nmods, &plan, &info, boot);
	memcpy(area + OFF_INFO, &info, sizeof(info));

	boot->entry = (uint32_t)mi.entry;
	boot->magic = MB_BOOT_MAGIC;
	boot->info = (uint32_t)(MB_INFO_ADDR + OFF_INFO);
	boot->load_start = mi.load_start;
	boot->load_end = mi.load_end;
	return 0;
}

int multiboot_load_fdt(struct guest_mem *m, const uint8_t *img, size_t len,
		       const char *cmdline, const void *fdt, size_t fdt_len,
		       struct multiboot_boot *boot, struct kvmini_error *err)
{
	struct multiboot_module mod = { .data = fdt, .len = fdt_len,
					.string = KVMINI_FDT_MODULE_STRING, .fdt = 1 };
	unsigned int n = fdt && fdt_len ? 1 : 0;

	return multiboot_load(m, img, len, n ? &mod : NULL, n, cmdline, boot, err);
}

int multiboot_replace_fdt(struct guest_mem *m, struct multiboot_boot *boot,
			  const void *fdt, size_t fdt_len, struct kvmini_error *err)
{
	uint8_t *rec = NULL, *dst;
	struct mb_module mod;

	if (boot->fdt_mod)
		rec = gmem_ptr(m, boot->fdt_mod, sizeof(mod));
	if (!boot->fdt || !rec || !fdt || !fdt_len)
		return set_err(err, EINVAL, "no device tree module to replace");
	if (fdt_len > MB_FDT_MAX)
		return set_err(err, E2BIG, "device tree is %zu bytes; the limit is %llu",
			       fdt_len, (unsigned long long)MB_FDT_MAX);
	dst = gmem_ptr(m, MB_FDT_ADDR, fdt_len);
	if (!dst)
		return set_err(err, EFAULT, "guest RAM does not cover the device tree area");
	memcpy(&mod, rec, sizeof(mod));
	if (mod.mod_start != boot->fdt || boot->fdt != MB_FDT_ADDR)
		return set_err(err, EINVAL, "the module at %#x is not the device tree", boot->fdt_mod);
	memcpy(dst, fdt, fdt_len);
	mod.mod_end = (uint32_t)(MB_FDT_ADDR + fdt_len);
	memcpy(rec, &mod, sizeof(mod));
	boot->fdt_size = (uint32_t)fdt_len;
	return 0;
}
