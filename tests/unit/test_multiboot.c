/*
 * test_multiboot.c - the Multiboot 1 loader on crafted images: missing or
 * damaged headers, truncation, images outside RAM or below 1 MiB, address
 * arithmetic that wraps; the a.out kludge, ELF32 and ELF64 kernels
 * (higher-half ones entered at the physical entry, bss zeroed), hostile
 * program headers; the information a kernel gets (memory, map, command
 * line, modules in order with their strings); the FDT module replaced once
 * the devices exist; the kvmini note that marks the project's own guest;
 * every truncation of a valid image; the guest/ image when it has been
 * built.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/layout.h"
#include "vmm/multiboot.h"

#include "multiboot_images.h"

#define RAM      (16 * MiB)
#define HDR_OFF  0x40u
#define LOAD     0x100000u
#define TEXT     0x2000u      /* bytes loaded from the file */
#define BSS      0x3000u
#define IMG_LEN  (HDR_OFF + TEXT)
#define ELF_CAP  0x10000u

static uint8_t img[IMG_LEN];
static uint8_t elf[ELF_CAP];
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

/* An image whose header at HDR_OFF uses the address fields: the whole file
 * is the text, loaded at load (header_addr = load + HDR_OFF). */
static void make_kludge(uint32_t flags, uint32_t load, uint32_t load_end,
			uint32_t bss_end, uint32_t entry)
{
	mbi_build_kludge(img, sizeof(img), HDR_OFF, flags, load, load_end, bss_end, entry);
}

static void make_valid(void)
{
	make_kludge(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO, LOAD, LOAD + IMG_LEN,
		    LOAD + IMG_LEN + BSS, LOAD + HDR_OFF + 0x20);
}

/* The earlier interface: at most one module, the FDT. */
static int load(size_t len, const char *cmdline, const void *fdt, size_t fdt_len,
		struct multiboot_boot *b)
{
	return multiboot_load_fdt(&mem, img, len, cmdline, fdt, fdt_len, b, &err);
}

static int load_elf(size_t len, const struct multiboot_module *mods, unsigned int nmods,
		    struct multiboot_boot *b)
{
	return multiboot_load(&mem, elf, len, mods, nmods, NULL, b, &err);
}

/* The message must be one line with something in it. */
static void assert_msg(const char *want)
{
	cr_assert_gt(strlen(err.msg), 10, "message: '%s'", err.msg);
	cr_assert_null(strchr(err.msg, '\n'), "one line: '%s'", err.msg);
	if (want)
		cr_assert(strstr(err.msg, want), "want '%s' in '%s'", want, err.msg);
}

static struct mb_info get_info(const struct multiboot_boot *b)
{
	struct mb_info info;

	memcpy(&info, ram + b->info, sizeof(info));
	return info;
}

static struct mb_module get_mod(const struct mb_info *info, unsigned int i)
{
	struct mb_module mod;

	memcpy(&mod, ram + info->mods_addr + i * sizeof(mod), sizeof(mod));
	return mod;
}

TestSuite(multiboot, .init = setup, .fini = teardown);

Test(multiboot, no_header)
{
	struct multiboot_boot b;

	memset(img, 0, sizeof(img));
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("no header");
	cr_assert_eq(multiboot_load(&mem, NULL, 0, NULL, 0, NULL, &b, &err), -ENOEXEC);
	cr_assert_eq(load(0, NULL, NULL, 0, &b), -ENOEXEC);
	cr_assert_not(multiboot_has_header(img, sizeof(img)));
	cr_assert_not(multiboot_has_header(NULL, 0));
}

Test(multiboot, bad_checksum)
{
	struct multiboot_boot b;

	make_valid();
	img[HDR_OFF + 8] ^= 1;
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("checksum");
	cr_assert(multiboot_has_header(img, sizeof(img)), "the magic is there");
}

Test(multiboot, header_must_be_in_first_8k_and_aligned)
{
	static uint8_t big[16384];
	struct multiboot_image mi;
	uint32_t h[3] = { MB_HEADER_MAGIC, 0, 0u - MB_HEADER_MAGIC };

	memcpy(big + 8192, h, sizeof(h));
	cr_assert_eq(multiboot_parse(big, sizeof(big), &mi, &err), -ENOEXEC);
	cr_assert_not(multiboot_has_header(big, sizeof(big)));
	memset(big, 0, sizeof(big));
	memcpy(big + 0x102, h, sizeof(h));   /* not 4-byte aligned */
	cr_assert_eq(multiboot_parse(big, sizeof(big), &mi, &err), -ENOEXEC);
	cr_assert_not(multiboot_has_header(big, sizeof(big)));
	memset(big, 0, sizeof(big));
	memcpy(big + 8180, h, sizeof(h));    /* the last place it may be */
	cr_assert(multiboot_has_header(big, sizeof(big)));
	cr_assert_eq(multiboot_parse(big, sizeof(big), &mi, &err), -ENOEXEC);
	assert_msg("not an ELF");
}

