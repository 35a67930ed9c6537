/*
 * timer.c - time from the TSC, calibrated against PIT channel 2, and the
 * local APIC timer (xAPIC MMIO), calibrated against the TSC, used
 * periodic or one-shot to wake the CPU from HLT.
 */
#include "runtime.h"
#include "x86.h"

#define PIT_HZ        1193182u
#define PIT_CH2       0x42
#define PIT_CMD       0x43
#define PIT_GATE      0x61
#define CAL_MS        10u

#define APIC_BASE     0xfee00000u
#define APIC_TPR      0x080
#define APIC_EOI      0x0b0
#define APIC_SVR      0x0f0
#define APIC_LVT_TMR  0x320
#define APIC_TMR_INIT 0x380
#define APIC_TMR_CUR  0x390
#define APIC_TMR_DIV  0x3e0
#define LVT_MASKED    0x10000u
#define LVT_PERIODIC  0x20000u
#define TIMER_VECTOR  0x40u

static uint64_t tsc0, hz, ns_mult;   /* ns = (tsc delta * ns_mult) >> 32 */
static uint64_t apic_hz;
static volatile int timer_fired;

/* TSC ticks during one PIT channel-2 countdown of CAL_MS, or 0. */
static uint64_t pit_window(void)
{
	uint32_t count = PIT_HZ * CAL_MS / 1000;
	uint64_t t0, t1, spin = 0;

	outb(PIT_GATE, (uint8_t)((inb(PIT_GATE) & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(PIT_CMD, 0xb0);              /* channel 2, lo/hi byte, mode 0 */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(PIT_GATE) & 0x20))
		if (++spin > 100000000)
			return 0;
	t1 = rdtsc();
	return t1 - t0;
}

void time_init(void)
{
	uint64_t best = 0;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint64_t t = pit_window();

		if (t && (!best || t < best))
			best = t;
	}
	hz = best ? best * (1000 / CAL_MS) : 1000000000ull;   /* guess 1 GHz */
	ns_mult = (1000000000ull << 32) / hz;   /* fits: 1e9 * 2^32 < 2^64 */
	tsc0 = rdtsc();
}

uint64_t tsc_hz(void)
{
	return hz;
}

uint64_t time_ns(void)
{
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * ns_mult) >> 32);
}

static inline void apic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(APIC_BASE + reg, v);
}

static inline uint32_t apic_read(uint32_t reg)
{
	return mmio_read32(APIC_BASE + reg);
}

static void timer_irq(struct isr_frame *f)
{
	(void)f;
	timer_fired = 1;
	apic_write(APIC_EOI, 0);
}

int apic_init(void)
{
	uint32_t r[4];
	uint64_t t0, cur;

	cpuid(1, 0, r);
	if (!(r[3] & (1u << 9)))
		return -1;   /* no local APIC */
	wrmsr(MSR_APIC_BASE, APIC_BASE | (1u << 11) | (rdmsr(MSR_APIC_BASE) & 0x100));
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, 0x100 | 0xff);   /* enabled, spurious vector 0xff */
	apic_write(APIC_LVT_TMR, LVT_MASKED | TIMER_VECTOR);
	apic_write(APIC_TMR_DIV, 0xb);        /* divide by 1 */
	idt_set_handler(TIMER_VECTOR, timer_irq);

	apic_write(APIC_TMR_INIT, 0xffffffffu);
	t0 = time_ns();
	while (time_ns() - t0 < CAL_MS * 1000000ull)
		;
	cur = apic_read(APIC_TMR_CUR);
	apic_write(APIC_TMR_INIT, 0);
	apic_hz = (0xffffffffull - cur) * (1000 / CAL_MS);
	return apic_hz ? 0 : -1;
}

uint64_t apic_timer_hz(void)
{
	return apic_hz;
}

int apic_sleep_hlt(uint64_t ns, int periodic)
{
	uint64_t ticks;

	if (!apic_hz)
		return -1;
	if (ns > 1000000000u)
		ns = 1000000000u;
	ticks = ns * apic_hz / 1000000000u;   /* < 2^64 for apic_hz < 18 GHz */
	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	/*
	 * Periodic: the first interrupt ends the wait just as a one-shot one
	 * would, and should a wake-up ever be lost (seen now and then under
	 * nested emulation) the next period still ends it instead of leaving
	 * the CPU halted for good. One-shot (LVT mode 0) measures the path most
	 * guests take, without that safety net.
	 */
	timer_fired = 0;
	apic_write(APIC_LVT_TMR, (periodic ? LVT_PERIODIC : 0) | TIMER_VECTOR);
	apic_write(APIC_TMR_INIT, (uint32_t)ticks);
	while (!timer_fired)
		sti_hlt();
	apic_write(APIC_LVT_TMR, LVT_MASKED | TIMER_VECTOR);
	apic_write(APIC_TMR_INIT, 0);
	return 0;
}
