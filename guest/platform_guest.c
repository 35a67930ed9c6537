/*
 * platform_guest.c - platform.h on bare x86-64: serial console, TSC time,
 * buffers from mm.c, exits through the debug-exit port, and the operations
 * the exits workload times, performed for real so that each one leaves the
 * VM.
 */
#include "kvmini_guest_abi.h"
#include "platform.h"
#include "runtime.h"
#include "x86.h"

#define HYPERCALL_NR  0xffffu   /* no such KVM hypercall: -KVM_ENOSYS */
#define PM1A_CNT_PORT 0x604
#define SLP_S5_EN     ((5u << 10) | (1u << 13))

uint16_t guest_exit_port = KVMINI_DEBUG_EXIT_PORT;
static int hypercall_amd;      /* vmmcall rather than vmcall */
static int hypercall_state;    /* 0 untested, 1 works, -1 #UD */
static enum plat_wake_timer wake_timer = PLAT_WAKE_PERIODIC;

const char *plat_world(void)
{
	return "vm";
}

uint64_t plat_time_ns(void)
{
	return time_ns();
}

void plat_console_write(const char *s, size_t n)
{
	serial_write(s, n);
}

void guest_exit(uint32_t code)
{
	cli();
	outl(guest_exit_port, code);
	/* No debug-exit device: try ACPI S5 on kvmini's PM block, then halt. */
	outw(PM1A_CNT_PORT, SLP_S5_EN);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void plat_exit(int code)
{
	guest_exit(code ? KVMINI_GUEST_EXIT_FAIL : KVMINI_GUEST_EXIT_OK);
}

void panic(const char *msg)
{
	con_printf("# guest panic: %s\n", msg);
	con_printf("DONE world=vm status=fail\n");
	guest_exit(KVMINI_GUEST_EXIT_FAIL);
}

void plat_apply_opts(const struct bench_opts *o)
{
	(void)o;
}

static void detect_vendor(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	/* "AuthenticAMD" and "HygonGenuine" use vmmcall; ebx "Auth" / "Hygo". */
	hypercall_amd = r[1] == 0x68747541u || r[1] == 0x6f677948u;
}

static inline uint64_t hypercall(uint64_t nr)
{
	if (hypercall_amd)
		__asm__ volatile("vmmcall" : "+a"(nr) : : "memory");
	else
		__asm__ volatile("vmcall" : "+a"(nr) : : "memory");
	return nr;
}

void plat_set_wake_timer(enum plat_wake_timer mode)
{
	wake_timer = mode;
}

const char *plat_op_label(enum plat_op op)
{
	switch (op) {
	case PLAT_OP_CPUID: return "cpuid-leaf-0";
	case PLAT_OP_PIO: return "inb-port-0x530";
	case PLAT_OP_MMIO: return "read32-0xfe000000";
	case PLAT_OP_HYPERCALL:
		return hypercall_amd ? "vmmcall-nr-0xffff" : "vmcall-nr-0xffff";
	case PLAT_OP_HLT_WAKE:
		return wake_timer == PLAT_WAKE_ONESHOT ? "hlt-until-lapic-oneshot-50us"
						       : "hlt-until-lapic-periodic-50us";
	case PLAT_OP_COUNT: break;
	}
	return "unknown";
}

int plat_op_run(enum plat_op op, uint64_t iters)
{
	uint32_t r[4];
	uint64_t i;

	switch (op) {
	case PLAT_OP_CPUID:
		for (i = 0; i < iters; i++)
			cpuid(0, 0, r);
		return 0;
	case PLAT_OP_PIO:
		for (i = 0; i < iters; i++)
			(void)inb(KVMINI_PROBE_PORT);
		return 0;
	case PLAT_OP_MMIO:
		for (i = 0; i < iters; i++)
			(void)mmio_read32(KVMINI_PROBE_MMIO);
		return 0;
	case PLAT_OP_HYPERCALL:
		if (hypercall_state == 0) {
			detect_vendor();
			ud_hit = 0;
			ud_probe = 1;
			hypercall(HYPERCALL_NR);
			ud_probe = 0;
			hypercall_state = ud_hit ? -1 : 1;
		}
		if (hypercall_state < 0)
			return -PLAT_EUNSUPPORTED;
		for (i = 0; i < iters; i++)
			hypercall(HYPERCALL_NR);
		return 0;
	case PLAT_OP_HLT_WAKE:
		for (i = 0; i < iters; i++)
			if (apic_sleep_hlt(PLAT_WAKE_DELAY_NS,
					   wake_timer != PLAT_WAKE_ONESHOT))
				return -PLAT_EUNSUPPORTED;
		return 0;
	case PLAT_OP_COUNT:
		break;
	}
	return -PLAT_EINVAL;
}
