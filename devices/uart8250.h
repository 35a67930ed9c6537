/*
 * uart8250.h - a 16550A-compatible UART (what Linux calls ttyS0): eight
 * registers, DLAB divisor latch, 16-byte FIFOs, loopback, and the IIR
 * interrupt priorities (received data above transmitter empty).
 * Transmitted bytes go straight to an output fd; received bytes come from
 * uart8250_receive(). Thread-safe: vCPU threads and an input thread may call
 * in concurrently.
 */
#ifndef KVMINI_UART8250_H
#define KVMINI_UART8250_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/iobus.h"
#include "devices/irq.h"

#define UART8250_FIFO 16
#define UART8250_PORT_COUNT 8

struct uart8250 {
	pthread_mutex_t lock;
	struct irq_line irq;
	int out_fd;              /* where THR bytes go; -1 discards */
	uint8_t ier, lcr, mcr, scr, fcr;
	uint8_t dll, dlm;
	int thre_pending;        /* transmitter-empty interrupt is pending */
	int irq_level;
	uint8_t rx[UART8250_FIFO];
	unsigned int rx_head, rx_count;
	uint64_t tx_bytes;
};

/* The handlers to register on the port bus (8 ports, e.g. at 0x3f8). */
extern const struct iodev_ops uart8250_ops;

/* uart8250_init - reset state; bytes the guest sends are written to out_fd. */
int uart8250_init(struct uart8250 *u, int out_fd, struct irq_line irq);

/* uart8250_destroy - release the lock. */
void uart8250_destroy(struct uart8250 *u);

/*
 * uart8250_receive - offer input bytes to the guest. Returns how many were
 * taken (0 when the receive FIFO is full: try again later).
 */
size_t uart8250_receive(struct uart8250 *u, const uint8_t *buf, size_t len);

/* uart8250_rx_room - free bytes in the receive FIFO. */
size_t uart8250_rx_room(struct uart8250 *u);

#endif