Test(multiboot, refuses_video_mode_and_unknown_required_flags)
{
	struct multiboot_boot b;

	make_kludge(MB_FLAG_VIDEO_MODE, LOAD, 0, 0, LOAD + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("video");
	make_kludge(0x100, LOAD, 0, 0, LOAD + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("features");
}

Test(multiboot, truncated)
{
	struct multiboot_boot b;

	/* Address fields cut off by the end of the file. */
	make_valid();
	cr_assert_eq(load(HDR_OFF + 16, NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("truncated");
	/* load_end_addr promises more than the file holds. */
	make_kludge(0, LOAD, LOAD + IMG_LEN + 1, 0, LOAD + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("truncated");
}

Test(multiboot, inconsistent_addresses)
{
	struct multiboot_boot b;

	make_kludge(0, LOAD, LOAD + IMG_LEN, LOAD + 16, LOAD + HDR_OFF);  /* bss below end */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("bss_end_addr");
	make_kludge(0, LOAD, LOAD, 0, LOAD + HDR_OFF);   /* load_end == load */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("load_end_addr");
	make_kludge(0, LOAD, LOAD - 0x1000, 0, LOAD + HDR_OFF);   /* load_end < load */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("load_end_addr");
	make_kludge(0, LOAD, 0, 0, LOAD + 0x10000);      /* entry outside */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("entry");
	/* header_addr - load_addr larger than the header's file offset: the
	 * header would not be inside the file. */
	make_kludge(0, LOAD, 0, 0, LOAD + HDR_OFF);
	put32(img + HDR_OFF + 16, LOAD - 0x1000);        /* load_addr */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("header_addr");
	/* header_addr below load_addr. */
	make_kludge(0, LOAD, 0, 0, LOAD + HDR_OFF);
	put32(img + HDR_OFF + 12, LOAD - 4);             /* header_addr */
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("header_addr");
	/* The loaded text stops before the header. */
	make_kludge(0, LOAD, LOAD + 0x20, LOAD + 0x1000, LOAD + 0x10);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC);
	assert_msg("header_addr");
}

Test(multiboot, outside_ram_or_below_1m)
{
	struct multiboot_boot b;

	make_kludge(0, 0x8000, 0, 0, 0x8000 + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -EINVAL);
	assert_msg("below 1 MiB");
	make_kludge(0, 32 * MiB, 0, 0, 32 * MiB + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOMEM);
	assert_msg("outside guest RAM");
	/* Starts in RAM, bss runs past its end. */
	make_kludge(0, LOAD, 0, RAM + 4096, LOAD + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOMEM);
	/* The very top of the 32-bit space: no wrap-around. */
	make_kludge(0, 0xfffff000u, 0, 0xffffffffu, 0xfffff000u + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC, "%s", err.msg);
	make_kludge(0, 0xfffff000u, 0, 0, 0xfffff000u + HDR_OFF);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), -ENOEXEC, "%s", err.msg);
	assert_msg("4 GiB");
	/* Nothing was written. */
	cr_assert_eq(ram[LOAD], 0);
}

Test(multiboot, valid_image_and_info)
{
	static const uint8_t fdt[] = { 0xd0, 0x0d, 0xfe, 0xed, 1, 2, 3, 4 };
	const struct mb_mmap_entry *e;
	struct multiboot_boot b;
	struct mb_module mod;
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

	info = get_info(&b);
	cr_assert_eq(info.flags & (MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS |
				   MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME),
		     MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP |
		     MB_INFO_LOADER_NAME);
	cr_assert_eq(info.mem_lower, EBDA_START / 1024);
	cr_assert_eq(info.mem_upper, (RAM - MiB) / 1024);
	cr_assert_str_eq((const char *)ram + info.cmdline, "workload=cpu reps=2");
	cr_assert_str_eq((const char *)ram + info.boot_loader_name, "kvmini");

	cr_assert_eq(info.mods_count, 1);
	cr_assert_eq(b.nmods, 1);
	mod = get_mod(&info, 0);
	cr_assert_eq(mod.mod_start, MB_FDT_ADDR);
	cr_assert_eq(mod.mod_start % 4096, 0, "modules page-aligned");
	cr_assert_eq(mod.mod_end - mod.mod_start, sizeof(fdt));
	cr_assert_str_eq((const char *)ram + mod.string, "fdt");
	cr_assert_eq(memcmp(ram + mod.mod_start, fdt, sizeof(fdt)), 0);
	cr_assert_eq(b.fdt, MB_FDT_ADDR);
	cr_assert_eq(b.mods_start, 0, "the FDT is not among the modules after the kernel");

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

Test(multiboot, memory_map_is_sane)
{
	struct multiboot_boot b;
	struct mb_info info;
	uint64_t prev_end = 0, ram_low = 0;
	uint32_t off;
	int saw_ebda = 0;

	make_valid();
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), 0, "%s", err.msg);
	info = get_info(&b);
	cr_assert_eq(info.mmap_length % sizeof(struct mb_mmap_entry), 0);
	for (off = 0; off < info.mmap_length; off += sizeof(struct mb_mmap_entry)) {
		struct mb_mmap_entry e;

		memcpy(&e, ram + info.mmap_addr + off, sizeof(e));
		cr_assert_gt(e.len, 0);
		cr_assert_geq(e.addr, prev_end, "sorted and disjoint");
		prev_end = e.addr + e.len;
		if (e.type == MB_MMAP_RAM && e.addr == 0)
			ram_low = e.len;
		if (e.type != MB_MMAP_RAM && e.addr <= EBDA_START && prev_end > EBDA_START)
			saw_ebda = 1;
		if (e.type == MB_MMAP_RAM) {
			/* RAM stays clear of [EBDA, 1 MiB); the kernel lies
			 * in the RAM from 1 MiB. */
			cr_assert(e.addr + e.len <= EBDA_START || e.addr >= HIGH_MEM_START);
			if (e.addr >= HIGH_MEM_START)
				cr_assert(e.addr <= LOAD && e.addr + e.len >= b.load_end);
		}
	}
	cr_assert(saw_ebda, "the EBDA and BIOS area are reserved");
	cr_assert_eq(ram_low / 1024, info.mem_lower);
	cr_assert_leq(info.mem_lower, 640);
	cr_assert_eq((uint64_t)info.mem_upper * 1024 + MiB, RAM);
}

Test(multiboot, no_fdt_no_module_and_limits)
{
	struct multiboot_boot b;
	struct mb_info info;
	char *long_cl;

	make_valid();
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &b), 0, "%s", err.msg);
	info = get_info(&b);
	cr_assert_eq(info.flags & MB_INFO_MODS, 0);
	cr_assert_eq(info.mods_count, 0);
	cr_assert_str_eq((const char *)ram + info.cmdline, "");
	cr_assert_eq(b.fdt, 0);
	cr_assert_eq(b.nmods, 0);

	long_cl = malloc(MB_CMDLINE_MAX + 1);
	memset(long_cl, 'a', MB_CMDLINE_MAX);
	long_cl[MB_CMDLINE_MAX] = '\0';
	cr_assert_eq(load(sizeof(img), long_cl, NULL, 0, &b), -E2BIG);
	assert_msg("command line");
	free(long_cl);
	cr_assert_eq(load(sizeof(img), NULL, ram, MB_FDT_MAX + 1, &b), -E2BIG);
	assert_msg("device tree");
}

