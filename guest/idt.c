/*
 * idt.c - the interrupt descriptor table: exceptions print the vector, the
 * error code and RIP and stop the guest with a failure; vectors from 32 go
 * to registered handlers (the APIC timer) or are acknowledged and ignored.
 */
#include "platform.h"
#include "runtime.h"
#include "x86.h"

#define KERNEL_CS 0x08
#define APIC_EOI  0xfee000b0u

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];
volatile int ud_probe, ud_hit;

extern char isr_stubs[];

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization",
	"#CP control protection",
};

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	unsigned int v;

	for (v = 0; v < 256; v++) {
		uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + 16 * v);

		idt[v] = (struct idt_entry){
			.off_lo = (uint16_t)a, .sel = KERNEL_CS, .ist = 0,
			.type = 0x8e,   /* present, DPL 0, 64-bit interrupt gate */
			.off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

void idt_set_handler(unsigned int v, irq_handler_t h)
{
	if (v >= 32 && v < 256)
		handlers[v] = h;
}

void pic_disable(void)
{
	/* ICW1-4: vectors 0x20-0x2f, cascade on IRQ 2, 8086 mode; then mask all. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void isr_dispatch(struct isr_frame *f);
void isr_dispatch(struct isr_frame *f)
{
	unsigned int v = (unsigned int)f->vector;

	if (v == 6 && ud_probe) {
		ud_hit = 1;
		f->rip += 3;   /* vmcall and vmmcall are both 3 bytes */
		return;
	}
	if (v >= 32) {
		if (handlers[v])
			handlers[v](f);
		else if (v != 0xff && v >= 0x30)
			mmio_write32(APIC_EOI, 0);   /* a LAPIC vector we do not use */
		return;   /* 0x20-0x2f: masked 8259 spurious; 0xff: APIC spurious */
	}
	con_printf("# guest exception %u (%s) error=%#llx rip=%#llx cr2=%#llx rsp=%#llx\n",
		   v, exc_names[v] ? exc_names[v] : "reserved",
		   (unsigned long long)f->error, (unsigned long long)f->rip,
		   (unsigned long long)read_cr2(), (unsigned long long)f->rsp);
	con_printf("DONE world=vm status=fail\n");
	guest_exit(1);
}
