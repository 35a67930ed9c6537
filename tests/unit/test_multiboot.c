/*
 * test_multiboot.c - the Multiboot 1 loader on crafted images: missing or
 * damaged headers, truncation, images outside RAM or below 1 MiB, address
 * arithmetic that wraps, ELF64 program headers; a valid image and the
 * information it gets (memory, map, command line, FDT module); the FDT
 * module replaced once the devices exist; every
 * truncation of a valid image; the guest/ image when it has been built.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/layout.h"
#include "vmm/multiboot.h"

#define RAM      (16 * MiB)
#define HDR_OFF  0x40u
#define LOAD     0x100000u
#define TEXT     0x2000u      /* bytes loaded from the file */
#define BSS      0x3000u
#define IMG_LEN  (HDR_OFF + TEXT)

static uint8_t img[IMG_LEN];
static uint8_t *ram;
static struct guest_mem mem;
static struct kvmini_error err;

static void setup(void)
{
	ram = calloc(1, RAM);
	cr_assert_not_null(ram);
	gmem_init_buffer(&mem, ram, RAM);
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	free(ram);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* An image whose header at HDR_OFF uses the address fields: the file from
 * offset 0 is loaded at LOAD - HDR_OFF... simpler: load_addr = header_addr
 * - HDR_OFF so the whole file is the text. */
static void make_kludge(uint32_t flags, uint32_t load, uint32_t load_end,
			uint32_t bss_end, uint32_t entry)
{
	struct mb_header h = {
		.magic = MB_HEADER_MAGIC,
		.flags = flags | MB_FLAG_AOUT_KLUDGE,
		.header_addr = load + HDR_OFF,
		.load_addr = load,
		.load_end_addr = load_end,
		.bss_end_addr = bss_end,
		.entry_addr = entry,
	};
	size_t i;

	for (i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 3);
	h.checksum = 0u - (h.magic + h.flags);
	memcpy(img + HDR_OFF, &h, sizeof(h));
}

static void make_valid(void)
{
	make_kludge(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO, LOAD, LOAD + IMG_LEN,
		    LOAD + IMG_LEN + BSS, LOAD + HDR_OFF + 0x20);
}

static int load(size_t len, const char *cmdline, const void *fdt, size_t fdt_len,
		struct multiboot_boot *b)
{
	return multiboot_load(&mem, img, len, cmdline, fdt, fdt_len, b, &err);
}

TestSuite(multiboot, .init = setup, .fini = teardown);

Test(multiboot, no_header)
{
	struct multiboot_boot b;

	memset(img, 0, sizeof(img));
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	cr_assert(strstr(err.msg, "no header"), "%s", err.msg);
	cr_assert_eq(multiboot_load(&mem, NULL, 0, NULL, NULL, 0, &b, &err), -ENOEXEC);
	cr_assert_eq(load(0, NULL, NULL, 0, &b), -ENOEXEC);
}

Test(multiboot, bad_checksum)
{
	struct multiboot_boot b;

	make_valid();
	img[HDR_OFF + 8] ^= 1;
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	cr_assert(strstr(err.msg, "checksum"), "%s", err.msg);
}

Test(multiboot, header_must_be_in_first_8k_and_aligned)
{
	static uint8_t big[16384];
	struct multiboot_image mi;
	uint32_t h[3] = { MB_HEADER_MAGIC, 0, 0u - MB_HEADER_MAGIC };

	memcpy(big + 8192, h, sizeof(h));
	cr_assert_eq(multiboot_parse(big, sizeof(big), &mi, &err), -ENOEXEC);
	memset(big, 0, sizeof(big));
	memcpy(big + 0x102, h, sizeof(h));   /* not 4-byte aligned */
	cr_assert_eq(multiboot_parse(big, sizeof(big), &mi, &err), -ENOEXEC);
}

Test(multiboot, refuses_video_mode_and_unknown_required_flags)
{
	struct multiboot_boot b;

	make_kludge(MB_FLAG_VIDEO_MODE, LOAD, 0, 0, LOAD + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	cr_assert(strstr(err.msg, "video"), "%s", err.msg);
	make_kludge(0x100, LOAD, 0, 0, LOAD + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	cr_assert(strstr(err.msg, "features"), "%s", err.msg);
}

Test(multiboot, truncated)
{
	struct multiboot_boot b;

	/* Address fields cut off by the end of the file. */
	make_valid();
	cr_assert_eq(load(HDR_OFF + 16, NULL, NULL, 0, &b), -ENOEXEC);
	cr_assert(strstr(err.msg, "truncated"), "%s", err.msg);
	/* load_end_addr promises more than the file holds. */
	make_kludge(0, LOAD, LOAD + IMG_LEN + 1, 0, LOAD + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	cr_assert(strstr(err.msg, "truncated"), "%s", err.msg);
}

Test(multiboot, inconsistent_addresses)
{
	struct multiboot_boot b;

	make_kludge(0, LOAD, LOAD + IMG_LEN, LOAD + 16, LOAD + HDR_OFF);  /* bss below end */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	make_kludge(0, LOAD, LOAD, 0, LOAD + HDR_OFF);   /* load_end == load */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	make_kludge(0, LOAD, 0, 0, LOAD + 0x10000);      /* entry outside */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	cr_assert(strstr(err.msg, "entry"), "%s", err.msg);
	/* header_addr - load_addr larger than the header's file offset. */
	make_kludge(0, LOAD, 0, 0, LOAD + HDR_OFF);
	put32(img + HDR_OFF + 16, LOAD - 0x1000);        /* load_addr */
	put32(img + HDR_OFF + 8, 0u - (MB_HEADER_MAGIC + MB_FLAG_AOUT_KLUDGE));
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
}

Test(multiboot, outside_ram_or_below_1m)
{
	struct multiboot_boot b;

	make_kludge(0, 0x8000, 0, 0, 0x8000 + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -EINVAL);
	cr_assert(strstr(err.msg, "below 1 MiB"), "%s", err.msg);
	make_kludge(0, 32 * MiB, 0, 0, 32 * MiB + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOMEM);
	cr_assert(strstr(err.msg, "outside guest RAM"), "%s", err.msg);
	/* Starts in RAM, bss runs past its end. */
	make_kludge(0, LOAD, 0, RAM + 4096, LOAD + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOMEM);
	/* The very top of the 32-bit space: no wrap-around. */
	make_kludge(0, 0xfffff000u, 0, 0xffffffffu, 0xfffff000u + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC, "%s", err.msg);
	make_kludge(0, 0xfffff000u, 0, 0, 0xfffff000u + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOMEM, "%s", err.msg);
	/* Nothing was written. */
	cr_assert_eq(ram[LOAD], 0);
}

Test(multiboot, valid_image_and_info)
{
	static const uint8_t fdt[] = { 0xd0, 0x0d, 0xfe, 0xed, 1, 2, 3, 4 };
	const struct mb_mmap_entry *e;
	const struct mb_module *mod;
	struct multiboot_boot b;
	struct mb_info info;
	uint64_t ram_seen = 0;
	uint32_t off;
	size_t i;

	make_valid();
	memset(ram + LOAD + IMG_LEN, 0xaa, BSS);    /* bss must be cleared */
	cr_assert_eq(load(sizeof(img), "workload=cpu reps=2", fdt, sizeof(fdt), &b), 0,
		     "%s", err.msg);
	cr_assert_eq(b.entry, LOAD + HDR_OFF + 0x20);
	cr_assert_eq(b.magic, 0x2BADB002u);
	cr_assert_eq(b.info, MB_INFO_ADDR);
	cr_assert_eq(b.load_start, LOAD);
	cr_assert_eq(b.load_end, LOAD + IMG_LEN + BSS);
	cr_assert_eq(memcmp(ram + LOAD, img, sizeof(img)), 0);
	for (i = 0; i < BSS; i++)
		cr_assert_eq(ram[LOAD + IMG_LEN + i], 0, "bss byte %zu", i);

	memcpy(&info, ram + b.info, sizeof(info));
	cr_assert_eq(info.flags & (MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS |
				   MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME),
		     MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP |
		     MB_INFO_LOADER_NAME);
	cr_assert_eq(info.mem_lower, EBDA_START / 1024);
	cr_assert_eq(info.mem_upper, (RAM - MiB) / 1024);
	cr_assert_str_eq((const char *)ram + info.cmdline, "workload=cpu reps=2");
	cr_assert_str_eq((const char *)ram + info.boot_loader_name, "kvmini");

	cr_assert_eq(info.mods_count, 1);
	mod = (const struct mb_module *)(ram + info.mods_addr);
	cr_assert_eq(mod->mod_start, MB_FDT_ADDR);
	cr_assert_eq(mod->mod_start % 4096, 0, "modules page-aligned");
	cr_assert_eq(mod->mod_end - mod->mod_start, sizeof(fdt));
	cr_assert_str_eq((const char *)ram + mod->string, "fdt");
	cr_assert_eq(memcmp(ram + mod->mod_start, fdt, sizeof(fdt)), 0);
	cr_assert_eq(b.fdt, MB_FDT_ADDR);

	cr_assert_gt(info.mmap_length, 0);
	for (off = 0; off < info.mmap_length; off += e->size + 4) {
		e = (const struct mb_mmap_entry *)(ram + info.mmap_addr + off);
		cr_assert_eq(e->size, 20);
		if (e->type == MB_MMAP_RAM)
			ram_seen += e->len;
	}
	cr_assert_eq(off, info.mmap_length);
	cr_assert_leq(ram_seen, RAM);
	cr_assert_gt(ram_seen, RAM - MiB);
}

Test(multiboot, no_fdt_no_module_and_limits)
{
	struct multiboot_boot b;
	struct mb_info info;
	char *long_cl;

	make_valid();
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), 0, "%s", err.msg);
	memcpy(&info, ram + b.info, sizeof(info));
	cr_assert_eq(info.flags & MB_INFO_MODS, 0);
	cr_assert_eq(info.mods_count, 0);
	cr_assert_str_eq((const char *)ram + info.cmdline, "");
	cr_assert_eq(b.fdt, 0);

	long_cl = malloc(MB_CMDLINE_MAX + 1);
	memset(long_cl, 'a', MB_CMDLINE_MAX);
	long_cl[MB_CMDLINE_MAX] = '\0';
	cr_assert_eq(load(sizeof(img), long_cl, NULL, 0, &b), -E2BIG);
	free(long_cl);
	cr_assert_eq(load(sizeof(img), NULL, ram, MB_FDT_MAX + 1, &b), -E2BIG);
}

Test(multiboot, replace_fdt)
{
	static const uint8_t fdt[] = { 0xd0, 0x0d, 0xfe, 0xed, 1, 2, 3, 4 };
	uint8_t bigger[64];
	const struct mb_module *mod;
	struct multiboot_boot b, none;
	struct mb_info info;

	memset(bigger, 0x5a, sizeof(bigger));
	make_valid();
	cr_assert_eq(load(sizeof(img), NULL, fdt, sizeof(fdt), &b), 0, "%s", err.msg);
	cr_assert_eq(multiboot_replace_fdt(&mem, &b, bigger, sizeof(bigger), &err), 0, "%s",
		     err.msg);
	memcpy(&info, ram + b.info, sizeof(info));
	cr_assert_eq(info.mods_count, 1);
	mod = (const struct mb_module *)(ram + info.mods_addr);
	cr_assert_eq(mod->mod_start, MB_FDT_ADDR);
	cr_assert_eq(mod->mod_end - mod->mod_start, sizeof(bigger));
	cr_assert_str_eq((const char *)ram + mod->string, "fdt");
	cr_assert_eq(memcmp(ram + MB_FDT_ADDR, bigger, sizeof(bigger)), 0);
	cr_assert_eq(b.fdt_size, sizeof(bigger));

	cr_assert_eq(multiboot_replace_fdt(&mem, &b, ram, MB_FDT_MAX + 1, &err), -E2BIG);
	cr_assert_eq(multiboot_replace_fdt(&mem, &b, NULL, 0, &err), -EINVAL);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &none), 0, "%s", err.msg);
	cr_assert_eq(multiboot_replace_fdt(&mem, &none, fdt, sizeof(fdt), &err), -EINVAL,
		     "no module to replace");
}

