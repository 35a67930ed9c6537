/*
 * kvmini_guest_abi.h - what kvmini promises a Multiboot guest built from
 * guest/, and what such a guest may rely on. Self-contained: included by the
 * VMM (vmm/multiboot.c, vmm/fdt.c) and by the freestanding guest alike, so it
 * uses nothing but <stdint.h>.
 *
 * Boot: Multiboot 1. The guest starts in 32-bit protected mode, paging off,
 * flat 4 GiB code and data segments, interrupts off, EAX = MB_BOOT_MAGIC and
 * EBX = the guest-physical address of a struct mb_info. The info carries
 * mem_lower/mem_upper, the BIOS-style memory map, the command line and, when
 * kvmini passes one, a module holding a flattened device tree (FDT) whose
 * string is KVMINI_FDT_MODULE_STRING.
 *
 * FDT layout (all cells big-endian, #address-cells = #size-cells = 2 at /):
 *   /                 compatible = "kvmini,virt"; model = "kvmini"
 *   /chosen           bootargs = "<command line>"
 *   /memory@0         device_type = "memory"; reg = <addr size>... one pair
 *                     per RAM region (below the PCI hole, from 4 GiB)
 *   /cpus             #address-cells = <1>; #size-cells = <0>
 *   /cpus/cpu@N       device_type = "cpu"; reg = <N> (the APIC ID)
 *   /kvmini           compatible = "kvmini,platform";
 *                     exit-port = <port>; exit-port-size = <4>
 *                     (isa-debug-exit: a 32-bit write of v stops the VM with
 *                     exit status (v << 1) | 1)
 *   /kvmini/serial@3f8  compatible = "ns16550a"; port = <0x3f8>; irq = <4>
 *   /kvmini/<dev>@<n>   further device entries, each with a "compatible"
 *                     string; guests skip what they do not know.
 *   /pci              compatible = "kvmini,pci-cam"; device_type = "pci";
 *                     the host bridge of bus 0, configuration mechanism #1:
 *                     config-port = <0xcf8>; config-port-size = <8>
 *                     (address at 0xcf8, data at 0xcfc); bus-range = <0 0>;
 *                     mmio-window = <addr size> (2 + 2 cells: where the BARs
 *                     are placed, below 4 GiB); #address-cells = <1>;
 *                     #size-cells = <0>
 *   /pci/<what>@S,F   one node per function besides the host bridge, all of
 *                     them (a guest need not scan): <what> is virtio-blk,
 *                     virtio-net or pci-function; reg = <S << 11 | F << 8>
 *                     (slot S, function F: the CONFIG_ADDRESS bits);
 *                     vendor-id, device-id, class-code = <...>;
 *                     compatible = "pciVVVV,DDDD" (hex IDs)
 * The memory reservation block lists [EBDA, 1 MiB).
 */
#ifndef KVMINI_GUEST_ABI_H
#define KVMINI_GUEST_ABI_H

#include <stdint.h>

/* Multiboot 1 header, as found in the first 8 KiB of the image. */
#define MB_HEADER_MAGIC        0x1BADB002u
#define MB_HEADER_SEARCH       8192u
#define MB_HEADER_ALIGN        4u
#define MB_FLAG_PAGE_ALIGN     0x00000001u  /* modules on 4 KiB boundaries */
#define MB_FLAG_MEMORY_INFO    0x00000002u  /* wants mem_* and mmap */
#define MB_FLAG_VIDEO_MODE     0x00000004u  /* wants a video mode (refused) */
#define MB_FLAG_AOUT_KLUDGE    0x00010000u  /* address fields are valid */
#define MB_FLAGS_REQUIRED_MASK 0x0000ffffu  /* loader must know all of these */

struct mb_header {
	uint32_t magic;
	uint32_t flags;
	uint32_t checksum;     /* magic + flags + checksum == 0 (mod 2^32) */
	/* valid with MB_FLAG_AOUT_KLUDGE */
	uint32_t header_addr;  /* where this header lands in memory */
	uint32_t load_addr;    /* start of the text to load */
	uint32_t load_end_addr;/* end of the data to load; 0: to end of file */
	uint32_t bss_end_addr; /* end of bss to zero; 0: no bss */
	uint32_t entry_addr;   /* 32-bit entry point */
};

/* Handed over in EAX. */
#define MB_BOOT_MAGIC          0x2BADB002u

#define MB_INFO_MEMORY         0x00000001u
#define MB_INFO_BOOTDEV        0x00000002u
#define MB_INFO_CMDLINE        0x00000004u
#define MB_INFO_MODS           0x00000008u
#define MB_INFO_MEM_MAP        0x00000040u
#define MB_INFO_LOADER_NAME    0x00000200u

/* The Multiboot information structure, EBX on entry. */
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;    /* KiB from 0 */
	uint32_t mem_upper;    /* KiB from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;      /* address of a NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr;    /* address of mods_count struct mb_module */
	uint32_t syms[4];
	uint32_t mmap_length;  /* bytes of struct mb_mmap_entry records */
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe[4];       /* VBE fields, unused */
} __attribute__((packed));

struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;      /* one past the last byte */
	uint32_t string;       /* address of a NUL-terminated string */
	uint32_t reserved;
} __attribute__((packed));

/* One memory-map record; size counts the bytes after the size field. */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;         /* 1: RAM, anything else: reserved */
} __attribute__((packed));

#define MB_MMAP_RAM 1u

/* The module string of the FDT kvmini passes; the guest also accepts any
 * module that starts with FDT_MAGIC_BE. */
#define KVMINI_FDT_MODULE_STRING "fdt"
#define KVMINI_FDT_MAGIC         0xd00dfeedu  /* first word, big-endian */

/* Ports and addresses the guest uses. */
#define KVMINI_DEBUG_EXIT_PORT   0x00f4u  /* isa-debug-exit, 4 bytes */
#define KVMINI_DEBUG_EXIT_SIZE   4u
#define KVMINI_COM1_PORT         0x03f8u
/* A port and an MMIO address nothing is mapped at, under kvmini and under
 * QEMU's pc machine: reads exit to the VMM and return all-ones. */
#define KVMINI_PROBE_PORT        0x0530u
#define KVMINI_PROBE_MMIO        0xfe000000u

/* Guest exit codes written to the debug-exit port. */
#define KVMINI_GUEST_EXIT_OK     0u   /* exit status 1 */
#define KVMINI_GUEST_EXIT_FAIL   1u   /* exit status 3 */

#endif