Test(multiboot, replace_fdt)
{
	static const uint8_t fdt[] = { 0xd0, 0x0d, 0xfe, 0xed, 1, 2, 3, 4 };
	uint8_t bigger[64];
	struct multiboot_boot b, none;
	struct mb_module mod;
	struct mb_info info;

	memset(bigger, 0x5a, sizeof(bigger));
	make_valid();
	cr_assert_eq(load(sizeof(img), NULL, fdt, sizeof(fdt), &b), 0, "%s", err.msg);
	cr_assert_eq(multiboot_replace_fdt(&mem, &b, bigger, sizeof(bigger), &err), 0, "%s",
		     err.msg);
	info = get_info(&b);
	cr_assert_eq(info.mods_count, 1);
	mod = get_mod(&info, 0);
	cr_assert_eq(mod.mod_start, MB_FDT_ADDR);
	cr_assert_eq(mod.mod_end - mod.mod_start, sizeof(bigger));
	cr_assert_str_eq((const char *)ram + mod.string, "fdt");
	cr_assert_eq(memcmp(ram + MB_FDT_ADDR, bigger, sizeof(bigger)), 0);
	cr_assert_eq(b.fdt_size, sizeof(bigger));

	cr_assert_eq(multiboot_replace_fdt(&mem, &b, ram, MB_FDT_MAX + 1, &err), -E2BIG);
	cr_assert_eq(multiboot_replace_fdt(&mem, &b, NULL, 0, &err), -EINVAL);
	cr_assert_eq(load(sizeof(img), NULL, NULL, 0, &none), 0, "%s", err.msg);
	cr_assert_eq(multiboot_replace_fdt(&mem, &none, fdt, sizeof(fdt), &err), -EINVAL,
		     "no module to replace");
	assert_msg("no device tree");
}

