/*
 * test_pci_bars.c - PCI BARs as ranges on the port and MMIO buses: mapped
 * when the guest enables decoding, moved with the BAR, unmapped when
 * decoding goes off; a BAR placed outside the window, over another BAR or
 * over a non-PCI device is refused (left unmapped, one warning naming the
 * function and the conflict) and the owner keeps its range; 64-bit BARs
 * above 4 GiB; the guest's path through ports 0xcf8/0xcfc; and lookups on
 * other threads while a BAR moves.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/iobus.h"
#include "devices/pci.h"
#include "fake_power.h"
#include "stress.h"

#define WIN_BASE 0xc0000000ULL
#define WIN_END  0xfec00000ULL
#define BAR_SIZE 0x4000ULL
#define IO_SIZE  0x20ULL

/* A function whose BAR handlers answer with its tag, the BAR and the offset. */
struct fake_fn {
	struct pci_function pci;
	uint32_t tag;
	atomic_int reads, writes, remaps;
	int config_writes;        /* config_written calls */
	int last_bar;             /* of the last write */
	uint64_t last_off;
	uint64_t addr_at_remap;   /* pci_bar_address(BAR0) seen by mapping_changed */
};

/* What a fake BAR read returns: who answered, which BAR, at what offset. */
static uint64_t answer(uint32_t tag, int bar, uint64_t off)
{
	return (uint64_t)tag << 40 | (uint64_t)bar << 32 | off;
}

static void fn_bar_read(void *opaque, int bar, uint64_t off, void *data, unsigned int len)
{
	struct fake_fn *f = opaque;
	uint64_t v = answer(f->tag, bar, off);

	atomic_fetch_add(&f->reads, 1);   /* reads may come from several threads */
	memcpy(data, &v, len);
}

static void fn_bar_write(void *opaque, int bar, uint64_t off, const void *data,
			 unsigned int len)
{
	struct fake_fn *f = opaque;

	(void)data;
	(void)len;
	atomic_fetch_add(&f->writes, 1);
	f->last_bar = bar;
	f->last_off = off;
}

static void fn_mapping_changed(void *opaque)
{
	struct fake_fn *f = opaque;

	atomic_fetch_add(&f->remaps, 1);
	f->addr_at_remap = pci_bar_address(&f->pci, 0);
}

static void fn_config_written(void *opaque, unsigned int off, unsigned int len)
{
	struct fake_fn *f = opaque;

	cr_assert(len >= 1 && len <= 4 && off + len <= PCI_CFG_SIZE,
		  "told of a config write of %u bytes at %#x", len, off);
	f->config_writes++;
}

static const struct pci_function_ops fn_ops = {
	.bar_read = fn_bar_read, .bar_write = fn_bar_write,
	.config_written = fn_config_written, .mapping_changed = fn_mapping_changed,
};

/* A non-PCI device on a bus. */
static atomic_int other_reads;

static void other_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	(void)opaque;
	(void)off;
	atomic_fetch_add(&other_reads, 1);
	memset(data, 0x5a, len);
}

static const struct iodev_ops other_ops = { .read = other_read };

static struct fake_power power;
static struct iobus pio, mmio;
static struct pci_bus bus;
static struct fake_fn f1, f2;

static void fn_init(struct fake_fn *f, uint32_t tag, int io_bar)
{
	memset(f, 0, sizeof(*f));
	pci_function_init(&f->pci, "fake", 0x1234, (uint16_t)tag, 0xff0000, 0, 0);
	f->pci.ops = &fn_ops;
	f->pci.opaque = f;
	f->tag = tag;
	cr_assert_eq(pci_function_set_bar(&f->pci, 0, BAR_SIZE), 0);
	if (io_bar)
		cr_assert_eq(pci_function_set_io_bar(&f->pci, 2, IO_SIZE), 0);
}

static void setup(void)
{
	memset(&power, 0, sizeof(power));
	atomic_store(&other_reads, 0);
	iobus_init(&pio, "pio");
	iobus_init(&mmio, "mmio");
	cr_assert_eq(pci_bus_init(&bus, fake_power_sink(&power), WIN_BASE, WIN_END), 0);
	cr_assert_eq(pci_bus_attach(&bus, &pio, &mmio), 0);
	fn_init(&f1, 1, 1);
	fn_init(&f2, 2, 0);
	cr_assert_eq(pci_bus_add(&bus, &f1.pci), 1);
	cr_assert_eq(pci_bus_add(&bus, &f2.pci), 2);
}

