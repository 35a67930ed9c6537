/* serial.c - COM1, polled: see runtime.h. */
#include "kvmini_guest_abi.h"
#include "runtime.h"
#include "x86.h"

#define COM1 KVMINI_COM1_PORT
#define LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + 1, 0x00);   /* no interrupts */
	outb(COM1 + 3, 0x80);   /* DLAB */
	outb(COM1 + 0, 0x01);   /* 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);   /* 8N1 */
	outb(COM1 + 2, 0xc7);   /* FIFOs on, cleared */
	outb(COM1 + 4, 0x03);   /* DTR, RTS */
}

void serial_write(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int spin = 0;

		/* An absent UART reads 0xff: THRE set, so this never hangs. */
		while (!(inb(COM1 + 5) & LSR_THRE) && ++spin < 1000000)
			;
		outb(COM1, (uint8_t)s[i]);
	}
}