Test(multiboot, replace_fdt_among_modules)
{
	static const uint8_t fdt[] = { 0xd0, 0x0d, 0xfe, 0xed, 1, 2, 3, 4 };
	static const uint8_t initrd[5000] = { 1, 2, 3 };
	uint8_t bigger[300];
	const struct multiboot_module mods[] = {
		{ .data = initrd, .len = sizeof(initrd), .string = "initrd.img" },
		{ .data = fdt, .len = sizeof(fdt), .string = KVMINI_FDT_MODULE_STRING, .fdt = 1 },
	};
	struct multiboot_boot b;
	struct mb_module m0, m1;
	struct mb_info info;

	memset(bigger, 0x77, sizeof(bigger));
	make_valid();
	cr_assert_eq(multiboot_load(&mem, img, sizeof(img), mods, 2, "x", &b, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(multiboot_replace_fdt(&mem, &b, bigger, sizeof(bigger), &err), 0, "%s",
		     err.msg);
	info = get_info(&b);
	cr_assert_eq(info.mods_count, 2);
	m0 = get_mod(&info, 0);
	m1 = get_mod(&info, 1);
	cr_assert_str_eq((const char *)ram + m0.string, "initrd.img");
	cr_assert_eq(m0.mod_end - m0.mod_start, sizeof(initrd), "the initrd is untouched");
	cr_assert_eq(memcmp(ram + m0.mod_start, initrd, sizeof(initrd)), 0);
	cr_assert_eq(m1.mod_start, MB_FDT_ADDR);
	cr_assert_eq(m1.mod_end, MB_FDT_ADDR + sizeof(bigger));
	cr_assert_eq(memcmp(ram + MB_FDT_ADDR, bigger, sizeof(bigger)), 0);
}

/* --- ELF kernels --- */

/* An ELF64 kernel: one segment at 2 MiB with bss, a PT_NOTE. */
static size_t make_elf64(struct mbi_seg *segs)
{
	struct mbi_elf e = { .class = ELFCLASS64, .entry = 0x200010,
			     .mb_flags = MB_FLAG_MEMORY_INFO, .segs = segs, .nsegs = 2 };

	memset(segs, 0, 2 * sizeof(*segs));
	segs[0] = (struct mbi_seg){ .paddr = 0x200000, .filesz = 0x200, .memsz = 0x1200 };
	segs[1] = (struct mbi_seg){ .type = PT_NOTE };
	return mbi_build_elf(elf, sizeof(elf), &e);
}

/* An ELF32 kernel: text at 1 MiB, data with bss at 1 MiB + 16 KiB. */
static size_t make_elf32_with(struct mbi_elf *e, struct mbi_seg *segs)
{
	memset(segs, 0, 2 * sizeof(*segs));
	segs[0] = (struct mbi_seg){ .paddr = 0x100000, .filesz = 0x1800, .memsz = 0x1800 };
	segs[1] = (struct mbi_seg){ .paddr = 0x104000, .filesz = 0x300, .memsz = 0x2300 };
	*e = (struct mbi_elf){ .class = ELFCLASS32, .entry = 0x10000c,
			       .mb_flags = MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO,
			       .segs = segs, .nsegs = 2 };
	return mbi_build_elf(elf, sizeof(elf), e);
}

static size_t make_elf32(void)
{
	struct mbi_seg segs[2];
	struct mbi_elf e;

	return make_elf32_with(&e, segs);
}

/* Segment i's file bytes at its physical address, then zeros to memsz. */
static void assert_segment(size_t file_off, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	uint64_t i;

	cr_assert_eq(memcmp(ram + paddr, elf + file_off, filesz), 0,
		     "segment at %#llx", (unsigned long long)paddr);
	for (i = filesz; i < memsz; i++)
		cr_assert_eq(ram[paddr + i], 0, "bss byte %#llx", (unsigned long long)i);
}

Test(multiboot, elf64_program_headers)
{
	struct mbi_seg segs[2];
	struct multiboot_image mi;
	struct multiboot_boot b;
	size_t len = make_elf64(segs);

	cr_assert_eq(multiboot_parse(elf, len, &mi, &err), 0, "%s", err.msg);
	cr_assert_eq(mi.elf_class, ELFCLASS64);
	cr_assert_eq(mi.aout_kludge, 0);
	memset(ram + 0x200000, 0xcc, 0x1200);
	cr_assert_eq(load_elf(len, NULL, 0, &b), 0, "%s", err.msg);
	cr_assert_eq(b.entry, 0x200010);
	cr_assert_eq(b.load_start, 0x200000);
	cr_assert_eq(b.load_end, 0x201200);
	assert_segment(MBI_DATA_OFF, 0x200000, 0x200, 0x1200);
}

Test(multiboot, elf32_kernel)
{
	struct multiboot_image mi;
	struct multiboot_boot b;
	struct mb_info info;
	size_t len = make_elf32();

	cr_assert_eq(multiboot_parse(elf, len, &mi, &err), 0, "%s", err.msg);
	cr_assert_eq(mi.elf_class, ELFCLASS32);
	cr_assert_eq(mi.nsegs, 2);
	cr_assert_eq(mi.entry, 0x10000c);
	memset(ram + 0x100000, 0xee, 0x8000);
	cr_assert_eq(multiboot_load(&mem, elf, len, NULL, 0, "console=ttyS0", &b, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(b.entry, 0x10000c);
	cr_assert_eq(b.magic, MB_BOOT_MAGIC);
	cr_assert_eq(b.load_start, 0x100000);
	cr_assert_eq(b.load_end, 0x106300);
	assert_segment(MBI_DATA_OFF, 0x100000, 0x1800, 0x1800);
	assert_segment(MBI_DATA_OFF + 0x1800, 0x104000, 0x300, 0x2300);
	cr_assert_eq(ram[0x101800], 0xee, "the gap between segments is not written");
	info = get_info(&b);
	cr_assert_str_eq((const char *)ram + info.cmdline, "console=ttyS0");
	cr_assert_eq(info.mods_count, 0, "other kernels get no extra module");
	cr_assert_eq(info.flags & MB_INFO_MODS, 0);
	cr_assert_eq(info.mem_upper, (RAM - MiB) / 1024);
}

Test(multiboot, elf32_with_x86_64_machine)
{
	struct mbi_seg segs[2];
	struct multiboot_boot b;
	struct mbi_elf e;
	size_t len = make_elf32_with(&e, segs);

	e.machine = EM_X86_64;
	len = mbi_build_elf(elf, sizeof(elf), &e);
	cr_assert_eq(load_elf(len, NULL, 0, &b), 0, "%s", err.msg);
	cr_assert_eq(b.entry, 0x10000c);
}

Test(multiboot, higher_half_elf32_entered_at_physical_entry)
{
	struct mbi_seg segs[2] = {
		{ .vaddr = 0xC0100000u, .paddr = 0x100000, .filesz = 0x1000, .memsz = 0x1000 },
		{ .vaddr = 0xC0104000u, .paddr = 0x104000, .filesz = 0x100, .memsz = 0x4000 },
	};
	struct mbi_elf e = { .class = ELFCLASS32, .entry = 0xC0100010u,
			     .mb_flags = MB_FLAG_MEMORY_INFO, .segs = segs, .nsegs = 2 };
	struct multiboot_boot b;
	size_t len = mbi_build_elf(elf, sizeof(elf), &e);

	cr_assert_eq(load_elf(len, NULL, 0, &b), 0, "%s", err.msg);
	cr_assert_eq(b.entry, 0x100010, "entry %#x", b.entry);
	cr_assert_eq(b.load_start, 0x100000);
	cr_assert_eq(b.load_end, 0x108000);
	assert_segment(MBI_DATA_OFF, 0x100000, 0x1000, 0x1000);
	assert_segment(MBI_DATA_OFF + 0x1000, 0x104000, 0x100, 0x4000);

	/* An entry in the second segment goes through that segment, even in
	 * its bss part; one past the last byte is in no segment. */
	e.entry = 0xC0107ffeu;
	len = mbi_build_elf(elf, sizeof(elf), &e);
	cr_assert_eq(load_elf(len, NULL, 0, &b), 0, "%s", err.msg);
	cr_assert_eq(b.entry, 0x107ffe);
	e.entry = 0xC0108000u;
	len = mbi_build_elf(elf, sizeof(elf), &e);
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("no loadable segment");
	/* The physical entry is not a virtual address of any segment. */
	e.entry = 0x100010;
	len = mbi_build_elf(elf, sizeof(elf), &e);
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("entry point");
}

Test(multiboot, higher_half_elf64_entered_at_physical_entry)
{
	struct mbi_seg segs[1] = {
		{ .vaddr = 0xffffffff80100000ull, .paddr = 0x100000, .filesz = 0x800,
		  .memsz = 0x3000 },
	};
	struct mbi_elf e = { .class = ELFCLASS64, .entry = 0xffffffff80100123ull,
			     .segs = segs, .nsegs = 1 };
	struct multiboot_boot b;
	size_t len = mbi_build_elf(elf, sizeof(elf), &e);

	memset(ram + 0x100000, 0x11, 0x3000);
	cr_assert_eq(load_elf(len, NULL, 0, &b), 0, "%s", err.msg);
	cr_assert_eq(b.entry, 0x100123);
	assert_segment(MBI_DATA_OFF, 0x100000, 0x800, 0x3000);
}

Test(multiboot, kludge_takes_precedence_over_elf)
{
	/* An ELF64 file (like guest/) whose header has the address fields:
	 * its program headers point elsewhere and are not used. */
	struct mbi_seg segs[1] = {
		{ .paddr = 0x800000, .filesz = 0x100, .memsz = 0x100 },
	};
	struct mbi_elf e = { .class = ELFCLASS64, .entry = 0x800000, .no_mb_header = 1,
			     .segs = segs, .nsegs = 1 };
	struct mb_header h = {
		.magic = MB_HEADER_MAGIC, .flags = MB_FLAG_AOUT_KLUDGE,
		.header_addr = 0x300000 + MBI_HDR_OFF, .load_addr = 0x300000,
		.load_end_addr = 0x300000 + MBI_DATA_OFF, .bss_end_addr = 0x302000,
		.entry_addr = 0x300000 + MBI_HDR_OFF + 0x20,
	};
	struct multiboot_image mi;
	struct multiboot_boot b;
	size_t len = mbi_build_elf(elf, sizeof(elf), &e);

	h.checksum = 0u - (h.magic + h.flags);
	memcpy(elf + MBI_HDR_OFF, &h, sizeof(h));
	cr_assert_eq(multiboot_parse(elf, len, &mi, &err), 0, "%s", err.msg);
	cr_assert(mi.aout_kludge);
	cr_assert_eq(load_elf(len, NULL, 0, &b), 0, "%s", err.msg);
	cr_assert_eq(b.entry, 0x300000 + MBI_HDR_OFF + 0x20);
	cr_assert_eq(b.load_start, 0x300000);
	cr_assert_eq(b.load_end, 0x302000);
	cr_assert_eq(memcmp(ram + 0x300000, elf, MBI_DATA_OFF), 0);
	cr_assert_eq(ram[0x800000], 0, "the program headers were not used");
}

/* Build the ELF32 kernel, let f spoil it, expect refusal with want in the message. */
static void refuse32(void (*f)(struct mbi_elf *, struct mbi_seg *), int want_r,
		     const char *want)
{
	struct mbi_seg segs[2];
	struct multiboot_boot b;
	struct mbi_elf e;
	size_t len;

	make_elf32_with(&e, segs);
	f(&e, segs);
	len = mbi_build_elf(elf, sizeof(elf), &e);
	cr_assert_gt(len, 0);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(load_elf(len, NULL, 0, &b), want_r, "want %d for '%s', got '%s'",
		     want_r, want, err.msg);
	assert_msg(want);
	cr_assert_eq(ram[0x100000], 0, "nothing written");
}

static void sp_filesz_gt_memsz(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].filesz = s[1].memsz + 1;
	s[1].offset = MBI_DATA_OFF;
}
static void sp_offset_wraps(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].offset = 0xfffffff0u;   /* + filesz wraps in 32 bits */
}
static void sp_offset_past_end(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].offset = 0x8000;        /* the file is smaller */
}
static void sp_below_1m(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].paddr = 0x9f000;
}
static void sp_over_boot_data(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].paddr = MB_INFO_ADDR;
}
static void sp_beyond_ram(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].paddr = 0x20000000;     /* 512 MiB: beyond 16 MiB of RAM */
}
static void sp_end_past_4g(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].paddr = 0xfffff000u;    /* + memsz passes 4 GiB */
}
static void sp_overlap(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].paddr = 0x101000;       /* inside the text segment */
}
static void sp_overlap_start(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[1].paddr = 0x100000;
}
static void sp_entry_nowhere(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)s;
	e->entry = 0x200000;
}
static void sp_machine_arm(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)s;
	e->machine = EM_ARM;
}
static void sp_type_dyn(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)s;
	e->type = ET_DYN;
}
static void sp_phentsize_small(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)s;
	e->phentsize = 16;
}
static void sp_no_load(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[0].type = PT_NOTE;
	s[1].type = PT_NOTE;
}
static void sp_only_empty(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)e;
	s[0].filesz = s[0].memsz = 0;
	s[1].filesz = s[1].memsz = 0;
}
static void sp_no_phdrs(struct mbi_elf *e, struct mbi_seg *s)
{
	(void)s;
	e->nsegs = 0;
}