static void teardown(void)
{
	pci_bus_destroy(&bus);
	iobus_destroy(&mmio);
	iobus_destroy(&pio);
}

TestSuite(pci_bars, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static void cfg_write(struct fake_fn *f, unsigned int off, unsigned int len, uint32_t v)
{
	pci_config_write(&bus, f->pci.slot_nr, 0, off, len, v);
}

static uint32_t cfg_read(struct fake_fn *f, unsigned int off, unsigned int len)
{
	return pci_config_read(&bus, f->pci.slot_nr, 0, off, len);
}

static void command(struct fake_fn *f, uint16_t v)
{
	cfg_write(f, PCI_COMMAND, 2, v);
}

/* Program 64-bit memory BAR0 of f to at (low half, then high half). */
static void move_bar0(struct fake_fn *f, uint64_t at)
{
	cfg_write(f, PCI_BAR0, 4, (uint32_t)at);
	cfg_write(f, PCI_BAR0 + 4, 4, (uint32_t)(at >> 32));
}

/* The programmed address of BAR0 as config space reads it. */
static uint64_t bar0_reg(struct fake_fn *f)
{
	return (cfg_read(f, PCI_BAR0, 4) & ~0xfu) | (uint64_t)cfg_read(f, PCI_BAR0 + 4, 4) << 32;
}

/* Read 8 bytes at addr on b: the answer, or all-ones when unclaimed. */
static uint64_t rd(struct iobus *b, uint64_t addr)
{
	uint64_t v = 0;

	iobus_access(b, addr, &v, sizeof(v), 0);
	return v;
}

/* Warnings the code under test logs go to fd 2: catch them in a file. */
static int saved_stderr = -1;
static FILE *capture;

static void capture_start(void)
{
	fflush(stderr);
	capture = tmpfile();
	cr_assert_not_null(capture);
	saved_stderr = dup(2);
	cr_assert_geq(saved_stderr, 0);
	cr_assert_geq(dup2(fileno(capture), 2), 0);
}

/* Stop capturing; the text logged since capture_start() (caller frees). */
static char *capture_stop(void)
{
	long n;
	char *s;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	n = ftell(capture);
	cr_assert_geq(n, 0);
	s = calloc(1, (size_t)n + 1);
	cr_assert_not_null(s);
	rewind(capture);
	cr_assert_eq(fread(s, 1, (size_t)n, capture), (size_t)n);
	fclose(capture);
	return s;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* ---- attach, map, move, unmap ---- */

Test(pci_bars, attach_refuses_null_and_twice)
{
	struct pci_bus b;

	cr_assert_eq(pci_bus_attach(&bus, &pio, &mmio), -EINVAL);
	cr_assert_eq(pci_bus_init(&b, fake_power_sink(&power), WIN_BASE, WIN_END), 0);
	cr_assert_eq(pci_bus_attach(&b, NULL, &mmio), -EINVAL);
	cr_assert_eq(pci_bus_attach(&b, &pio, NULL), -EINVAL);
	cr_assert_eq(pci_bus_attach(NULL, &pio, &mmio), -EINVAL);
	pci_bus_destroy(&b);
}

Test(pci_bars, nothing_mapped_until_decoding_is_on)
{
	cr_assert_eq(bar0_reg(&f1), WIN_BASE, "placed by pci_bus_add as before");
	cr_assert_eq(bar0_reg(&f2), WIN_BASE + BAR_SIZE);
	cr_assert_eq(mmio.nr, 0);
	cr_assert_eq(pio.nr, 0);
	cr_assert_eq(pci_bar_address(&f1.pci, 0), 0);
	cr_assert_eq(rd(&mmio, WIN_BASE), UINT64_MAX);
	cr_assert_eq(atomic_load(&f1.reads), 0);
	cr_assert_eq(atomic_load(&mmio.unclaimed), 1);
}

Test(pci_bars, memory_enable_maps_exactly_the_bar)
{
	const struct iobus_range *r;
	uint64_t w = 7;

	command(&f1, PCI_COMMAND_MEMORY);
	cr_assert_eq(mmio.nr, 1);
	r = iobus_find(&mmio, WIN_BASE);
	cr_assert_not_null(r);
	cr_assert_eq(r->base, WIN_BASE);
	cr_assert_eq(r->len, BAR_SIZE);
	cr_assert_str_eq(r->name, "PCI 00:01.0 BAR0");
	cr_assert_eq(pio.nr, 0, "I/O decoding is still off");
	cr_assert_eq(pci_bar_address(&f1.pci, 0), WIN_BASE);
	cr_assert_eq(atomic_load(&f1.remaps), 1);
	cr_assert_eq(f1.addr_at_remap, WIN_BASE, "mapped before the device is told");

	cr_assert_eq(rd(&mmio, WIN_BASE + 0x10), answer(1, 0, 0x10));
	cr_assert_eq(iobus_access(&mmio, WIN_BASE + BAR_SIZE - 4, &w, 4, 1), 0);
	cr_assert_eq(f1.last_off, BAR_SIZE - 4);
	cr_assert_eq(f1.last_bar, 0);
	/* Past the BAR (f2's BAR, not enabled) and straddling its end: nobody's. */
	cr_assert_eq(rd(&mmio, WIN_BASE + BAR_SIZE), UINT64_MAX);
	cr_assert_eq(iobus_access(&mmio, WIN_BASE + BAR_SIZE - 4, &w, 8, 1), 1);
	cr_assert_eq(atomic_load(&f1.writes), 1);
	cr_assert_eq(atomic_load(&f2.reads), 0);
}

Test(pci_bars, decode_disable_unmaps)
{
	command(&f1, PCI_COMMAND_MEMORY);
	command(&f2, PCI_COMMAND_MEMORY);
	cr_assert_eq(mmio.nr, 2);
	command(&f1, 0);
	cr_assert_eq(mmio.nr, 1);
	cr_assert_eq(pci_bar_address(&f1.pci, 0), 0);
	cr_assert_eq(f1.addr_at_remap, 0);
	cr_assert_eq(rd(&mmio, WIN_BASE), UINT64_MAX);
	cr_assert_eq(atomic_load(&f1.reads), 0);
	cr_assert_eq(rd(&mmio, WIN_BASE + BAR_SIZE), answer(2, 0, 0), "f2 is left as it was");
	/* Enabling again maps it again at the same place. */
	command(&f1, PCI_COMMAND_MEMORY);
	cr_assert_eq(rd(&mmio, WIN_BASE + 8), answer(1, 0, 8));
}

Test(pci_bars, other_command_bits_leave_the_mapping)
{
	command(&f1, PCI_COMMAND_MEMORY);
	command(&f1, PCI_COMMAND_MEMORY | 0x4 /* bus master */);
	cfg_write(&f1, PCI_COMMAND + 1, 1, 0x04 /* INTx disable */);
	cr_assert_eq(mmio.nr, 1);
	cr_assert_eq(rd(&mmio, WIN_BASE), answer(1, 0, 0));
}

Test(pci_bars, address_change_remaps)
{
	uint64_t to = WIN_BASE + 0x100000;

	command(&f1, PCI_COMMAND_MEMORY);
	cfg_write(&f1, PCI_BAR0, 4, (uint32_t)to);
	cr_assert_eq(mmio.nr, 1);
	cr_assert_eq(rd(&mmio, WIN_BASE), UINT64_MAX, "the old place is free");
	cr_assert_eq(rd(&mmio, to + 0x20), answer(1, 0, 0x20));
	cr_assert_eq(pci_bar_address(&f1.pci, 0), to);
	cr_assert_eq(f1.addr_at_remap, to);
	/* The old place can be taken by another BAR now. */
	move_bar0(&f2, WIN_BASE);
	command(&f2, PCI_COMMAND_MEMORY);
	cr_assert_eq(rd(&mmio, WIN_BASE), answer(2, 0, 0));
	/* A byte write into the BAR register moves it too (bits below the size read 0). */
	cfg_write(&f1, PCI_BAR0 + 2, 1, 0x20);
	cr_assert_eq(bar0_reg(&f1), WIN_BASE + 0x200000);
	cr_assert_eq(rd(&mmio, WIN_BASE + 0x200000), answer(1, 0, 0));
	cr_assert_eq(rd(&mmio, to), UINT64_MAX);
	cr_assert_eq(mmio.nr, 2);
}

Test(pci_bars, sizing_with_decoding_off_maps_nothing)
{
	cfg_write(&f1, PCI_BAR0, 4, 0xffffffff);
	cfg_write(&f1, PCI_BAR0 + 4, 4, 0xffffffff);
	cr_assert_eq(cfg_read(&f1, PCI_BAR0, 4), (uint32_t)~(BAR_SIZE - 1) | PCI_BAR_MEM64);
	cr_assert_eq(cfg_read(&f1, PCI_BAR0 + 4, 4), 0xffffffff);
	cr_assert_eq(mmio.nr, 0);
	move_bar0(&f1, WIN_BASE);
	command(&f1, PCI_COMMAND_MEMORY);
	cr_assert_eq(rd(&mmio, WIN_BASE), answer(1, 0, 0));
}

/* ---- refusals ---- */

Test(pci_bars, bar_over_another_bar_is_refused_without_takeover)
{
	char *log;

	command(&f1, PCI_COMMAND_MEMORY);
	command(&f2, PCI_COMMAND_MEMORY);
	capture_start();
	cfg_write(&f2, PCI_BAR0, 4, (uint32_t)WIN_BASE);  /* onto f1's BAR */
	log = capture_stop();
	cr_assert_eq(mmio.nr, 1, "f2 is unmapped, f1 stays");
	cr_assert_eq(pci_bar_address(&f2.pci, 0), 0, "a refused BAR does not decode");
	cr_assert_eq(f2.addr_at_remap, 0);
	cr_assert_eq(rd(&mmio, WIN_BASE + 0x2000), answer(1, 0, 0x2000), "f1 keeps its range");
	cr_assert_eq(atomic_load(&f1.remaps), 1, "f1 was not touched");
	cr_assert_eq(rd(&mmio, WIN_BASE + BAR_SIZE), UINT64_MAX, "f2's old place is free");
	cr_assert_eq(atomic_load(&f2.reads), 0);
	cr_assert_eq(count(log, "warning"), 1, "%s", log);
	cr_assert(strstr(log, "PCI 00:02.0 (fake): BAR0 at 0xc0000000 (size 0x4000)"), "%s", log);
	cr_assert(strstr(log, "overlaps PCI 00:01.0 BAR0 at [0xc0000000, 0xc0004000)"), "%s", log);
	free(log);

	/* The guest's config space still shows what it wrote. */
	cr_assert_eq(bar0_reg(&f2), WIN_BASE);
	/* Moved to a free place, it is mapped. */
	move_bar0(&f2, WIN_BASE + 0x10000);
	cr_assert_eq(mmio.nr, 2);
	cr_assert_eq(pci_bar_address(&f2.pci, 0), WIN_BASE + 0x10000);
	cr_assert_eq(rd(&mmio, WIN_BASE + 0x10004), answer(2, 0, 4));
}

Test(pci_bars, refusal_is_logged_once_per_address)
{
	char *log;

	command(&f1, PCI_COMMAND_MEMORY);
	move_bar0(&f2, WIN_BASE);
	capture_start();
	command(&f2, PCI_COMMAND_MEMORY);
	command(&f2, 0);
	command(&f2, PCI_COMMAND_MEMORY);
	command(&f2, PCI_COMMAND_MEMORY | 0x4);
	log = capture_stop();
	cr_assert_eq(count(log, "warning"), 1, "%s", log);
	free(log);
	cr_assert_eq(mmio.nr, 1);
	/* Once the owner goes away, the next enable of f2 maps it (still no takeover before). */
	command(&f1, 0);
	cr_assert_eq(rd(&mmio, WIN_BASE), UINT64_MAX, "refused BARs are not retried behind the guest's back");
	command(&f2, PCI_COMMAND_MEMORY);
	cr_assert_eq(rd(&mmio, WIN_BASE), answer(2, 0, 0));
	cr_assert_eq(pci_bar_address(&f2.pci, 0), WIN_BASE);
	/* And now f1 is the one refused. */
	capture_start();
	command(&f1, PCI_COMMAND_MEMORY);
	log = capture_stop();
	cr_assert(strstr(log, "PCI 00:01.0 (fake): BAR0"), "%s", log);
	cr_assert(strstr(log, "overlaps PCI 00:02.0 BAR0"), "%s", log);
	free(log);
	cr_assert_eq(rd(&mmio, WIN_BASE), answer(2, 0, 0));
}

Test(pci_bars, bar_over_a_non_pci_device_is_refused)
{
	uint64_t dev = WIN_BASE + 0x800000;
	uint8_t v = 0;
	char *log;

	cr_assert_eq(iobus_register(&mmio, dev + 0x1000, 0x400, &other_ops, NULL, "hpet"), 0);
	command(&f1, PCI_COMMAND_MEMORY);
	capture_start();
	move_bar0(&f1, dev);
	log = capture_stop();
	cr_assert(strstr(log, "PCI 00:01.0 (fake): BAR0 at 0xc0800000 (size 0x4000) overlaps hpet"),
		  "%s", log);
	free(log);
	cr_assert_eq(mmio.nr, 1, "only the device");
	cr_assert_eq(iobus_access(&mmio, dev + 0x1000, &v, 1, 0), 0);
	cr_assert_eq(v, 0x5a, "the device keeps its range");
	cr_assert_eq(atomic_load(&other_reads), 1);
	cr_assert_eq(rd(&mmio, dev), UINT64_MAX, "no part of the refused BAR decodes");
	cr_assert_eq(atomic_load(&f1.reads), 0);
	cr_assert_eq(pci_bar_address(&f1.pci, 0), 0);
}

Test(pci_bars, bar_outside_the_window_is_refused)
{
	static const uint64_t places[] = {
		0x100000,                  /* RAM */
		WIN_BASE - BAR_SIZE,       /* just below the window */
		WIN_END,                   /* the I/O APIC, just above it */
		0xfee00000,                /* the local APIC */
		0x100000000ULL,            /* above 4 GiB: RAM too */
	};
	unsigned int i;
	char *log;

	command(&f1, PCI_COMMAND_MEMORY);
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		uint64_t at = places[i] & ~(BAR_SIZE - 1);

		capture_start();
		move_bar0(&f1, at);
		log = capture_stop();
		cr_assert_eq(mmio.nr, 0, "at 0x%llx", (unsigned long long)at);
		cr_assert_eq(pci_bar_address(&f1.pci, 0), 0);
		cr_assert_eq(rd(&mmio, at), UINT64_MAX);
		cr_assert(strstr(log, "is outside the PCI memory window [0xc0000000, 0xfec00000)"),
			  "%s", log);
		free(log);
	}
	capture_start();   /* on the way, the low half with the old high half: refused too */
	move_bar0(&f1, WIN_END - BAR_SIZE);
	free(capture_stop());
	cr_assert_eq(rd(&mmio, WIN_END - 8), answer(1, 0, BAR_SIZE - 8), "the window's last BAR");
}

/* ---- 64-bit BARs ---- */

Test(pci_bars, bar_above_4g_on_a_high_window)
{
	struct pci_bus hb;
	struct iobus hp, hm;
	struct fake_fn f;
	uint64_t base = 0x1000000000ULL, at = base + 0x40000000ULL;
	char *log;

	iobus_init(&hp, "pio");
	iobus_init(&hm, "mmio");
	cr_assert_eq(pci_bus_init(&hb, fake_power_sink(&power), base, base + 0x200000000ULL), 0);
	cr_assert_eq(pci_bus_attach(&hb, &hp, &hm), 0);
	fn_init(&f, 9, 0);
	cr_assert_eq(pci_bus_add(&hb, &f.pci), 1);
	cr_assert_eq(pci_config_read(&hb, 1, 0, PCI_BAR0 + 4, 4), 0x10, "upper half placed");
	pci_config_write(&hb, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cr_assert_eq(pci_bar_address(&f.pci, 0), base);
	cr_assert_eq(rd(&hm, base + 0x18), answer(9, 0, 0x18));
	/* Moving only the upper half moves the whole BAR. */
	pci_config_write(&hb, 1, 0, PCI_BAR0 + 4, 4, 0x11);
	cr_assert_eq(pci_bar_address(&f.pci, 0), 0x1100000000ULL);
	cr_assert_eq(rd(&hm, 0x1100000000ULL + 8), answer(9, 0, 8));
	cr_assert_eq(rd(&hm, base), UINT64_MAX);
	capture_start();
	pci_config_write(&hb, 1, 0, PCI_BAR0 + 4, 4, 0x12);
	log = capture_stop();
	cr_assert(strstr(log, "BAR0 at 0x1200000000 (size 0x4000) is outside the PCI memory "
			 "window [0x1000000000, 0x1200000000)"), "%s", log);
	free(log);
	cr_assert_eq(pci_bar_address(&f.pci, 0), 0);
	cr_assert_eq(hm.nr, 0);
	pci_config_write(&hb, 1, 0, PCI_BAR0 + 4, 4, (uint32_t)(base >> 32));
	pci_config_write(&hb, 1, 0, PCI_BAR0, 4, (uint32_t)at);
	cr_assert_eq(pci_bar_address(&f.pci, 0), at);
	cr_assert_eq(rd(&hm, at), answer(9, 0, 0));
	cr_assert_eq(rd(&hm, base), UINT64_MAX);
	cr_assert_eq(hm.nr, 1);
	pci_bus_destroy(&hb);
	iobus_destroy(&hm);
	iobus_destroy(&hp);
}

/* ---- I/O BARs ---- */

Test(pci_bars, io_bar_maps_on_io_enable)
{
	uint16_t w = 0x1234;
	const struct iobus_range *r;

	cr_assert_eq(cfg_read(&f1, PCI_BAR0 + 8, 4), PCI_IO_BASE | PCI_BAR_IO);
	command(&f1, PCI_COMMAND_MEMORY);
	cr_assert_eq(pio.nr, 0);
	command(&f1, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	cr_assert_eq(pio.nr, 1);
	r = iobus_find(&pio, PCI_IO_BASE + IO_SIZE - 1);
	cr_assert_not_null(r);
	cr_assert_eq(r->len, IO_SIZE);
	cr_assert_eq(pci_bar_address(&f1.pci, 2), PCI_IO_BASE);
	cr_assert_eq(iobus_access(&pio, PCI_IO_BASE + 6, &w, 2, 1), 0);
	cr_assert_eq(f1.last_bar, 2);
	cr_assert_eq(f1.last_off, 6);
	cr_assert_eq(rd(&mmio, WIN_BASE), answer(1, 0, 0), "the memory BAR too");
	/* Sizing: bits below the size read back 0, the I/O bit stays. */
	command(&f1, PCI_COMMAND_MEMORY);
	cr_assert_eq(pio.nr, 0);
	cfg_write(&f1, PCI_BAR0 + 8, 4, 0xffffffff);
	cr_assert_eq(cfg_read(&f1, PCI_BAR0 + 8, 4), (uint32_t)~(IO_SIZE - 1) | PCI_BAR_IO);
	cr_assert_eq(cfg_read(&f1, PCI_BAR0 + 12, 4), 0, "BAR3 is nothing, not an upper half");
	cfg_write(&f1, PCI_BAR0 + 8, 4, 0x2000);
	command(&f1, PCI_COMMAND_IO);
	cr_assert_eq(pci_bar_address(&f1.pci, 2), 0x2000);
	cr_assert_eq(mmio.nr, 0);
	cr_assert_eq(rd(&pio, 0x2000 + 8), answer(1, 2, 8));
}

Test(pci_bars, io_bar_over_ports_or_outside_the_window_is_refused)
{
	uint8_t v = 0;
	char *log;

	cr_assert_eq(iobus_register(&pio, 0x3000, 8, &other_ops, NULL, "COM9"), 0);
	command(&f1, PCI_COMMAND_IO);
	capture_start();
	cfg_write(&f1, PCI_BAR0 + 8, 4, 0x3000);
	cfg_write(&f1, PCI_BAR0 + 8, 4, 0x3f8);
	log = capture_stop();
	cr_assert(strstr(log, "BAR2 at 0x3000 (size 0x20) overlaps COM9"), "%s", log);
	cr_assert(strstr(log, "BAR2 at 0x3e0 (size 0x20) is outside the PCI I/O window"), "%s", log);
	free(log);
	cr_assert_eq(pio.nr, 1);
	cr_assert_eq(iobus_access(&pio, 0x3000, &v, 1, 0), 0);
	cr_assert_eq(v, 0x5a);
	cr_assert_eq(atomic_load(&f1.reads), 0);
}

Test(pci_bars, bar_declarations_do_not_overlap)
{
	struct pci_function f;

	pci_function_init(&f, "x", 1, 2, 0, 0, 0);
	cr_assert_eq(pci_function_set_io_bar(&f, 0, 2), -EINVAL);
	cr_assert_eq(pci_function_set_io_bar(&f, 0, 512), -EINVAL);
	cr_assert_eq(pci_function_set_io_bar(&f, 0, 24), -EINVAL);
	cr_assert_eq(pci_function_set_io_bar(&f, 6, 16), -EINVAL);
	cr_assert_eq(pci_function_set_io_bar(&f, -1, 16), -EINVAL);
	cr_assert_eq(pci_function_set_bar(&f, 0, 4096), 0);
	cr_assert_eq(pci_function_set_io_bar(&f, 0, 16), -EINVAL, "taken");
	cr_assert_eq(pci_function_set_io_bar(&f, 1, 16), -EINVAL, "upper half of BAR0");
	cr_assert_eq(pci_function_set_io_bar(&f, 5, 16), 0, "an I/O BAR may be the last");
	cr_assert_eq(pci_function_set_bar(&f, 4, 4096), -EINVAL, "its upper half is BAR5");
	cr_assert_eq(pci_function_set_bar(&f, 1, 4096), -EINVAL, "BAR1 is BAR0's upper half");
	cr_assert_eq(pci_function_set_bar(&f, 2, 4096), 0);
	cr_assert_eq(pci_function_set_bar(&f, 2, 8192), 0, "declared again, bigger");
	cr_assert_eq(f.bar[2].size, 8192);
	cr_assert_eq(pci_function_set_bar(&f, 5, 4096), -EINVAL, "no room for an upper half");
}

/* ---- attaching, adding, the guest's ports ---- */

Test(pci_bars, unattached_bus_decodes_by_registers_alone)
{
	struct pci_bus b;
	struct fake_fn f;

	cr_assert_eq(pci_bus_init(&b, fake_power_sink(&power), WIN_BASE, WIN_END), 0);
	fn_init(&f, 5, 0);
	cr_assert_eq(pci_bus_add(&b, &f.pci), 1);
	pci_config_write(&b, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cr_assert_eq(pci_bar_address(&f.pci, 0), WIN_BASE);
	/* No window check and no map without a bus to map on, as before. */
	pci_config_write(&b, 1, 0, PCI_BAR0, 4, 0x100000);
	cr_assert_eq(pci_bar_address(&f.pci, 0), 0x100000);
	cr_assert_eq(mmio.nr, 0);
	/* Attached later, the enabled BAR is checked and mapped. */
	pci_config_write(&b, 1, 0, PCI_BAR0, 4, (uint32_t)(WIN_BASE + 0x40000));
	cr_assert_eq(pci_bus_attach(&b, &pio, &mmio), 0);
	cr_assert_eq(pci_bar_address(&f.pci, 0), WIN_BASE + 0x40000);
	cr_assert_eq(rd(&mmio, WIN_BASE + 0x40000), answer(5, 0, 0));
	pci_bus_destroy(&b);
}

Test(pci_bars, add_to_attached_bus_maps_what_is_enabled)
{
	struct fake_fn f;

	fn_init(&f, 6, 0);
	f.pci.cfg[PCI_COMMAND] = PCI_COMMAND_MEMORY;
	cr_assert_eq(pci_bus_add(&bus, &f.pci), 3);
	cr_assert_eq(pci_bar_address(&f.pci, 0), WIN_BASE + 2 * BAR_SIZE);
	cr_assert_eq(rd(&mmio, WIN_BASE + 2 * BAR_SIZE), answer(6, 0, 0));
}

Test(pci_bars, add_without_room_changes_nothing)
{
	struct pci_bus b;
	struct fake_fn f, g;

	cr_assert_eq(pci_bus_init(&b, fake_power_sink(&power), WIN_BASE, WIN_BASE + BAR_SIZE), 0);
	fn_init(&f, 7, 0);
	fn_init(&g, 8, 1);
	cr_assert_eq(pci_bus_add(&b, &f.pci), 1);
	cr_assert_eq(pci_bus_add(&b, &g.pci), -ENOSPC);
	cr_assert_null(g.pci.bus);
	cr_assert_eq(g.pci.cfg[PCI_BAR0 + 8], PCI_BAR_IO, "the I/O BAR was not placed either");
	cr_assert_eq(pci_config_read(&b, 2, 0, PCI_VENDOR_ID, 2), 0xffff);
	pci_bus_destroy(&b);
}

Test(pci_bars, guest_enables_through_the_config_ports)
{
	uint32_t a = 0x80000000u | 2u << 11 | PCI_COMMAND, cmd = PCI_COMMAND_MEMORY;

	cr_assert_eq(iobus_register(&pio, PCI_CONFIG_ADDR_PORT, 4, &pci_addr_ops, &bus, "addr"), 0);
	cr_assert_eq(iobus_register(&pio, PCI_CONFIG_DATA_PORT, 4, &pci_data_ops, &bus, "data"), 0);
	cr_assert_eq(iobus_access(&pio, PCI_CONFIG_ADDR_PORT, &a, 4, 1), 0);
	cr_assert_eq(iobus_access(&pio, PCI_CONFIG_DATA_PORT, &cmd, 2, 1), 0);
	cr_assert_eq(rd(&mmio, WIN_BASE + BAR_SIZE + 0x30), answer(2, 0, 0x30));
	cmd = 0;
	cr_assert_eq(iobus_access(&pio, PCI_CONFIG_DATA_PORT, &cmd, 2, 1), 0);
	cr_assert_eq(rd(&mmio, WIN_BASE + BAR_SIZE), UINT64_MAX);
}

/*
 * Found by fuzz_pci (tests/fuzz/crashes/pci/): a zero-length read of an
 * absent function shifted by 32 (undefined), a zero-length write was passed
 * on to the device as a write (and at a BAR, as a remap), and an offset
 * near 2^32 wrapped the bounds check: config bytes 4 GiB away were read and
 * written. Each is refused now: nothing read, written or told.
 */
Test(pci_bars, zero_length_and_wrapping_config_accesses_touch_nothing)
{
	uint8_t before[PCI_CFG_SIZE];

	cr_assert_eq(pci_config_read(&bus, 7, 0, PCI_VENDOR_ID, 0), 0);
	cr_assert_eq(cfg_read(&f1, PCI_VENDOR_ID, 0), 0);
	memcpy(before, f1.pci.cfg, sizeof(before));
	cfg_write(&f1, PCI_INTERRUPT_LINE, 0, 0xff);
	cfg_write(&f1, PCI_BAR0, 0, 0);
	cfg_write(&f1, PCI_COMMAND, 0, PCI_COMMAND_MEMORY);
	cr_assert_eq(f1.config_writes, 0, "a zero-length write reached the device");
	cr_assert_eq(atomic_load(&f1.remaps), 0);
	cfg_write(&f1, 0xfffffffeu, 4, 0xffffffffu);
	cfg_write(&f1, 0xffffff00u + PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cr_assert_eq(f1.config_writes, 0);
	cr_assert_arr_eq(f1.pci.cfg, before, sizeof(before), "config space changed");
	cr_assert_eq(cfg_read(&f1, 0xfffffffcu, 4), 0xffffffffu);
	cr_assert_eq(cfg_read(&f1, PCI_CFG_SIZE - 2, 4), 0xffffffffu);
	cr_assert_eq(cfg_read(&f1, PCI_CFG_SIZE - 2, 2),
		     (uint32_t)before[PCI_CFG_SIZE - 2] | (uint32_t)before[PCI_CFG_SIZE - 1] << 8);
	cr_assert_eq(rd(&mmio, WIN_BASE), UINT64_MAX, "nothing got mapped");
}

/* ---- concurrency ---- */

#define STRESS_READERS 4
#define STRESS_MOVES 3000
#define STRESS_MIN_ROUNDS 3000   /* reader rounds, all readers together */

static uint64_t place_a, place_b, place_f2;

/* f1 or nobody at f1's two places; always f2 at f2's, which does not move. */
static int stress_round(unsigned long n)
{
	uint64_t off = (n * 8) % BAR_SIZE, v;

	v = rd(&mmio, place_a + off);
	if (v != UINT64_MAX && v != answer(1, 0, off))
		return 1;
	v = rd(&mmio, place_b + off);
	if (v != UINT64_MAX && v != answer(1, 0, off))
		return 2;
	return rd(&mmio, place_f2 + off) != answer(2, 0, off) ? 3 : 0;
}

Test(pci_bars, lookups_while_another_thread_remaps)
{
	struct stress s;
	unsigned int i;

	place_a = WIN_BASE;
	place_b = WIN_BASE + 0x100000;
	place_f2 = WIN_BASE + BAR_SIZE;
	command(&f2, PCI_COMMAND_MEMORY);
	command(&f1, PCI_COMMAND_MEMORY);
	stress_start(&s, STRESS_READERS, stress_round);
	/* Move f1, switch it off, on again, ... as a guest's vCPU would. */
	for (i = 0; i < STRESS_MOVES || stress_short(&s, STRESS_MIN_ROUNDS); i++) {
		switch (i % 3) {
		case 0:
			cfg_write(&f1, PCI_BAR0, 4, (uint32_t)(i & 1 ? place_a : place_b));
			break;
		case 1:
			command(&f1, 0);
			break;
		default:
			command(&f1, PCI_COMMAND_MEMORY);
		}
	}
	stress_stop(&s);
	command(&f1, PCI_COMMAND_MEMORY);
	cr_assert_eq(mmio.nr, 2);
	cr_assert_geq(atomic_load(&f2.reads), STRESS_MIN_ROUNDS);
}
