/* bzimage.c - see bzimage.h and Documentation/arch/x86/boot.rst. */
#include "vmm/bzimage.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <string.h>

#include "bios/e820.h"
#include "bios/layout.h"

#define SETUP_HDR_OFFSET  0x1f1
#define BOOT_FLAG_MAGIC   0xaa55
#define HDRS_MAGIC        0x53726448  /* "HdrS" */
#define MIN_PROTOCOL      0x020c      /* 2.12: xloadflags */
#define LOADER_TYPE_UNDEF 0xff
#define HEAP_END          0xfe00

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *info,
		  struct kvmini_error *err)
{
	struct setup_header h;
	size_t sects;

	if (len < 1024)
		return set_err(err, ENOEXEC,
			       "kernel is not a bzImage (only %zu bytes)", len);
	memcpy(&h, img + SETUP_HDR_OFFSET, sizeof(h));
	if (h.boot_flag != BOOT_FLAG_MAGIC || h.header != HDRS_MAGIC)
		return set_err(err, ENOEXEC,
			       "kernel is not a bzImage (no boot sector signature or \"HdrS\" header)");
	if (h.version < MIN_PROTOCOL)
		return set_err(err, ENOEXEC,
			       "bzImage boot protocol %u.%02u is too old (need 2.12 or later)",
			       h.version >> 8, h.version & 0xff);
	if (!(h.loadflags & LOADED_HIGH))
		return set_err(err, ENOEXEC, "bzImage is a zImage (not loaded high); not supported");
	if (!(h.xloadflags & XLF_KERNEL_64))
		return set_err(err, ENOEXEC, "bzImage has no 64-bit entry point (XLF_KERNEL_64 clear)");

	sects = h.setup_sects ? h.setup_sects : 4;
	info->setup_size = (sects + 1) * 512;
	if (info->setup_size >= len)
		return set_err(err, ENOEXEC,
			       "bzImage is truncated: %zu bytes, setup alone needs %zu",
			       len, info->setup_size);
	info->kernel_size = (size_t)h.syssize * 16;
	if (info->kernel_size == 0 || info->kernel_size > len - info->setup_size)
		return set_err(err, ENOEXEC,
			       "bzImage is truncated: header promises %zu bytes of kernel, file has %zu",
			       info->kernel_size, len - info->setup_size);
	info->version = h.version;
	info->initrd_addr_max = h.initrd_addr_max;
	info->cmdline_size = h.cmdline_size;
	info->pref_address = h.pref_address;
	info->init_size = h.init_size;
	info->relocatable = h.relocatable_kernel;
	return 0;
}

/* Place the initrd as high as allowed, page aligned, above the kernel. */
static int place_initrd(struct guest_mem *m, const struct bzimage_info *info,
			uint64_t kernel_end, const uint8_t *initrd, size_t len,
			gpa_t *at, struct kvmini_error *err)
{
	uint64_t top = gmem_low_end(m);
	uint8_t *dst;

	if ((uint64_t)info->initrd_addr_max + 1 < top)
		top = (uint64_t)info->initrd_addr_max + 1;
	if (len > top || ALIGN_DOWN(top - len, 4096) < kernel_end)
		return set_err(err, E2BIG,
			       "initrd (%zu MiB) does not fit in guest RAM: %llu MiB free below %llu MiB after the kernel; raise --mem",
			       (size_t)(len / MiB),
			       (unsigned long long)(top > kernel_end ? (top - kernel_end) / MiB : 0),
			       (unsigned long long)(top / MiB));
	*at = ALIGN_DOWN(top - len, 4096);
	dst = gmem_ptr(m, *at, len);
	if (!dst)
		return set_err(err, EFAULT, "initrd address outside guest RAM");
	memcpy(dst, initrd, len);
	return 0;
}

int bzimage_load(struct guest_mem *m, const uint8_t *img, size_t len,
		 const uint8_t *initrd, size_t initrd_len, const char *cmdline,
		 gpa_t rsdp, struct bzimage_boot *boot, struct kvmini_error *err)
{
	struct bzimage_info info;
	struct boot_params *bp;
	size_t hdr_len, cl_len;
	uint64_t kernel_end;
	uint8_t *dst;
	char *cl;
	int n, r;

	r = bzimage_parse(img, len, &info, err);
	if (r)
		return r;
	memset(boot, 0, sizeof(*boot));

	/* The decompressor runs from pref_address (16 MiB) and needs init_size. */
	kernel_end = (info.pref_address > KERNEL_LOAD_ADDR ? info.pref_address
							   : KERNEL_LOAD_ADDR) +
		     (info.init_size > info.kernel_size ? info.init_size : info.kernel_size);
	if (kernel_end > gmem_low_end(m))
		return set_err(err, ENOMEM,
			       "guest RAM (%llu MiB) is too small for this kernel: it needs at least %llu MiB",
			       (unsigned long long)(m->ram_size / MiB),
			       (unsigned long long)(ALIGN_UP(kernel_end, MiB) / MiB) + 16);

	dst = gmem_ptr(m, KERNEL_LOAD_ADDR, info.kernel_size);
	bp = gmem_ptr(m, BOOT_ZEROPAGE_ADDR, sizeof(*bp));
	cl = gmem_ptr(m, BOOT_CMDLINE_ADDR, BOOT_CMDLINE_MAX);
	if (!dst || !bp || !cl)
		return set_err(err, EFAULT, "boot areas fall outside guest RAM");
	memcpy(dst, img + info.setup_size, info.kernel_size);

	cmdline = cmdline ? cmdline : "";
	cl_len = strlen(cmdline);
	if (cl_len > info.cmdline_size || cl_len >= BOOT_CMDLINE_MAX)
		return set_err(err, E2BIG,
			       "command line is %zu bytes; this kernel accepts at most %u",
			       cl_len, info.cmdline_size);
	memcpy(cl, cmdline, cl_len + 1);

	memset(bp, 0, sizeof(*bp));
	hdr_len = 0x202 + img[0x201] - SETUP_HDR_OFFSET;
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, img + SETUP_HDR_OFFSET, hdr_len);
	bp->hdr.type_of_loader = LOADER_TYPE_UNDEF;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.loadflags &= (uint8_t)~0x20;   /* QUIET_FLAG off: show messages */
	bp->hdr.heap_end_ptr = HEAP_END - 0x200;
	bp->hdr.vid_mode = 0xffff;             /* "normal" */
	bp->hdr.cmd_line_ptr = (uint32_t)BOOT_CMDLINE_ADDR;
	bp->hdr.code32_start = (uint32_t)KERNEL_LOAD_ADDR;
	bp->acpi_rsdp_addr = rsdp;

	if (initrd && initrd_len) {
		r = place_initrd(m, &info, kernel_end, initrd, initrd_len,
				 &boot->initrd, err);
		if (r)
			return r;
		boot->initrd_size = initrd_len;
		bp->hdr.ramdisk_image = (uint32_t)boot->initrd;
		bp->hdr.ramdisk_size = (uint32_t)initrd_len;
	}

	n = e820_build(m, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0)
		return set_err(err, -n, "e820 map does not fit in the zero page");
	bp->e820_entries = (uint8_t)n;

	boot->entry = KERNEL_LOAD_ADDR + 0x200;
	boot->zeropage = BOOT_ZEROPAGE_ADDR;
	return 0;
}
