/* uart8250.c - see uart8250.h. Register names follow the 16550A datasheet. */
#include "devices/uart8250.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define IER_RDI   0x01  /* received data available */
#define IER_THRI  0x02  /* transmitter holding register empty */
#define IIR_NONE  0x01
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_FIFO  0xc0  /* FIFOs enabled (16550A) */
#define FCR_ENABLE 0x01
#define FCR_CLR_RX 0x02
#define LCR_DLAB  0x80
#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

static void update_irq(struct uart8250 *u)
{
	int level = ((u->ier & IER_RDI) && u->rx_count) ||
		    ((u->ier & IER_THRI) && u->thre_pending);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

static void rx_push(struct uart8250 *u, uint8_t b)
{
	if (u->rx_count < UART8250_FIFO) {
		u->rx[(u->rx_head + u->rx_count) % UART8250_FIFO] = b;
		u->rx_count++;
	}
}

static uint8_t modem_status(const struct uart8250 *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	return (uint8_t)(((m & MCR_RTS) ? MSR_CTS : 0) | ((m & MCR_DTR) ? MSR_DSR : 0) |
			 ((m & MCR_OUT1) ? MSR_RI : 0) | ((m & MCR_OUT2) ? MSR_DCD : 0));
}

static void transmit(struct uart8250 *u, uint8_t b)
{
	if (u->mcr & MCR_LOOP) {
		rx_push(u, b);
	} else if (u->out_fd >= 0) {
		ssize_t n;

		do
			n = write(u->out_fd, &b, 1);
		while (n < 0 && errno == EINTR);
		u->tx_bytes++;
	}
	u->thre_pending = 1;
}

static uint8_t reg_read(struct uart8250 *u, unsigned int reg)
{
	uint8_t v = 0;

	switch (reg) {
	case RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART8250_FIFO;
			u->rx_count--;
		}
		return v;
	case IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case IIR_FCR:
		v = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
		if ((u->ier & IER_RDI) && u->rx_count)
			return v | IIR_RDI;
		if ((u->ier & IER_THRI) && u->thre_pending) {
			u->thre_pending = 0;  /* reading IIR acknowledges THRE */
			return v | IIR_THRI;
		}
		return v | IIR_NONE;
	case LCR:
		return u->lcr;
	case MCR:
		return u->mcr;
	case LSR:
		return (uint8_t)(LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0));
	case MSR:
		return modem_status(u);
	default:
		return u->scr;
	}
}

static void reg_write(struct uart8250 *u, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			transmit(u, v);
		break;
	case IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
		} else {
			/* Enabling THRI with an empty transmitter raises it at once. */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thre_pending = 1;
			u->ier = v & 0x0f;
		}
		break;
	case IIR_FCR:
		u->fcr = v & 0xc9;
		if (v & FCR_CLR_RX)
			u->rx_count = 0;
		break;
	case LCR:
		u->lcr = v;
		break;
	case MCR:
		u->mcr = v & 0x1f;
		break;
	case SCR:
		u->scr = v;
		break;
	default:  /* LSR and MSR are read-only */
		break;
	}
}

static void uart_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct uart8250 *u = opaque;

	pthread_mutex_lock(&u->lock);
	memset(data, 0, len);
	*(uint8_t *)data = reg_read(u, (unsigned int)off);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct uart8250 *u = opaque;

	(void)len;
	pthread_mutex_lock(&u->lock);
	reg_write(u, (unsigned int)off, *(const uint8_t *)data);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

const struct iodev_ops uart8250_ops = { .read = uart_read, .write = uart_write };

int uart8250_init(struct uart8250 *u, int out_fd, struct irq_line irq)
{
	memset(u, 0, sizeof(*u));
	u->out_fd = out_fd;
	u->irq = irq;
	u->dll = 12;  /* 9600 baud */
	return -pthread_mutex_init(&u->lock, NULL);
}

void uart8250_destroy(struct uart8250 *u)
{
	pthread_mutex_destroy(&u->lock);
}

size_t uart8250_receive(struct uart8250 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < UART8250_FIFO)
		rx_push(u, buf[n++]);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart8250_rx_room(struct uart8250 *u)
{
	size_t room;

	pthread_mutex_lock(&u->lock);
	room = UART8250_FIFO - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return room;
}