Test(multiboot, elf32_hostile_program_headers)
{
	refuse32(sp_filesz_gt_memsz, -ENOEXEC, "exceeds memory size");
	refuse32(sp_offset_wraps, -ENOEXEC, "outside the file");
	refuse32(sp_offset_past_end, -ENOEXEC, "outside the file");
	refuse32(sp_below_1m, -EINVAL, "below 1 MiB");
	refuse32(sp_over_boot_data, -EINVAL, "below 1 MiB");
	refuse32(sp_beyond_ram, -ENOMEM, "outside guest RAM");
	refuse32(sp_end_past_4g, -ENOEXEC, "4 GiB");
	refuse32(sp_overlap, -ENOEXEC, "overlap");
	refuse32(sp_overlap_start, -ENOEXEC, "overlap");
	refuse32(sp_entry_nowhere, -ENOEXEC, "no loadable segment");
	refuse32(sp_machine_arm, -ENOEXEC, "machine");
	refuse32(sp_type_dyn, -ENOEXEC, "not an executable");
	refuse32(sp_phentsize_small, -ENOEXEC, "program header entries");
	refuse32(sp_no_load, -ENOEXEC, "no loadable segment");
	refuse32(sp_only_empty, -ENOEXEC, "no loadable segment");
	refuse32(sp_no_phdrs, -ENOEXEC, "no program headers");
}

Test(multiboot, elf_hostile_headers)
{
	struct multiboot_boot b;
	size_t len = make_elf32();
	Elf32_Ehdr eh;
	Elf64_Ehdr eh64;
	struct mbi_seg segs[2];

	/* A file that ends inside its ELF header, the Multiboot header in it. */
	memcpy(&eh, elf, sizeof(eh));
	mbi_mb_header(elf + 16, 0);
	cr_assert_eq(load_elf(40, NULL, 0, &b), -ENOEXEC);
	assert_msg("ELF header is truncated");
	elf[EI_CLASS] = ELFCLASS64;
	elf[EI_DATA] = ELFDATA2LSB;
	cr_assert_eq(load_elf(60, NULL, 0, &b), -ENOEXEC);
	assert_msg("ELF header is truncated");
	len = make_elf32();
	/* Program headers outside the file. */
	eh.e_phoff = 0x4000;                        /* past the end */
	memcpy(elf, &eh, sizeof(eh));
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("outside the file");
	eh.e_phoff = (uint32_t)len - 8;             /* runs off the end */
	memcpy(elf, &eh, sizeof(eh));
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("outside the file");
	eh.e_phoff = 0xffffffffu;
	memcpy(elf, &eh, sizeof(eh));
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	eh.e_phoff = sizeof(eh);
	eh.e_phnum = 0xffff;                        /* headers past the end */
	memcpy(elf, &eh, sizeof(eh));
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("outside the file");

	len = make_elf32();
	elf[EI_DATA] = ELFDATA2MSB;
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("little-endian");
	len = make_elf32();
	elf[EI_CLASS] = 7;
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("class");
	len = make_elf32();
	elf[1] = 'X';                               /* not ELF, no address fields */
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("not an ELF file");

	/* ELF64 for the wrong machine; above 4 GiB; wrapping paddr. */
	len = make_elf64(segs);
	memcpy(&eh64, elf, sizeof(eh64));
	eh64.e_machine = EM_386;
	memcpy(elf, &eh64, sizeof(eh64));
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("machine");
	{
		struct mbi_elf e = { .class = ELFCLASS64, .entry = 0x100000000ull,
				     .segs = segs, .nsegs = 1 };

		segs[0] = (struct mbi_seg){ .paddr = 0x100000000ull, .filesz = 0x10,
					    .memsz = 0x10 };
		len = mbi_build_elf(elf, sizeof(elf), &e);
		cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
		assert_msg("4 GiB");
		segs[0].paddr = ~0ULL - 0x10;        /* paddr + memsz wraps */
		segs[0].vaddr = 0x100000;
		e.entry = 0x100000;
		len = mbi_build_elf(elf, sizeof(elf), &e);
		cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
		assert_msg("4 GiB");
		segs[0] = (struct mbi_seg){ .paddr = 0x100000, .filesz = 0x20, .memsz = 0x20,
					    .offset = ~0ULL - 4 };   /* offset + filesz wraps */
		len = mbi_build_elf(elf, sizeof(elf), &e);
		cr_assert_eq(load_elf(len ? len : MBI_DATA_OFF, NULL, 0, &b), -ENOEXEC);
		assert_msg("outside the file");
	}
}

