/*
 * mb32.c - a standard Multiboot 1 test kernel (ELF32, higher half), in the
 * manner of GRUB's test kernels: it checks what the boot loader handed
 * over and prints one line per fact on COM1, then ends the VM through
 * isa-debug-exit (port 0xf4, 4 bytes): 0 when every check passed (exit
 * status 1 under kvmini and QEMU), 1 when one failed (status 3).
 *
 * It follows the Multiboot 1 specification alone: the structures below are
 * its own, not kvmini's headers, so the same kernel boots under any
 * Multiboot loader (tests/integration/multiboot.sh boots it under kvmini
 * and under QEMU's -kernel).
 *
 * Lines (each "MB32: ..."):
 *   magic=ok                       EAX was 0x2BADB002
 *   entry=phys                     entered at the physical address of
 *                                  _start (the ELF entry translated through
 *                                  the program header), paging off, PE on
 *   flags=0xXXXXXXXX               the info's flags
 *   mem_lower=N mem_upper=N        KiB (info flag 0)
 *   mmap entries=N ram_kib=N       the memory map (flag 6); ram_kib sums the
 *                                  type-1 entries' lengths in KiB
 *   cmdline=S                      flag 2
 *   loader=S                       flag 9
 *   mods=N                         flag 3 (0 without it)
 *   mod I string=S size=N first=HEX cksum=N
 *                                  per module: its first (up to) 4 bytes in
 *                                  hex, in file order, and its POSIX cksum
 *                                  (the first number `cksum FILE` prints)
 *   bss=zero                       a 1 MiB .bss array is all zero
 *   result=pass | result=FAIL (N checks)
 * and "MB32: FAIL: ..." for each check that failed.
 */
#include <stddef.h>
#include <stdint.h>

#define KERNEL_VMA     0xC0000000u
#define HIGH_MAP_SIZE  0x40000000u   /* boot.S maps the first GiB high */
#define P2V(pa)        ((const void *)(uintptr_t)((pa) + KERNEL_VMA))

#define MB_BOOT_MAGIC  0x2BADB002u
#define MBI_MEMORY     (1u << 0)
#define MBI_CMDLINE    (1u << 2)
#define MBI_MODS       (1u << 3)
#define MBI_MMAP       (1u << 6)
#define MBI_LOADER     (1u << 9)

#define COM1           0x3f8
#define DEBUG_EXIT     0xf4

struct mbi {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

struct mbi_mod {
	uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));

struct mbi_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

/* boot.S and mb32.ld */
extern uint32_t mb32_boot_eax, mb32_boot_ebx, mb32_boot_eip, mb32_boot_cr0;
extern char mb32_here[], _start[], __kernel_start[], __kernel_end[];

void mb32_main(void);

static uint8_t big_bss[1u << 20] __attribute__((aligned(4096)));
static unsigned int failures;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static void serial_init(void)
{
	outb(COM1 + 1, 0x00);   /* no interrupts */
	outb(COM1 + 3, 0x80);   /* DLAB */
	outb(COM1 + 0, 0x01);   /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);   /* 8N1 */
	outb(COM1 + 2, 0xc7);   /* FIFOs on, cleared */
	outb(COM1 + 4, 0x03);   /* DTR, RTS */
}

static void putc_com1(char c)
{
	unsigned int spins = 0;

	while (!(inb(COM1 + 5) & 0x20) && ++spins < 1000000)
		;                       /* LSR bit 5: THR empty */
	outb(COM1, (uint8_t)c);
}

static void puts_(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_com1('\r');
		putc_com1(*s);
	}
}

static void putu(uint32_t v)
{
	char b[11];
	int i = 10;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(b + i);
}

static void puthex(uint32_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";

	while (digits--)
		putc_com1(hex[(v >> (digits * 4)) & 15]);
}

