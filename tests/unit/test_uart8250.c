/*
 * test_uart8250.c - the 16550A UART: transmit to an fd, divisor latch,
 * scratch, line and modem status, interrupt identification priorities,
 * the interrupt line, loopback and the receive FIFO.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "devices/uart8250.h"

enum { THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct fake_irq {
	int level;
	int changes;
	unsigned int last_irq;
};

static struct uart8250 uart;
static struct fake_irq line;
static int pfd[2];

static void irq_set(void *ctx, unsigned int irq, int level)
{
	struct fake_irq *f = ctx;

	f->level = level;
	f->changes++;
	f->last_irq = irq;
}

static void setup(void)
{
	struct irq_line l = { .set = irq_set, .ctx = &line, .irq = 4 };

	memset(&line, 0, sizeof(line));
	cr_assert_eq(pipe2(pfd, O_NONBLOCK), 0);
	cr_assert_eq(uart8250_init(&uart, pfd[1], l), 0);
}

static void teardown(void)
{
	uart8250_destroy(&uart);
	close(pfd[0]);
	close(pfd[1]);
}

TestSuite(uart, .init = setup, .fini = teardown);

static uint8_t rd(unsigned int reg)
{
	uint8_t v = 0xaa;

	uart8250_ops.read(&uart, reg, &v, 1);
	return v;
}

static void wr(unsigned int reg, uint8_t v)
{
	uart8250_ops.write(&uart, reg, &v, 1);
}

Test(uart, thr_reaches_fd)
{
	const char *msg = "hi!\n";
	char buf[16] = { 0 };
	size_t i;

	for (i = 0; i < strlen(msg); i++)
		wr(THR, (uint8_t)msg[i]);
	cr_assert_eq(read(pfd[0], buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, msg);
	cr_assert_eq(uart.tx_bytes, 4);
}

Test(uart, divisor_latch)
{
	wr(LCR, 0x83);  /* DLAB, 8N1 */
	wr(THR, 0x01);
	wr(IER, 0x02);
	cr_assert_eq(rd(THR), 0x01);
	cr_assert_eq(rd(IER), 0x02);
	cr_assert_eq(rd(LCR), 0x83);
	/* DLL writes are not transmitted and DLM writes do not touch IER. */
	wr(LCR, 0x03);
	cr_assert_eq(rd(IER), 0x00);
	cr_assert_eq(line.level, 0);
	{
		char c;

		cr_assert_eq(read(pfd[0], &c, 1), -1, "DLL write leaked to the fd");
	}
	wr(LCR, 0x80);
	cr_assert_eq(rd(THR), 0x01);
	cr_assert_eq(rd(IER), 0x02);
}

Test(uart, scratch_register)
{
	wr(SCR, 0x5a);
	cr_assert_eq(rd(SCR), 0x5a);
	wr(SCR, 0xa5);
	cr_assert_eq(rd(SCR), 0xa5);
}

Test(uart, line_status)
{
	uint8_t b = 'x';

	cr_assert_eq(rd(LSR), 0x60, "THRE|TEMT, no data");
	cr_assert_eq(uart8250_receive(&uart, &b, 1), 1);
	cr_assert_eq(rd(LSR), 0x61, "THRE|TEMT|DR");
	cr_assert_eq(rd(THR), 'x');
	cr_assert_eq(rd(LSR), 0x60);
}

Test(uart, iir_none)
{
	cr_assert_eq(rd(IIR), 0x01);
	wr(IER, 0x01);  /* RDI enabled, nothing received */
	cr_assert_eq(rd(IIR), 0x01);
}

Test(uart, iir_fifo_bits)
{
	wr(FCR, 0x01);
	cr_assert_eq(rd(IIR), 0xc1);
	wr(FCR, 0x00);
	cr_assert_eq(rd(IIR), 0x01);
}

Test(uart, thri_raises_line_and_iir_read_lowers_it)
{
	wr(IER, 0x02);
	cr_assert_eq(line.level, 1);
	cr_assert_eq(line.last_irq, 4);
	cr_assert_eq(rd(IIR), 0x02);
	cr_assert_eq(line.level, 0);
	cr_assert_eq(rd(IIR), 0x01, "reading IIR acknowledges THRI");
	/* Transmitting a byte makes the holding register empty again. */
	wr(THR, 'a');
	cr_assert_eq(line.level, 1);
	cr_assert_eq(rd(IIR), 0x02);
	cr_assert_eq(line.level, 0);
}

Test(uart, thri_disabled_keeps_line_low)
{
	wr(THR, 'a');
	cr_assert_eq(line.level, 0);
	cr_assert_eq(line.changes, 0);
	cr_assert_eq(rd(IIR), 0x01);
}

