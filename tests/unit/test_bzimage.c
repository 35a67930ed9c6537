/*
 * test_bzimage.c - bzImage setup-header validation and loading: crafted
 * headers for each refusal, the zero page, command line, e820 map and
 * initrd placement in a 128 MiB guest, and the Debian kernel if present.
 */
#include <criterion/criterion.h>
#include <asm/bootparam.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bzimage.h"
#include "bios/e820.h"
#include "bios/layout.h"

/* Offsets into the image, as the boot protocol documents them. */
#define O_SETUP_SECTS   0x1f1
#define O_SYSSIZE       0x1f4
#define O_BOOT_FLAG     0x1fe
#define O_JUMP          0x200
#define O_HEADER        0x202
#define O_VERSION       0x206
#define O_LOADFLAGS     0x211
#define O_INITRD_MAX    0x22c
#define O_KALIGN        0x230
#define O_RELOCATABLE   0x234
#define O_XLOADFLAGS    0x236
#define O_CMDLINE_SIZE  0x238
#define O_PREF_ADDRESS  0x258
#define O_INIT_SIZE     0x260

#define HOFF(f) (0x1f1 + offsetof(struct setup_header, f))
_Static_assert(HOFF(setup_sects) == O_SETUP_SECTS, "setup_sects");
_Static_assert(HOFF(syssize) == O_SYSSIZE, "syssize");
_Static_assert(HOFF(boot_flag) == O_BOOT_FLAG, "boot_flag");
_Static_assert(HOFF(jump) == O_JUMP, "jump");
_Static_assert(HOFF(header) == O_HEADER, "header");
_Static_assert(HOFF(version) == O_VERSION, "version");
_Static_assert(HOFF(loadflags) == O_LOADFLAGS, "loadflags");
_Static_assert(HOFF(initrd_addr_max) == O_INITRD_MAX, "initrd_addr_max");
_Static_assert(HOFF(kernel_alignment) == O_KALIGN, "kernel_alignment");
_Static_assert(HOFF(relocatable_kernel) == O_RELOCATABLE, "relocatable");
_Static_assert(HOFF(xloadflags) == O_XLOADFLAGS, "xloadflags");
_Static_assert(HOFF(cmdline_size) == O_CMDLINE_SIZE, "cmdline_size");
_Static_assert(HOFF(pref_address) == O_PREF_ADDRESS, "pref_address");
_Static_assert(HOFF(init_size) == O_INIT_SIZE, "init_size");

#define SETUP_SECTS   4
#define SETUP_SIZE    ((SETUP_SECTS + 1) * 512)
#define KERNEL_SIZE   (64 * 1024)
#define IMG_SIZE      (SETUP_SIZE + KERNEL_SIZE)
#define PREF_ADDRESS  0x1000000ULL
#define INIT_SIZE     0x1000000U
#define CMDLINE_SIZE  255U
#define GUEST_RAM     (128 * MiB)
#define RSDP_ADDR     0xe0000ULL

static uint8_t img[IMG_SIZE];

