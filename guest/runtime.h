/*
 * runtime.h - the freestanding guest runtime: console, interrupts, time,
 * the local APIC timer, memory and boot information. Guest-only.
 */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "pci.h"

/* libc.c: what the runtime and libfdt use from a C library. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

/* serial.c: COM1, 115200 8N1, polled. */
void serial_init(void);
void serial_write(const char *s, size_t n);

/* panic - print "# guest panic: msg", report failure and stop. */
void panic(const char *msg) __attribute__((noreturn));

/* exit.c: stop through the debug-exit port (fallback: ACPI S5, then halt). */
void guest_exit(uint32_t code) __attribute__((noreturn));
extern uint16_t guest_exit_port;

/* idt.c: exception and interrupt handling. */
struct isr_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
typedef void (*irq_handler_t)(struct isr_frame *f);
void idt_init(void);
/* idt_set_handler - call h for vector v (32..255). */
void idt_set_handler(unsigned int v, irq_handler_t h);
/* While ud_probe is set, a #UD skips the 3-byte instruction and sets ud_hit. */
extern volatile int ud_probe, ud_hit;
/* pic_disable - remap the 8259s away from exception vectors and mask them. */
void pic_disable(void);

/* timer.c: TSC clock and the local APIC timer. */
void time_init(void);
uint64_t time_ns(void);
uint64_t tsc_hz(void);
int apic_init(void);
uint64_t apic_timer_hz(void);
/*
 * apic_sleep_hlt - arm the timer for ns, periodic (periodic != 0) or
 * one-shot, HLT until it fires, then stop it. Returns 0, or -1 without a
 * calibrated timer.
 */
int apic_sleep_hlt(uint64_t ns, int periodic);

/* bootinfo.c: what the loader told us. */
struct mem_range {
	uint64_t start, end;
};
#define BOOT_MAX_RANGES 16
struct boot_info {
	char cmdline[2048];
	struct mem_range ram[BOOT_MAX_RANGES];  /* usable RAM from the mmap */
	unsigned int nr_ram;
	uint64_t reserved_end;   /* first byte past the image, modules and info */
	int have_fdt;
	unsigned int fdt_cpus;
	uint64_t fdt_mem;        /* bytes of RAM the FDT lists */
	uint32_t exit_port;
	int fdt_has_pci;         /* the FDT has kvmini's /pci: its list is complete */
	unsigned int fdt_npci;   /* functions /pci lists (may exceed PCI_MAX_LISTED) */
	struct pci_dev fdt_pci[PCI_MAX_LISTED];  /* the first of them */
};
int bootinfo_parse(uint32_t magic, uint32_t info, struct boot_info *bi);

/* mm.c: physical bump allocator and buffer mappings with a chosen page size. */
void mm_init(const struct boot_info *bi);
uint64_t mm_free_bytes(void);
int mm_has_1g_pages(void);
/*
 * mm_dma_alloc - size bytes of zeroed, identity-mapped memory aligned to
 * align (a power of two, at most 2 MiB) for device rings and driver
 * buffers: virtual == physical. Taken from the top of the free range and
 * never given back, so it is untouched by plat_buf frees. Returns the
 * address, or NULL when memory is short.
 */
void *mm_dma_alloc(uint64_t size, uint64_t align);
/*
 * mm_virt_to_phys - the physical address behind va (any mapping: the
 * identity map or a plat_buf) in *pa, and in *contig the bytes from va to
 * the end of its page. Returns 0, or -PLAT_EINVAL when va is not mapped.
 */
int mm_virt_to_phys(const void *va, uint64_t *pa, uint64_t *contig);
/*
 * mm_map_io - make [pa, pa + size) reachable at virtual address pa,
 * uncached (device registers). Below 4 GiB the boot map already covers it
 * and only the cache bits change; up to 512 GiB page directories are added.
 * Returns 0, -PLAT_EINVAL (beyond 512 GiB) or -PLAT_ENOMEM.
 */
int mm_map_io(uint64_t pa, uint64_t size);

#endif
