/*
 * multiboot_images.h - Multiboot 1 kernels built in memory for the loader's
 * tests: ELF32 and ELF64 executables from a list of program headers, the
 * a.out kludge (the header's address fields), ELF notes.
 *
 * An ELF image is laid out as: the ELF header at 0, the program headers
 * right after it, the Multiboot header at MBI_HDR_OFF, then each segment's
 * file bytes from MBI_DATA_OFF on, 16-byte aligned, in order (unless the
 * segment names its own offset). Bytes the builder makes up are
 * mbi_pattern(file offset), so a test can compare guest RAM with the file.
 */
#ifndef KVMINI_TEST_MULTIBOOT_IMAGES_H
#define KVMINI_TEST_MULTIBOOT_IMAGES_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kvmini_guest_abi.h"

#define MBI_HDR_OFF  0xc00u
#define MBI_DATA_OFF 0x1000u
#define MBI_MAX_SEGS 80u

struct mbi_seg {
	uint32_t type;          /* 0: PT_LOAD */
	uint64_t vaddr;         /* 0: paddr */
	uint64_t paddr;
	uint64_t filesz, memsz;
	uint64_t offset;        /* 0: placed by the builder */
	uint64_t align;         /* 0: 0x1000 for PT_LOAD, 4 otherwise */
	const void *data;       /* filesz bytes; NULL: the pattern */
};

struct mbi_elf {
	int class;              /* ELFCLASS32 or ELFCLASS64 */
	uint16_t machine;       /* 0: EM_386 for ELF32, EM_X86_64 for ELF64 */
	uint16_t type;          /* 0: ET_EXEC */
	uint16_t phentsize;     /* 0: the class's */
	uint64_t entry;
	uint32_t mb_flags;      /* Multiboot header flags */
	int no_mb_header;
	const struct mbi_seg *segs;
	unsigned int nsegs;
};

static inline uint8_t mbi_pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + 3);
}

static inline void mbi_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* The 12-byte Multiboot header (magic, flags, checksum) at p. */
static inline void mbi_mb_header(uint8_t *p, uint32_t flags)
{
	mbi_put32(p, MB_HEADER_MAGIC);
	mbi_put32(p + 4, flags);
	mbi_put32(p + 8, 0u - (MB_HEADER_MAGIC + flags));
}

/*
 * mbi_build_elf - write the ELF image e describes into buf (cap bytes,
 * cleared first). Returns its length, or 0 if it would not fit.
 */