Test(multiboot, elf_too_many_segments)
{
	static struct mbi_seg segs[MB_SEGMENTS_MAX + 1];
	struct mbi_elf e = { .class = ELFCLASS32, .entry = 0x100000, .segs = segs };
	struct multiboot_boot b;
	unsigned int i;
	size_t len;

	for (i = 0; i <= MB_SEGMENTS_MAX; i++)
		segs[i] = (struct mbi_seg){ .paddr = 0x100000 + i * 0x1000, .filesz = 0x10,
					    .memsz = 0x1000 };
	e.nsegs = MB_SEGMENTS_MAX;
	len = mbi_build_elf(elf, sizeof(elf), &e);
	cr_assert_gt(len, 0);
	cr_assert_eq(load_elf(len, NULL, 0, &b), 0, "%s", err.msg);
	cr_assert_eq(b.load_end, 0x100000 + MB_SEGMENTS_MAX * 0x1000);
	e.nsegs = MB_SEGMENTS_MAX + 1;
	len = mbi_build_elf(elf, sizeof(elf), &e);
	cr_assert_gt(len, 0);
	cr_assert_eq(load_elf(len, NULL, 0, &b), -ENOEXEC);
	assert_msg("more than");
}

/* --- modules --- */

Test(multiboot, modules_in_order_with_strings)
{
	static uint8_t a[10000], c[4096];
	static const uint8_t fdt[] = { 0xd0, 0x0d, 0xfe, 0xed, 9, 9 };
	const struct multiboot_module mods[] = {
		{ .data = a, .len = sizeof(a), .string = "/boot/initrd-a.cpio" },
		{ .data = NULL, .len = 0, .string = NULL },            /* empty, no name */
		{ .data = c, .len = sizeof(c), .string = "c.img" },
		{ .data = fdt, .len = sizeof(fdt), .string = "fdt", .fdt = 1 },
	};
	struct multiboot_boot b;
	struct mb_info info;
	struct mb_module m[4];
	size_t len = make_elf32();
	uint64_t prev_end;
	unsigned int i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i ^ 0x5a);
	memset(c, 0xc3, sizeof(c));
	cr_assert_eq(load_elf(len, mods, 4, &b), 0, "%s", err.msg);
	info = get_info(&b);
	cr_assert(info.flags & MB_INFO_MODS);
	cr_assert_eq(info.mods_count, 4);
	cr_assert_eq(b.nmods, 4);
	for (i = 0; i < 4; i++)
		m[i] = get_mod(&info, i);
	cr_assert_str_eq((const char *)ram + m[0].string, "/boot/initrd-a.cpio");
	cr_assert_str_eq((const char *)ram + m[1].string, "");
	cr_assert_str_eq((const char *)ram + m[2].string, "c.img");
	cr_assert_str_eq((const char *)ram + m[3].string, "fdt");
	cr_assert_eq(m[0].mod_end - m[0].mod_start, sizeof(a));
	cr_assert_eq(m[1].mod_end, m[1].mod_start);
	cr_assert_eq(m[2].mod_end - m[2].mod_start, sizeof(c));
	cr_assert_eq(memcmp(ram + m[0].mod_start, a, sizeof(a)), 0);
	cr_assert_eq(memcmp(ram + m[2].mod_start, c, sizeof(c)), 0);
	cr_assert_eq(memcmp(ram + m[3].mod_start, fdt, sizeof(fdt)), 0);
	cr_assert_eq(m[3].mod_start, MB_FDT_ADDR);
	cr_assert_eq(b.fdt, MB_FDT_ADDR);
	/* Page-aligned, after the kernel, in order, disjoint, in RAM. */
	prev_end = b.load_end;
	for (i = 0; i < 3; i++) {
		cr_assert_eq(m[i].mod_start % MB_MODULE_ALIGN, 0, "module %u aligned", i);
		cr_assert_geq(m[i].mod_start, prev_end, "module %u after the last", i);
		cr_assert_leq(m[i].mod_end, RAM);
		prev_end = m[i].mod_end;
	}
	cr_assert_eq(b.mods_start, m[0].mod_start);
	cr_assert_geq(b.mods_end, m[2].mod_end);
	/* The kernel is intact. */
	assert_segment(MBI_DATA_OFF, 0x100000, 0x1800, 0x1800);
	assert_segment(MBI_DATA_OFF + 0x1800, 0x104000, 0x300, 0x2300);
}