static void put16(size_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static void put32(size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void put64(size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

/* A minimal but well-formed 64-bit bzImage: protocol 2.15, relocatable,
 * kernel bytes a recognisable pattern. */
static void make_image(void)
{
	size_t i;

	memset(img, 0, sizeof(img));
	img[O_SETUP_SECTS] = SETUP_SECTS;
	put32(O_SYSSIZE, KERNEL_SIZE / 16);
	put16(O_BOOT_FLAG, 0xaa55);
	img[O_JUMP] = 0xeb;
	img[O_JUMP + 1] = 0x6a;
	memcpy(img + O_HEADER, "HdrS", 4);
	put16(O_VERSION, 0x020f);
	img[O_LOADFLAGS] = LOADED_HIGH;
	put32(O_INITRD_MAX, 0x7fffffff);
	put32(O_KALIGN, 0x200000);
	img[O_RELOCATABLE] = 1;
	put16(O_XLOADFLAGS, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	put32(O_CMDLINE_SIZE, CMDLINE_SIZE);
	put64(O_PREF_ADDRESS, PREF_ADDRESS);
	put32(O_INIT_SIZE, INIT_SIZE);
	for (i = SETUP_SIZE; i < IMG_SIZE; i++)
		img[i] = (uint8_t)(i * 7 + (i >> 8));
}

static struct kvmini_error err;

static void setup(void)
{
	make_image();
	memset(&err, 0, sizeof(err));
}

TestSuite(bzparse, .init = setup);

static void expect_refusal(size_t len, const char *needle)
{
	struct bzimage_info info;
	int r = bzimage_parse(img, len, &info, &err);

	cr_assert_lt(r, 0, "accepted");
	cr_assert_eq(r, -ENOEXEC, "r = %d", r);
	cr_assert_not_null(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"",
			   err.msg, needle);
}

Test(bzparse, good_header)
{
	struct bzimage_info info;

	memset(&info, 0xa5, sizeof(info));
	cr_assert_eq(bzimage_parse(img, IMG_SIZE, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.version, 0x020f);
	cr_assert_eq(info.setup_size, SETUP_SIZE);
	cr_assert_eq(info.kernel_size, KERNEL_SIZE);
	cr_assert_eq(info.initrd_addr_max, 0x7fffffff);
	cr_assert_eq(info.cmdline_size, CMDLINE_SIZE);
	cr_assert_eq(info.pref_address, PREF_ADDRESS);
	cr_assert_eq(info.init_size, INIT_SIZE);
	cr_assert_eq(info.relocatable, 1);
}

Test(bzparse, too_small)
{
	expect_refusal(1023, "not a bzImage");
	expect_refusal(0, "not a bzImage");
}

Test(bzparse, no_boot_flag)
{
	put16(O_BOOT_FLAG, 0x55aa);
	expect_refusal(IMG_SIZE, "not a bzImage");
}

Test(bzparse, no_hdrs)
{
	memcpy(img + O_HEADER, "HdrT", 4);
	expect_refusal(IMG_SIZE, "not a bzImage");
}

Test(bzparse, protocol_too_old)
{
	put16(O_VERSION, 0x020b);
	expect_refusal(IMG_SIZE, "too old");
	cr_assert_not_null(strstr(err.msg, "2.11"), "%s", err.msg);
}

Test(bzparse, protocol_2_12_accepted)
{
	struct bzimage_info info;

	put16(O_VERSION, 0x020c);
	cr_assert_eq(bzimage_parse(img, IMG_SIZE, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.version, 0x020c);
}

Test(bzparse, not_loaded_high)
{
	img[O_LOADFLAGS] = 0;
	expect_refusal(IMG_SIZE, "not loaded high");
}

Test(bzparse, no_64bit_entry)
{
	put16(O_XLOADFLAGS, XLF_CAN_BE_LOADED_ABOVE_4G);
	expect_refusal(IMG_SIZE, "XLF_KERNEL_64");
}

Test(bzparse, truncated_kernel)
{
	expect_refusal(IMG_SIZE - 1, "truncated");
	put32(O_SYSSIZE, KERNEL_SIZE / 16 + 1);
	expect_refusal(IMG_SIZE, "truncated");
}

Test(bzparse, truncated_setup)
{
	/* The file ends inside the setup code. */
	expect_refusal(SETUP_SIZE, "truncated");
	img[O_SETUP_SECTS] = 200;  /* 201 sectors: more than the whole file */
	put32(O_SYSSIZE, 1);
	expect_refusal(IMG_SIZE, "truncated");
}

Test(bzparse, empty_kernel)
{
	put32(O_SYSSIZE, 0);
	expect_refusal(IMG_SIZE, "truncated");
}

Test(bzparse, huge_syssize)
{
	put32(O_SYSSIZE, 0xffffffff);
	expect_refusal(IMG_SIZE, "truncated");
}

Test(bzparse, setup_sects_zero_means_four)
{
	struct bzimage_info info;

	img[O_SETUP_SECTS] = 0;
	cr_assert_eq(bzimage_parse(img, IMG_SIZE, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.setup_size, 5 * 512);
	cr_assert_eq(info.kernel_size, KERNEL_SIZE);
}

Test(bzparse, other_setup_sects)
{
	struct bzimage_info info;

	img[O_SETUP_SECTS] = 30;
	put32(O_SYSSIZE, (IMG_SIZE - 31 * 512) / 16);
	cr_assert_eq(bzimage_parse(img, IMG_SIZE, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.setup_size, 31 * 512);
	cr_assert_eq(info.kernel_size, IMG_SIZE - 31 * 512);
}

/* ---- loading ---- */

static struct guest_mem mem;

static void load_setup(void)
{
	setup();
	cr_assert_eq(gmem_init(&mem, GUEST_RAM, 0, &err), 0, "%s", err.msg);
}

static void load_teardown(void)
{
	gmem_destroy(&mem);
}

TestSuite(bzload, .init = load_setup, .fini = load_teardown);

static struct boot_params *zero_page(void)
{
	struct boot_params *bp = gmem_ptr(&mem, BOOT_ZEROPAGE_ADDR, sizeof(*bp));

	cr_assert_not_null(bp);
	return bp;
}

Test(bzload, kernel_zero_page_and_cmdline)
{
	const char *cmdline = "console=ttyS0 panic=-1";
	struct boot_e820_entry want[E820_MAX_ENTRIES_ZEROPAGE];
	struct bzimage_boot boot;
	struct boot_params *bp;
	const char *cl;
	int n;

	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, NULL, 0, cmdline, RSDP_ADDR,
				  &boot, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(gmem_ptr(&mem, KERNEL_LOAD_ADDR, KERNEL_SIZE),
			    img + SETUP_SIZE, KERNEL_SIZE), 0, "kernel bytes");
	cr_assert_eq(boot.entry, KERNEL_LOAD_ADDR + 0x200);
	cr_assert_eq(boot.zeropage, BOOT_ZEROPAGE_ADDR);
	cr_assert_eq(boot.initrd, 0);
	cr_assert_eq(boot.initrd_size, 0);

	bp = zero_page();
	cr_assert_eq(bp->hdr.boot_flag, 0xaa55);
	cr_assert_eq(bp->hdr.header, 0x53726448);
	cr_assert_eq(bp->hdr.version, 0x020f);
	cr_assert_eq(bp->hdr.setup_sects, SETUP_SECTS);
	cr_assert_eq(bp->hdr.syssize, KERNEL_SIZE / 16);
	cr_assert_eq(bp->hdr.jump, 0x6aeb);
	cr_assert_eq(bp->hdr.initrd_addr_max, 0x7fffffff);
	cr_assert_eq(bp->hdr.kernel_alignment, 0x200000);
	cr_assert_eq(bp->hdr.relocatable_kernel, 1);
	cr_assert_eq(bp->hdr.xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	cr_assert_eq(bp->hdr.cmdline_size, CMDLINE_SIZE);
	cr_assert_eq(bp->hdr.pref_address, PREF_ADDRESS);
	cr_assert_eq(bp->hdr.init_size, INIT_SIZE);
	cr_assert_eq(bp->hdr.loadflags & LOADED_HIGH, LOADED_HIGH);
	cr_assert_eq(bp->hdr.loadflags & CAN_USE_HEAP, CAN_USE_HEAP);
	cr_assert_eq(bp->hdr.type_of_loader, 0xff);
	cr_assert_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_ADDR);
	cr_assert_eq(bp->hdr.ramdisk_image, 0);
	cr_assert_eq(bp->hdr.ramdisk_size, 0);
	cr_assert_eq(bp->acpi_rsdp_addr, RSDP_ADDR);

	cl = gmem_ptr(&mem, BOOT_CMDLINE_ADDR, strlen(cmdline) + 1);
	cr_assert_not_null(cl);
	cr_assert_str_eq(cl, cmdline);

	n = e820_build(&mem, want, E820_MAX_ENTRIES_ZEROPAGE);
	cr_assert_gt(n, 0);
	cr_assert_eq(bp->e820_entries, n);
	cr_assert_eq(memcmp(bp->e820_table, want, (size_t)n * sizeof(want[0])), 0);
	cr_assert_eq(bp->e820_table[n - 1].addr + bp->e820_table[n - 1].size, GUEST_RAM);
}

Test(bzload, zero_page_cleared_first)
{
	struct bzimage_boot boot;
	struct boot_params *bp = zero_page();

	memset(bp, 0x77, sizeof(*bp));
	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, NULL, 0, NULL, 0, &boot, &err),
		     0, "%s", err.msg);
	cr_assert_eq(bp->screen_info.orig_video_mode, 0);
	cr_assert_eq(bp->hdr.setup_data, 0);
	cr_assert_eq(bp->acpi_rsdp_addr, 0);
	cr_assert_eq(*(const char *)gmem_ptr(&mem, BOOT_CMDLINE_ADDR, 1), '\0',
		     "NULL command line is empty");
}

static uint8_t *make_initrd(size_t len)
{
	uint8_t *p = malloc(len);
	size_t i;

	cr_assert_not_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i ^ (i >> 9) ^ 0x3c);
	return p;
}

static void check_initrd(const struct bzimage_boot *boot, const uint8_t *rd,
			 size_t len, uint64_t top)
{
	struct boot_params *bp = zero_page();
	const uint8_t *at;

	cr_assert_neq(boot->initrd, 0);
	cr_assert_eq(boot->initrd_size, len);
	cr_assert_eq(boot->initrd % 4096, 0, "initrd at %#llx not page aligned",
		     (unsigned long long)boot->initrd);
	cr_assert_leq(boot->initrd + len, top, "initrd ends past %#llx",
		      (unsigned long long)top);
	cr_assert_leq(boot->initrd + len, GUEST_RAM);
	cr_assert_geq(boot->initrd, PREF_ADDRESS + INIT_SIZE,
		      "initrd overlaps the decompressed kernel");
	cr_assert_eq(bp->hdr.ramdisk_image, boot->initrd);
	cr_assert_eq(bp->hdr.ramdisk_size, len);
	at = gmem_ptr(&mem, boot->initrd, len);
	cr_assert_not_null(at);
	cr_assert_eq(memcmp(at, rd, len), 0, "initrd bytes");
}

Test(bzload, initrd_placed_high)
{
	size_t len = 3 * MiB + 123;
	uint8_t *rd = make_initrd(len);
	struct bzimage_boot boot;

	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, rd, len, "x", 0, &boot, &err),
		     0, "%s", err.msg);
	check_initrd(&boot, rd, len, GUEST_RAM);
	/* As high as it goes: less than a page below the end of RAM. */
	cr_assert_gt(boot.initrd + len + 4096, GUEST_RAM);
	free(rd);
}

Test(bzload, initrd_below_initrd_addr_max)
{
	size_t len = 2 * MiB + 5;
	uint8_t *rd = make_initrd(len);
	struct bzimage_boot boot;

	put32(O_INITRD_MAX, 64 * MiB - 1);
	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, rd, len, NULL, 0, &boot, &err),
		     0, "%s", err.msg);
	check_initrd(&boot, rd, len, 64 * MiB);
	free(rd);
}