/* A string of the boot information, printed with a bound. */
static void putstr_at(uint32_t pa)
{
	const char *s = P2V(pa);
	unsigned int n;

	for (n = 0; n < 4096 && s[n]; n++)
		putc_com1(s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?');
}

static void fail(const char *what, uint32_t a, uint32_t b)
{
	failures++;
	puts_("MB32: FAIL: ");
	puts_(what);
	puts_(" (0x");
	puthex(a, 8);
	puts_(", 0x");
	puthex(b, 8);
	puts_(")\n");
}

/* [pa, pa + len) must be reachable through the high mapping. */
static int mapped(uint32_t pa, uint32_t len)
{
	return pa < HIGH_MAP_SIZE && len <= HIGH_MAP_SIZE - pa;
}

/* POSIX cksum: CRC-32 (0x04C11DB7, MSB first) of the bytes, then of the
 * length (least significant byte first, as many bytes as it has), ones'
 * complement. */
static uint32_t crc_byte(uint32_t crc, uint8_t b)
{
	int i;

	crc ^= (uint32_t)b << 24;
	for (i = 0; i < 8; i++)
		crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	return crc;
}

static uint32_t posix_cksum(const uint8_t *p, uint32_t len)
{
	uint32_t crc = 0, i, n;

	for (i = 0; i < len; i++)
		crc = crc_byte(crc, p[i]);
	for (n = len; n; n >>= 8)
		crc = crc_byte(crc, (uint8_t)n);
	return ~crc;
}

static void check_entry(void)
{
	uint32_t want = (uint32_t)(uintptr_t)mb32_here - KERNEL_VMA;

	if ((uint32_t)(uintptr_t)_start < KERNEL_VMA)
		fail("_start is not linked in the higher half", (uint32_t)(uintptr_t)_start, 0);
	if (mb32_boot_eip == want && (mb32_boot_cr0 & 0x80000001u) == 1u) {
		puts_("MB32: entry=phys\n");
		return;
	}
	puts_("MB32: entry=wrong eip=0x");
	puthex(mb32_boot_eip, 8);
	puts_(" cr0=0x");
	puthex(mb32_boot_cr0, 8);
	puts_("\n");
	fail("entry: not at the physical address, or paging on / PE off", mb32_boot_eip, want);
}

static void check_mmap(const struct mbi *mi)
{
	uint32_t off = 0, n = 0, ram_kib = 0;

	if (!(mi->flags & MBI_MMAP)) {
		fail("no memory map (info flag 6)", mi->flags, 0);
		return;
	}
	if (!mapped(mi->mmap_addr, mi->mmap_length)) {
		fail("memory map out of reach", mi->mmap_addr, mi->mmap_length);
		return;
	}
	while (off + 4 <= mi->mmap_length) {
		const struct mbi_mmap *e = P2V(mi->mmap_addr + off);

		if (e->size < 20 || e->size > mi->mmap_length - off - 4) {
			fail("memory map entry of a bad size", off, e->size);
			return;
		}
		if (e->type == 1)
			ram_kib += (uint32_t)(e->len >> 10);
		n++;
		off += e->size + 4;
	}
	puts_("MB32: mmap entries=");
	putu(n);
	puts_(" ram_kib=");
	putu(ram_kib);
	puts_("\n");
	if (n == 0 || ram_kib == 0)
		fail("memory map without RAM", n, ram_kib);
}

static void check_mods(const struct mbi *mi)
{
	uint32_t kstart = (uint32_t)(uintptr_t)__kernel_start - KERNEL_VMA;
	uint32_t kend = (uint32_t)(uintptr_t)__kernel_end - KERNEL_VMA;
	uint32_t n = mi->flags & MBI_MODS ? mi->mods_count : 0, i, j;
	const struct mbi_mod *m;

	puts_("MB32: mods=");
	putu(n);
	puts_("\n");
	if (!n)
		return;
	if (n > 64 || !mapped(mi->mods_addr, n * (uint32_t)sizeof(*m))) {
		fail("module list out of reach", mi->mods_addr, n);
		return;
	}
	m = P2V(mi->mods_addr);
	for (i = 0; i < n; i++) {
		uint32_t s = m[i].mod_start, e = m[i].mod_end, size = e - s, k;
		const uint8_t *p;

		if (e < s || !mapped(s, size) || !m[i].string || !mapped(m[i].string, 1)) {
			fail("module out of reach", s, e);
			continue;
		}
		p = P2V(s);
		puts_("MB32: mod ");
		putu(i);
		puts_(" string=");
		putstr_at(m[i].string);
		puts_(" size=");
		putu(size);
		puts_(" first=");
		for (k = 0; k < 4 && k < size; k++)
			puthex(p[k], 2);
		puts_(" cksum=");
		putu(posix_cksum(p, size));
		puts_("\n");
		if (s & 0xfff)
			fail("module not page-aligned (header flag 0)", s, i);
		if (s < kend && e > kstart)
			fail("module overlaps the kernel", s, kstart);
		for (j = 0; j < i; j++)
			if (s < m[j].mod_end && e > m[j].mod_start)
				fail("modules overlap", i, j);
	}
}

static void check_bss(void)
{
	const volatile uint32_t *w = (const volatile uint32_t *)big_bss;
	uint32_t i;

	for (i = 0; i < sizeof(big_bss) / 4; i++) {
		if (w[i]) {
			fail("bss not zero", i * 4, w[i]);
			return;
		}
	}
	puts_("MB32: bss=zero\n");
}

void mb32_main(void)
{
	const struct mbi *mi = NULL;

	serial_init();
	puts_("\nMB32: hello from a higher-half ELF32 Multiboot kernel\n");
	if (mb32_boot_eax == MB_BOOT_MAGIC) {
		puts_("MB32: magic=ok\n");
	} else {
		puts_("MB32: magic=bad\n");
		fail("EAX is not 0x2BADB002", mb32_boot_eax, MB_BOOT_MAGIC);
	}
	check_entry();
	if (mapped(mb32_boot_ebx, sizeof(*mi)))
		mi = P2V(mb32_boot_ebx);
	else
		fail("EBX (the info) out of reach", mb32_boot_ebx, 0);
	if (mi) {
		puts_("MB32: flags=0x");
		puthex(mi->flags, 8);
		puts_("\n");
		if (mi->flags & MBI_MEMORY) {
			puts_("MB32: mem_lower=");
			putu(mi->mem_lower);
			puts_(" mem_upper=");
			putu(mi->mem_upper);
			puts_("\n");
			if (mi->mem_lower == 0 || mi->mem_lower > 640 || mi->mem_upper == 0)
				fail("implausible mem_lower/mem_upper", mi->mem_lower, mi->mem_upper);
		} else {
			fail("no mem_lower/mem_upper (info flag 0), asked for by header flag 1",
			     mi->flags, 0);
		}
		check_mmap(mi);
		if (mi->flags & MBI_CMDLINE && mapped(mi->cmdline, 1)) {
			puts_("MB32: cmdline=");
			putstr_at(mi->cmdline);
			puts_("\n");
		} else {
			fail("no command line (info flag 2)", mi->flags, mi->cmdline);
		}
		if (mi->flags & MBI_LOADER && mapped(mi->boot_loader_name, 1)) {
			puts_("MB32: loader=");
			putstr_at(mi->boot_loader_name);
			puts_("\n");
		} else {
			fail("no boot loader name (info flag 9)", mi->flags, mi->boot_loader_name);
		}
		check_mods(mi);
	}
	check_bss();
	if (failures) {
		puts_("MB32: result=FAIL (");
		putu(failures);
		puts_(" checks)\n");
	} else {
		puts_("MB32: result=pass\n");
	}
	outl(DEBUG_EXIT, failures ? 1 : 0);
}