Test(multiboot, modules_before_the_kernel_when_it_sits_high)
{
	static uint8_t a[2 * 1024 * 1024];
	struct mbi_seg segs[1] = {
		{ .paddr = RAM - 0x10000, .filesz = 0x100, .memsz = 0x10000 },
	};
	struct mbi_elf e = { .class = ELFCLASS32, .entry = RAM - 0x10000, .segs = segs,
			     .nsegs = 1 };
	const struct multiboot_module mods[] = {
		{ .data = a, .len = sizeof(a), .string = "big" },
		{ .data = a, .len = 100, .string = "small" },
	};
	struct multiboot_boot b;
	struct mb_info info;
	struct mb_module m0, m1;
	size_t len = mbi_build_elf(elf, sizeof(elf), &e);

	memset(a, 0x42, sizeof(a));
	cr_assert_eq(load_elf(len, mods, 2, &b), 0, "%s", err.msg);
	info = get_info(&b);
	m0 = get_mod(&info, 0);
	m1 = get_mod(&info, 1);
	cr_assert_eq(m0.mod_start, HIGH_MEM_START);
	cr_assert_eq(m1.mod_start, HIGH_MEM_START + sizeof(a));
	cr_assert_leq(m1.mod_end, RAM - 0x10000, "below the kernel");
	cr_assert_eq(memcmp(ram + m0.mod_start, a, sizeof(a)), 0);
	cr_assert_str_eq((const char *)ram + m1.string, "small");
}

Test(multiboot, modules_that_do_not_fit_are_refused)
{
	static struct multiboot_module many[MB_MODULES_MAX + 1];
	static uint8_t small[16];
	struct multiboot_module mods[2];
	struct multiboot_boot b;
	static char name[3000];
	size_t len = make_elf32();
	unsigned int i;

	for (i = 0; i <= MB_MODULES_MAX; i++)
		many[i] = (struct multiboot_module){ .data = small, .len = sizeof(small),
						     .string = "m" };
	cr_assert_eq(load_elf(len, many, MB_MODULES_MAX, &b), 0, "%s", err.msg);
	cr_assert_eq(get_info(&b).mods_count, MB_MODULES_MAX);
	memset(ram, 0, RAM);
	cr_assert_eq(load_elf(len, many, MB_MODULES_MAX + 1, &b), -E2BIG);
	assert_msg("at most");

	/* As big as RAM; bigger than 4 GiB (never read). */
	mods[0] = (struct multiboot_module){ .data = ram, .len = RAM, .string = "huge" };
	cr_assert_eq(load_elf(len, mods, 1, &b), -ENOMEM);
	assert_msg("raise --mem");
	mods[0].len = SIZE_MAX / 2;
	cr_assert_eq(load_elf(len, mods, 1, &b), -ENOMEM);
	/* Together too big, each would fit. */
	mods[0] = (struct multiboot_module){ .data = ram, .len = RAM / 2, .string = "a" };
	mods[1] = (struct multiboot_module){ .data = ram, .len = RAM / 2, .string = "b" };
	cr_assert_eq(load_elf(len, mods, 2, &b), -ENOMEM);
	assert_msg("do not fit");

	/* Malformed lists. */
	cr_assert_eq(load_elf(len, NULL, 2, &b), -EINVAL);
	mods[0] = (struct multiboot_module){ .data = NULL, .len = 5, .string = "x" };
	cr_assert_eq(load_elf(len, mods, 1, &b), -EINVAL);
	assert_msg("no contents");
	mods[0] = (struct multiboot_module){ .data = small, .len = 4, .fdt = 1 };
	mods[1] = (struct multiboot_module){ .data = small, .len = 4, .fdt = 1 };
	cr_assert_eq(load_elf(len, mods, 2, &b), -EINVAL);
	assert_msg("both the device tree");
	mods[0] = (struct multiboot_module){ .data = ram, .len = MB_FDT_MAX + 1, .fdt = 1 };
	cr_assert_eq(load_elf(len, mods, 1, &b), -E2BIG);
	assert_msg("device tree");

	/* Strings that overflow the information area. */
	memset(name, 'n', sizeof(name) - 1);
	for (i = 0; i < MB_MODULES_MAX; i++)
		many[i].string = name;
	cr_assert_eq(load_elf(len, many, MB_MODULES_MAX, &b), -E2BIG);
	assert_msg("module strings");

	/* Nothing of the kernel was written by any refused load. */
	cr_assert_eq(ram[0x100000], 0);
	cr_assert_eq(ram[MB_INFO_ADDR], 0);
}

/* --- the kvmini note --- */

/* An ELF64 kernel with a PT_NOTE segment of the given notes. */
static size_t make_noted(const uint8_t *notes, size_t notes_len, uint64_t align)
{
	struct mbi_seg segs[2] = {
		{ .paddr = 0x100000, .filesz = 0x100, .memsz = 0x100 },
		{ .type = PT_NOTE, .filesz = notes_len, .data = notes, .align = align },
	};
	struct mbi_elf e = { .class = ELFCLASS64, .entry = 0x100000, .segs = segs,
			     .nsegs = 2 };

	return mbi_build_elf(elf, sizeof(elf), &e);
}

Test(multiboot, kvmini_note_marks_the_own_guest)
{
	uint8_t notes[128];
	size_t n, len;

	/* A GNU note first, then ours. */
	n = mbi_note(notes, "GNU", 3, "abcdefgh", 8);
	n += mbi_note(notes + n, KVMINI_NOTE_NAME, KVMINI_NOTE_TYPE_FDT, "fdt", 4);
	len = make_noted(notes, n, 4);
	cr_assert(multiboot_wants_fdt(elf, len));
	/* The loader does not care about the note. */
	{
		struct multiboot_boot b;

		cr_assert_eq(load_elf(len, NULL, 0, &b), 0, "%s", err.msg);
	}

	/* Wrong type, wrong name, a prefix of the name: not ours. */
	n = mbi_note(notes, KVMINI_NOTE_NAME, 2, "fdt", 4);
	cr_assert_not(multiboot_wants_fdt(elf, make_noted(notes, n, 4)));
	n = mbi_note(notes, "kvmin", KVMINI_NOTE_TYPE_FDT, "fdt", 4);
	cr_assert_not(multiboot_wants_fdt(elf, make_noted(notes, n, 4)));
	n = mbi_note(notes, "kvminix", KVMINI_NOTE_TYPE_FDT, "fdt", 4);
	cr_assert_not(multiboot_wants_fdt(elf, make_noted(notes, n, 4)));
	/* No note at all; the ELF32 kernel; not ELF; NULL. */
	len = make_elf32();
	cr_assert_not(multiboot_wants_fdt(elf, len));
	make_valid();
	cr_assert_not(multiboot_wants_fdt(img, sizeof(img)));
	cr_assert_not(multiboot_wants_fdt(NULL, 0));
}