Test(bzload, initrd_exactly_fits)
{
	/* Room between the kernel's end and the top of RAM, to the byte. */
	size_t len = GUEST_RAM - (PREF_ADDRESS + INIT_SIZE);
	uint8_t *rd = make_initrd(len);
	struct bzimage_boot boot;

	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, rd, len, NULL, 0, &boot, &err),
		     0, "%s", err.msg);
	cr_assert_eq(boot.initrd, PREF_ADDRESS + INIT_SIZE);
	check_initrd(&boot, rd, len, GUEST_RAM);
	free(rd);
}

Test(bzload, initrd_too_large)
{
	size_t len = GUEST_RAM - (PREF_ADDRESS + INIT_SIZE) + 1;
	uint8_t *rd = make_initrd(len);
	struct bzimage_boot boot;

	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, rd, len, NULL, 0, &boot, &err),
		     -E2BIG);
	cr_assert_not_null(strstr(err.msg, "does not fit"), "%s", err.msg);
	free(rd);
}

Test(bzload, initrd_larger_than_ram)
{
	size_t len = GUEST_RAM + 4096;
	uint8_t *rd = make_initrd(len);
	struct bzimage_boot boot;

	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, rd, len, NULL, 0, &boot, &err),
		     -E2BIG);
	cr_assert_not_null(strstr(err.msg, "does not fit"), "%s", err.msg);
	free(rd);
}