Test(uart, rdi_has_priority_over_thri)
{
	uint8_t b = 'q';

	wr(IER, 0x03);
	cr_assert_eq(uart8250_receive(&uart, &b, 1), 1);
	cr_assert_eq(line.level, 1);
	cr_assert_eq(rd(IIR), 0x04);
	cr_assert_eq(rd(IIR), 0x04, "RDI stays until the data is read");
	cr_assert_eq(rd(THR), 'q');
	cr_assert_eq(line.level, 1, "THRI is still pending");
	cr_assert_eq(rd(IIR), 0x02);
	cr_assert_eq(line.level, 0);
	cr_assert_eq(rd(IIR), 0x01);
}

Test(uart, rdi_with_fifo_enabled)
{
	uint8_t b = 'z';

	wr(FCR, 0x01);
	wr(IER, 0x01);
	cr_assert_eq(line.level, 0);
	cr_assert_eq(uart8250_receive(&uart, &b, 1), 1);
	cr_assert_eq(line.level, 1);
	cr_assert_eq(rd(IIR), 0xc4);
	rd(THR);
	cr_assert_eq(line.level, 0);
	cr_assert_eq(rd(IIR), 0xc1);
}

Test(uart, fcr_clears_rx_fifo)
{
	uint8_t b[3] = { 1, 2, 3 };

	cr_assert_eq(uart8250_receive(&uart, b, 3), 3);
	wr(FCR, 0x03);
	cr_assert_eq(rd(LSR) & 0x01, 0);
	cr_assert_eq(uart8250_rx_room(&uart), UART8250_FIFO);
}

Test(uart, loopback_routes_thr_to_rbr)
{
	char c;

	wr(MCR, 0x10);
	wr(THR, 0x42);
	wr(THR, 0x43);
	cr_assert_eq(read(pfd[0], &c, 1), -1, "loopback bytes must not reach the fd");
	cr_assert_eq(rd(LSR) & 0x01, 0x01);
	cr_assert_eq(rd(THR), 0x42);
	cr_assert_eq(rd(THR), 0x43);
	cr_assert_eq(rd(LSR) & 0x01, 0);
	wr(MCR, 0x00);
	wr(THR, 0x44);
	cr_assert_eq(read(pfd[0], &c, 1), 1);
	cr_assert_eq(c, 0x44);
}

Test(uart, loopback_msr_mirrors_mcr)
{
	/* What Linux's autoconfig probes: RTS|OUT2|LOOP -> CTS|DCD. */
	wr(MCR, 0x1a);
	cr_assert_eq(rd(MSR) & 0xf0, 0x90);
	wr(MCR, 0x1f);
	cr_assert_eq(rd(MSR) & 0xf0, 0xf0);
	wr(MCR, 0x10);
	cr_assert_eq(rd(MSR) & 0xf0, 0x00);
	wr(MCR, 0x11);  /* DTR -> DSR */
	cr_assert_eq(rd(MSR) & 0xf0, 0x20);
	wr(MCR, 0x14);  /* OUT1 -> RI */
	cr_assert_eq(rd(MSR) & 0xf0, 0x40);
	/* Out of loopback the modem lines read as connected. */
	wr(MCR, 0x00);
	cr_assert_eq(rd(MSR) & 0xb0, 0xb0);
	cr_assert_eq(rd(MCR), 0x00);
}

Test(uart, receive_takes_at_most_fifo)
{
	uint8_t in[20];
	unsigned int i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0x30 + i);
	cr_assert_eq(uart8250_rx_room(&uart), 16);
	cr_assert_eq(uart8250_receive(&uart, in, sizeof(in)), 16);
	cr_assert_eq(uart8250_rx_room(&uart), 0);
	cr_assert_eq(uart8250_receive(&uart, in + 16, 4), 0);
	for (i = 0; i < 10; i++)
		cr_assert_eq(rd(THR), 0x30 + i);
	/* After draining ten, the FIFO wraps around and keeps order. */
	cr_assert_eq(uart8250_receive(&uart, in + 16, 4), 4);
	for (i = 10; i < 20; i++)
		cr_assert_eq(rd(THR), 0x30 + i, "byte %u", i);
	cr_assert_eq(rd(LSR) & 0x01, 0);
	cr_assert_eq(rd(THR), 0x00, "empty RBR reads 0");
}

Test(uart, receive_partial)
{
	uint8_t in[10] = { 0 };

	cr_assert_eq(uart8250_receive(&uart, in, 10), 10);
	cr_assert_eq(uart8250_receive(&uart, in, 10), 6);
	cr_assert_eq(uart8250_receive(&uart, in, 0), 0);
}

Test(uart, discard_fd)
{
	struct irq_line none = { 0 };
	struct uart8250 u2;
	uint8_t v = 'x';

	cr_assert_eq(uart8250_init(&u2, -1, none), 0);
	uart8250_ops.write(&u2, THR, &v, 1);
	v = 0x02;
	uart8250_ops.write(&u2, IER, &v, 1);  /* no irq callback: must not crash */
	uart8250_ops.read(&u2, IIR, &v, 1);
	cr_assert_eq(v, 0x02);
	uart8250_destroy(&u2);
}