/* ELF64 images without the address fields. */
struct elf_img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t pad[0x100 - sizeof(Elf64_Ehdr) - 2 * sizeof(Elf64_Phdr)];
	uint32_t mb[3];
	uint8_t text[0x200];
};

static void make_elf(struct elf_img *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
	e->eh.e_ident[EI_CLASS] = ELFCLASS64;
	e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e->eh.e_ident[EI_VERSION] = EV_CURRENT;
	e->eh.e_type = ET_EXEC;
	e->eh.e_machine = EM_X86_64;
	e->eh.e_version = EV_CURRENT;
	e->eh.e_entry = 0x200010;
	e->eh.e_phoff = offsetof(struct elf_img, ph);
	e->eh.e_ehsize = sizeof(Elf64_Ehdr);
	e->eh.e_phentsize = sizeof(Elf64_Phdr);
	e->eh.e_phnum = 2;
	e->ph[0].p_type = PT_LOAD;
	e->ph[0].p_offset = offsetof(struct elf_img, mb);
	e->ph[0].p_paddr = e->ph[0].p_vaddr = 0x200000;
	e->ph[0].p_filesz = sizeof(e->mb) + sizeof(e->text);
	e->ph[0].p_memsz = e->ph[0].p_filesz + 0x1000;
	e->ph[1].p_type = PT_NOTE;
	e->mb[0] = MB_HEADER_MAGIC;
	e->mb[1] = MB_FLAG_MEMORY_INFO;
	e->mb[2] = 0u - (MB_HEADER_MAGIC + MB_FLAG_MEMORY_INFO);
	memset(e->text, 0x90, sizeof(e->text));
}