Test(bzload, initrd_addr_max_below_kernel)
{
	size_t len = 4096;
	uint8_t *rd = make_initrd(len);
	struct bzimage_boot boot;

	put32(O_INITRD_MAX, (uint32_t)(PREF_ADDRESS + INIT_SIZE + 2048 - 1));
	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, rd, len, NULL, 0, &boot, &err),
		     -E2BIG);
	cr_assert_not_null(strstr(err.msg, "does not fit"), "%s", err.msg);
	free(rd);
}

Test(bzload, cmdline_limits)
{
	char line[CMDLINE_SIZE + 2];
	struct bzimage_boot boot;
	const char *cl;

	memset(line, 'a', CMDLINE_SIZE);
	line[CMDLINE_SIZE] = '\0';
	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, NULL, 0, line, 0, &boot, &err),
		     0, "%s", err.msg);
	cl = gmem_ptr(&mem, BOOT_CMDLINE_ADDR, CMDLINE_SIZE + 1);
	cr_assert_eq(strlen(cl), CMDLINE_SIZE);

	line[CMDLINE_SIZE] = 'b';
	line[CMDLINE_SIZE + 1] = '\0';
	memset(&err, 0, sizeof(err));
	cr_assert_lt(bzimage_load(&mem, img, IMG_SIZE, NULL, 0, line, 0, &boot, &err), 0);
	cr_assert_not_null(strstr(err.msg, "command line"), "%s", err.msg);
}

