/* fuzz_uart.c - the 8250 UART's registers, with console input between accesses. */
#include <fcntl.h>
#include <unistd.h>

#include "devices/uart8250.h"
#include "fuzz_io.h"

static void no_irq(void *ctx, unsigned int irq, int level)
{
	(void)ctx, (void)irq, (void)level;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int out = -1;
	struct uart8250 u;
	size_t half = size / 2;

	if (out < 0)
		out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (uart8250_init(&u, out, (struct irq_line){ .set = no_irq }))
		return 0;
	fuzz_io_run(data, half, &uart8250_ops, &u, UART8250_PORT_COUNT);
	uart8250_receive(&u, data, half > 40 ? 40 : half);
	fuzz_io_run(data + half, size - half, &uart8250_ops, &u, UART8250_PORT_COUNT);
	uart8250_destroy(&u);
	return 0;
}