static inline size_t mbi_build_elf(uint8_t *buf, size_t cap, const struct mbi_elf *e)
{
	uint64_t off = MBI_DATA_OFF, end = MBI_DATA_OFF, o;
	uint64_t offs[MBI_MAX_SEGS];
	int is64 = e->class == ELFCLASS64;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = e->phentsize ? e->phentsize
				     : is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	unsigned int i;

	if (e->nsegs > MBI_MAX_SEGS || ehsize + e->nsegs * phsize > MBI_HDR_OFF)
		return 0;
	for (i = 0; i < e->nsegs; i++) {
		const struct mbi_seg *s = &e->segs[i];

		offs[i] = s->offset ? s->offset : off;
		if (!s->offset) {
			off = (off + s->filesz + 15) & ~15ULL;
			if (offs[i] + s->filesz > end)
				end = offs[i] + s->filesz;
		}
	}
	if (end > cap)
		return 0;
	memset(buf, 0, cap);
	for (o = MBI_DATA_OFF; o < end; o++)
		buf[o] = mbi_pattern(o);
	memcpy(buf, ELFMAG, SELFMAG);
	buf[EI_CLASS] = (uint8_t)e->class;
	buf[EI_DATA] = ELFDATA2LSB;
	buf[EI_VERSION] = EV_CURRENT;
	if (is64) {
		Elf64_Ehdr h;

		memcpy(&h, buf, sizeof(h));
		h.e_type = e->type ? e->type : ET_EXEC;
		h.e_machine = e->machine ? e->machine : EM_X86_64;
		h.e_version = EV_CURRENT;
		h.e_entry = e->entry;
		h.e_phoff = sizeof(h);
		h.e_ehsize = sizeof(h);
		h.e_phentsize = (uint16_t)phsize;
		h.e_phnum = (uint16_t)e->nsegs;
		memcpy(buf, &h, sizeof(h));
	} else {
		Elf32_Ehdr h;

		memcpy(&h, buf, sizeof(h));
		h.e_type = e->type ? e->type : ET_EXEC;
		h.e_machine = e->machine ? e->machine : EM_386;
		h.e_version = EV_CURRENT;
		h.e_entry = (uint32_t)e->entry;
		h.e_phoff = sizeof(h);
		h.e_ehsize = sizeof(h);
		h.e_phentsize = (uint16_t)phsize;
		h.e_phnum = (uint16_t)e->nsegs;
		memcpy(buf, &h, sizeof(h));
	}
	for (i = 0; i < e->nsegs; i++) {
		const struct mbi_seg *s = &e->segs[i];
		uint32_t type = s->type ? s->type : PT_LOAD;
		uint64_t align = s->align ? s->align : type == PT_LOAD ? 0x1000 : 4;
		uint64_t vaddr = s->vaddr ? s->vaddr : s->paddr;
		uint8_t *ph = buf + ehsize + i * phsize;

		if (is64) {
			Elf64_Phdr p = { .p_type = type, .p_flags = PF_R | PF_W | PF_X,
					 .p_offset = offs[i], .p_vaddr = vaddr,
					 .p_paddr = s->paddr, .p_filesz = s->filesz,
					 .p_memsz = s->memsz, .p_align = align };

			memcpy(ph, &p, sizeof(p));
		} else {
			Elf32_Phdr p = { .p_type = type, .p_flags = PF_R | PF_W | PF_X,
					 .p_offset = (uint32_t)offs[i],
					 .p_vaddr = (uint32_t)vaddr,
					 .p_paddr = (uint32_t)s->paddr,
					 .p_filesz = (uint32_t)s->filesz,
					 .p_memsz = (uint32_t)s->memsz,
					 .p_align = (uint32_t)align };

			memcpy(ph, &p, sizeof(p));
		}
		if (s->data && offs[i] + s->filesz <= end)
			memcpy(buf + offs[i], s->data, s->filesz);
	}
	if (!e->no_mb_header)
		mbi_mb_header(buf + MBI_HDR_OFF, e->mb_flags);
	return end;
}

/*
 * mbi_build_kludge - a len-byte image whose Multiboot header at hdr_off
 * uses the address fields: the file from offset 0 is the text, loaded at
 * load (header_addr = load + hdr_off). Other bytes are the pattern.
 */
static inline void mbi_build_kludge(uint8_t *buf, size_t len, size_t hdr_off, uint32_t flags,
				    uint32_t load, uint32_t load_end, uint32_t bss_end,
				    uint32_t entry)
{
	struct mb_header h = {
		.magic = MB_HEADER_MAGIC,
		.flags = flags | MB_FLAG_AOUT_KLUDGE,
		.header_addr = load + (uint32_t)hdr_off,
		.load_addr = load,
		.load_end_addr = load_end,
		.bss_end_addr = bss_end,
		.entry_addr = entry,
	};
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = mbi_pattern(i);
	h.checksum = 0u - (h.magic + h.flags);
	memcpy(buf + hdr_off, &h, sizeof(h));
}

/*
 * mbi_note - one ELF note (name with its NUL, type, desc) at p, name and
 * desc padded to 4 bytes. Returns its length.
 */
static inline size_t mbi_note(uint8_t *p, const char *name, uint32_t type,
			      const void *desc, uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	size_t o = 12;

	mbi_put32(p, namesz);
	mbi_put32(p + 4, descsz);
	mbi_put32(p + 8, type);
	memset(p + o, 0, (namesz + 3) & ~3u);
	memcpy(p + o, name, namesz);
	o += (namesz + 3) & ~3u;
	memset(p + o, 0, (descsz + 3) & ~3u);
	if (descsz)
		memcpy(p + o, desc, descsz);
	return o + ((descsz + 3) & ~3u);
}

#endif