Test(multiboot, kvmini_note_hostile)
{
	uint8_t notes[64];
	size_t n, len, cut;

	/* The note's sizes run past the segment. */
	n = mbi_note(notes, KVMINI_NOTE_NAME, KVMINI_NOTE_TYPE_FDT, "fdt", 4);
	put32(notes, 0xfffffff0u);
	cr_assert_not(multiboot_wants_fdt(elf, make_noted(notes, n, 4)));
	n = mbi_note(notes, "GNU", 3, "abcd", 4);
	put32(notes + 4, 0xfffffffcu);   /* descsz of the first note */
	n += mbi_note(notes + n, KVMINI_NOTE_NAME, KVMINI_NOTE_TYPE_FDT, "fdt", 4);
	cr_assert_not(multiboot_wants_fdt(elf, make_noted(notes, n, 4)));
	/* Every cut of the note segment and of the file. */
	n = mbi_note(notes, "GNU", 3, "abcdefgh", 8);
	n += mbi_note(notes + n, KVMINI_NOTE_NAME, KVMINI_NOTE_TYPE_FDT, "fdt", 4);
	for (cut = 0; cut <= n; cut++) {
		len = make_noted(notes, cut, 4);
		cr_assert_eq(multiboot_wants_fdt(elf, len), cut == n, "cut %zu", cut);
	}
	len = make_noted(notes, n, 4);
	for (cut = 0; cut <= len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);   /* exact size: ASan sees overreads */

		memcpy(copy, elf, cut);
		cr_assert_eq(multiboot_wants_fdt(copy, cut), cut == len, "file cut %zu", cut);
		free(copy);
	}
	/* 8-byte aligned notes (as GNU property notes are). */
	memset(notes, 0, sizeof(notes));
	put32(notes, 7);
	put32(notes + 4, 4);
	put32(notes + 8, KVMINI_NOTE_TYPE_FDT);
	memcpy(notes + 12, "kvmini", 7);
	cr_assert(multiboot_wants_fdt(elf, make_noted(notes, 32, 8)));
}

/* --- messages --- */

Test(multiboot, unknown_format_message)
{
	cr_assert_eq(multiboot_refuse_format(&err), -ENOEXEC);
	cr_assert_str_eq(err.msg, KVMINI_KERNEL_FORMATS_MSG);
	assert_msg("bzImage");
	assert_msg("Multiboot 1");
	assert_msg("ELF32, ELF64 or a.out kludge");
	cr_assert_eq(err.kind, KVMINI_ERR_INPUT);
	cr_assert_eq(multiboot_refuse_format(NULL), -ENOEXEC);
}

/* --- robustness --- */

static void load_every_cut(const uint8_t *src, size_t full, const char *what)
{
	struct multiboot_boot b;
	size_t len;

	for (len = 0; len <= full; len++) {
		uint8_t *copy = malloc(len ? len : 1);   /* exact size: ASan sees overreads */
		int r;

		memcpy(copy, src, len);
		r = multiboot_load(&mem, copy, len, NULL, 0, NULL, &b, &err);
		cr_assert(r == 0 || r == -ENOEXEC, "%s len %zu: %d %s", what, len, r, err.msg);
		cr_assert(r == 0 || err.msg[0], "%s len %zu: no message", what, len);
		cr_assert(r != 0 || len == full || what[0] == 'k', "%s len %zu loaded", what, len);
		(void)multiboot_wants_fdt(copy, len);
		free(copy);
	}
}

Test(multiboot, every_truncation_is_handled)
{
	struct mbi_seg segs[2];
	size_t len;

	make_valid();
	load_every_cut(img, sizeof(img), "kludge");
	len = make_elf64(segs);
	load_every_cut(elf, len, "elf64");
	len = make_elf32();
	load_every_cut(elf, len, "elf32");
}

Test(multiboot, mutated_headers_never_crash)
{
	static const uint32_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x100000,
					 0x7fffffff, 0x80000000u, 0xfffffff0u, 0xffffffffu };
	struct multiboot_boot b;
	size_t len = make_elf32(), o, v;
	uint8_t *copy = malloc(len);

	/* Every 32-bit word of the ELF header and program headers set to each
	 * of a few hostile values. */
	for (o = 0; o + 4 <= sizeof(Elf32_Ehdr) + 2 * sizeof(Elf32_Phdr); o += 2) {
		for (v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			int r;

			memcpy(copy, elf, len);
			put32(copy + o, vals[v]);
			memset(ram, 0, 2 * MiB);
			r = multiboot_load(&mem, copy, len, NULL, 0, NULL, &b, &err);
			cr_assert(r <= 0, "offset %zu value %#x", o, vals[v]);
			cr_assert(r == 0 || err.msg[0], "offset %zu value %#x: no message",
				  o, vals[v]);
			if (r == 0) {
				cr_assert_geq(b.load_start, HIGH_MEM_START);
				cr_assert_leq(b.load_end, RAM);
				cr_assert_geq(b.entry, b.load_start);
				cr_assert_lt(b.entry, b.load_end);
			}
			(void)multiboot_wants_fdt(copy, len);
		}
	}
	free(copy);
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
	cr_assert(multiboot_has_header(buf, (size_t)n));
	cr_assert_eq(multiboot_load_fdt(&mem, buf, (size_t)n, "workload=cpu", NULL, 0, &b, &err),
		     0, "%s", err.msg);
	cr_assert_geq(b.entry, 0x100000);
	cr_assert_lt(b.entry, b.load_end);
	cr_assert_eq(*(uint32_t *)(ram + 0x100000), MB_HEADER_MAGIC);
	/* multiboot_wants_fdt(buf) is 1 once guest/note.S is linked in. */
	cr_log_info("guest wants the FDT module: %d", multiboot_wants_fdt(buf, (size_t)n));
	free(buf);
}