Test(bzload, ram_too_small)
{
	struct bzimage_boot boot;

	put32(O_INIT_SIZE, 0x8000000);
	cr_assert_lt(bzimage_load(&mem, img, IMG_SIZE, NULL, 0, NULL, 0, &boot, &err), 0);
	cr_assert_not_null(strstr(err.msg, "too small"), "%s", err.msg);
}

Test(bzload, parse_errors_propagate)
{
	struct bzimage_boot boot;

	put16(O_BOOT_FLAG, 0);
	cr_assert_eq(bzimage_load(&mem, img, IMG_SIZE, NULL, 0, NULL, 0, &boot, &err),
		     -ENOEXEC);
	cr_assert_not_null(strstr(err.msg, "not a bzImage"), "%s", err.msg);
}

/* ---- the real kernel, when tools/fetch-kernel.sh has run ---- */

#define REAL_KERNEL "build/kernels/cloud/vmlinuz"

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		return NULL;
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_gt(n, 0);
	rewind(f);
	p = malloc((size_t)n);
	cr_assert_not_null(p);
	cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

Test(bzreal, debian_kernel)
{
	struct bzimage_info info;
	struct bzimage_boot boot;
	struct guest_mem m;
	uint8_t *k;
	size_t len;

	k = read_file(REAL_KERNEL, &len);
	if (!k)
		cr_skip_test("%s not present", REAL_KERNEL);
	cr_assert_eq(bzimage_parse(k, len, &info, &err), 0, "%s", err.msg);
	cr_assert_geq(info.version, 0x020c);
	cr_assert_eq(info.setup_size + info.kernel_size, len);
	cr_assert_gt(info.init_size, info.kernel_size);
	cr_assert_geq(info.cmdline_size, 255);

	cr_assert_eq(gmem_init(&m, 256 * MiB, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(bzimage_load(&m, k, len, NULL, 0, "console=ttyS0", 0, &boot, &err),
		     0, "%s", err.msg);
	cr_assert_eq(memcmp(gmem_ptr(&m, KERNEL_LOAD_ADDR, info.kernel_size),
			    k + info.setup_size, info.kernel_size), 0);
	gmem_destroy(&m);
	free(k);
}
