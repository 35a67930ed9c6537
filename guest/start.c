/*
 * start.c - the guest's main line, called from boot.S in 64-bit mode:
 * console, stack-protector canary, interrupts, boot information, clocks,
 * memory, the PCI functions the device tree lists, then the workloads the
 * command line asks for.
 */
#include "kvmini_guest_abi.h"
#include "platform.h"
#include "runtime.h"
#include "x86.h"

#define GUEST_DEFAULT_MEM_MAX (64ull << 20)

/* %fs:0x28 holds the canary the stack protector in libfdt checks. */
static uint64_t tls_block[8] __attribute__((aligned(64)));
static struct boot_info boot;

void guest_start(uint32_t magic, uint32_t info);
void guest_start(uint32_t magic, uint32_t info)
{
	tls_block[5] = rdtsc() * 0x9e3779b97f4a7c15ull | 0xff;  /* low byte non-zero */
	wrmsr(MSR_FS_BASE, (uint64_t)(uintptr_t)tls_block);
	serial_init();
	idt_init();
	pic_disable();
	if (bootinfo_parse(magic, info, &boot)) {
		con_printf("# guest: not started by a Multiboot loader (eax=%#x)\n", magic);
		panic("no Multiboot information");
	}
	guest_exit_port = (uint16_t)boot.exit_port;
	time_init();
	if (apic_init())
		con_printf("# guest: no usable local APIC timer\n");
	mm_init(&boot);
	con_printf("# guest: cmdline \"%s\"\n", boot.cmdline);
	con_printf("# guest: tsc %llu kHz, apic timer %llu kHz, %llu MiB free for buffers, fdt %s",
		   (unsigned long long)(tsc_hz() / 1000),
		   (unsigned long long)(apic_timer_hz() / 1000),
		   (unsigned long long)(mm_free_bytes() >> 20), boot.have_fdt ? "yes" : "no");
	if (boot.have_fdt)
		con_printf(" (%u cpus, %llu MiB, exit port %#x", boot.fdt_cpus,
			   (unsigned long long)(boot.fdt_mem >> 20), boot.exit_port);
	if (boot.fdt_has_pci)
		con_printf(", %u pci device%s", boot.fdt_npci, boot.fdt_npci == 1 ? "" : "s");
	con_printf("%s\n", boot.have_fdt ? ")" : "");
	/* The device tree's PCI functions are all there are; else scan bus 0. */
	if (boot.fdt_has_pci)
		pci_use_list(boot.fdt_pci, boot.fdt_npci < PCI_MAX_LISTED ? boot.fdt_npci
									    : PCI_MAX_LISTED);
	plat_exit(bench_main(boot.cmdline, GUEST_DEFAULT_MEM_MAX));
}