Test(multiboot, elf64_program_headers)
{
	struct elf_img e;
	struct multiboot_boot b;

	make_elf(&e);
	cr_assert_eq(multiboot_load(&mem, (uint8_t *)&e, sizeof(e), NULL, NULL, 0, &b, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(b.entry, 0x200010);
	cr_assert_eq(b.load_start, 0x200000);
	cr_assert_eq(b.load_end, 0x200000 + sizeof(e.mb) + sizeof(e.text) + 0x1000);
	cr_assert_eq(memcmp(ram + 0x200000 + sizeof(e.mb), e.text, sizeof(e.text)), 0);
}

Test(multiboot, elf64_hostile_program_headers)
{
	struct elf_img e;
	struct multiboot_boot b;

	make_elf(&e);
	e.ph[0].p_offset = ~0ULL - 4;   /* offset + filesz wraps */
	cr_assert_eq(multiboot_load(&mem, (uint8_t *)&e, sizeof(e), NULL, NULL, 0, &b, &err),
		     -ENOEXEC);
	make_elf(&e);
	e.ph[0].p_paddr = ~0ULL - 0x10;  /* paddr + memsz wraps */
	cr_assert_eq(multiboot_load(&mem, (uint8_t *)&e, sizeof(e), NULL, NULL, 0, &b, &err),
		     -ENOEXEC);
	make_elf(&e);
	e.ph[0].p_filesz = e.ph[0].p_memsz + 1;
	cr_assert_eq(multiboot_load(&mem, (uint8_t *)&e, sizeof(e), NULL, NULL, 0, &b, &err),
		     -ENOEXEC);
	make_elf(&e);
	e.eh.e_phnum = 0xffff;           /* headers past the end of the file */
	cr_assert_eq(multiboot_load(&mem, (uint8_t *)&e, sizeof(e), NULL, NULL, 0, &b, &err),
		     -ENOEXEC);
	make_elf(&e);
	e.eh.e_machine = EM_386;
	cr_assert_eq(multiboot_load(&mem, (uint8_t *)&e, sizeof(e), NULL, NULL, 0, &b, &err),
		     -ENOEXEC);
	make_elf(&e);
	e.ph[0].p_paddr = 0x20000000;    /* 512 MiB: beyond 16 MiB of RAM */
	cr_assert_eq(multiboot_load(&mem, (uint8_t *)&e, sizeof(e), NULL, NULL, 0, &b, &err),
		     -ENOMEM);
	make_elf(&e);
	e.ph[0].p_paddr = 0x1000;        /* over the boot data */
	cr_assert_eq(multiboot_load(&mem, (uint8_t *)&e, sizeof(e), NULL, NULL, 0, &b, &err),
		     -EINVAL);
}

Test(multiboot, every_truncation_is_handled)
{
	struct multiboot_boot b;
	struct elf_img e;
	size_t len;

	make_valid();
	for (len = 0; len <= sizeof(img); len++) {
		uint8_t *copy = malloc(len ? len : 1);   /* exact size: ASan sees overreads */
		int r;

		memcpy(copy, img, len);
		r = multiboot_load(&mem, copy, len, NULL, NULL, 0, &b, &err);
		cr_assert(r == 0 || r == -ENOEXEC, "len %zu: %d %s", len, r, err.msg);
		free(copy);
	}
	make_elf(&e);
	for (len = 0; len <= sizeof(e); len++) {
		uint8_t *copy = malloc(len ? len : 1);
		int r;

		memcpy(copy, &e, len);
		r = multiboot_load(&mem, copy, len, NULL, NULL, 0, &b, &err);
		cr_assert(r == 0 || r == -ENOEXEC, "elf len %zu: %d %s", len, r, err.msg);
		free(copy);
	}
}

Test(multiboot, guest_image_if_built)
{
	const char *o = getenv("O") ? getenv("O") : "build";
	char path[512];
	struct multiboot_image mi;
	struct multiboot_boot b;
	uint8_t *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/guest/kvmini-guest.elf", o);
	f = fopen(path, "rb");
	if (!f)
		cr_skip_test("%s not built (make guest)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	cr_assert_eq(multiboot_parse(buf, (size_t)n, &mi, &err), 0, "%s", err.msg);
	cr_assert(mi.aout_kludge, "the guest uses the address fields");
	cr_assert_eq(mi.load_start, 0x100000);
	cr_assert_eq(multiboot_load(&mem, buf, (size_t)n, "workload=cpu", NULL, 0, &b, &err), 0,
		     "%s", err.msg);
	cr_assert_geq(b.entry, 0x100000);
	cr_assert_lt(b.entry, b.load_end);
	cr_assert_eq(*(uint32_t *)(ram + 0x100000), MB_HEADER_MAGIC);
	free(buf);
}
