/* term.c - see term.h. The saved settings are process-wide: one terminal. */
#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int saved_fd = -1;

void term_restore(void)
{
	if (saved_fd >= 0) {
		tcsetattr(saved_fd, TCSANOW, &saved);
		saved_fd = -1;
	}
}

static void on_fatal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int term_raw(int fd)
{
	struct termios t;

	if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
		return 0;
	t = saved;
	cfmakeraw(&t);
	t.c_oflag |= OPOST;     /* keep \n -> \r\n for our own messages */
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -1;
	saved_fd = fd;
	atexit(term_restore);
	signal(SIGTERM, on_fatal);
	signal(SIGHUP, on_fatal);
	signal(SIGSEGV, on_fatal);
	signal(SIGABRT, on_fatal);
	return 1;
}

#define CTRL_A 0x01

long term_escape_filter(struct term_escape *e, uint8_t *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (e->pending) {
			e->pending = 0;
			if (buf[i] == 'x' || buf[i] == 'X')
				return -1;
			if (buf[i] == CTRL_A)
				buf[o++] = CTRL_A;
			continue;
		}
		if (buf[i] == CTRL_A)
			e->pending = 1;
		else
			buf[o++] = buf[i];
	}
	return (long)o;
}

/*
 * Read the terminal and hand the bytes to the guest. While the UART's FIFO is
 * full the rest waits and is offered again every 10 ms; input is not read
 * meanwhile, so the terminal (not kvmini) buffers a fast typist.
 */
static void *pump_main(void *arg)
{
	struct term_pump *p = arg;
	struct term_escape esc = { 0 };
	uint8_t buf[64];
	size_t have = 0, off = 0;
	int in = p->in_fd;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = p->wake[0], .events = POLLIN },
			{ .fd = (in >= 0 && have == 0) ? in : -1, .events = POLLIN },
		};
		int n = poll(fds, 2, have ? 10 : -1);

		if (n < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (fds[1].revents & POLLIN) {
			ssize_t got = read(in, buf, sizeof(buf));
			long fwd;

			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				in = -1;  /* EOF or error: stop reading */
				continue;
			}
			fwd = p->escape ? term_escape_filter(&esc, buf, (size_t)got) : got;
			if (fwd < 0) {
				kvmini_vm_stop(p->vm);
				in = -1;
				continue;
			}
			have = (size_t)fwd;
			off = 0;
		} else if (fds[1].revents) {
			in = -1;
		}
		if (have) {
			size_t took = kvmini_vm_console_input(p->vm, buf + off, have);

			off += took;
			have -= took;
		}
	}
	return NULL;
}

int term_pump_start(struct term_pump *p, struct kvmini_vm *vm, int in_fd, int escape)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->vm = vm;
	p->in_fd = in_fd;
	p->escape = escape;
	if (pipe2(p->wake, O_CLOEXEC) < 0) {
		p->wake[0] = p->wake[1] = -1;
		return -errno;
	}
	r = pthread_create(&p->thread, NULL, pump_main, p);
	if (r) {
		close(p->wake[0]);
		close(p->wake[1]);
		p->wake[0] = p->wake[1] = -1;
		return -r;
	}
	pthread_setname_np(p->thread, "kvmini-console");
	p->started = 1;
	return 0;
}

void term_pump_stop(struct term_pump *p)
{
	if (!p->started)
		return;
	if (write(p->wake[1], "x", 1) < 0) {
		/* a pipe with room cannot fail; the join below still ends it */
	}
	pthread_join(p->thread, NULL);
	close(p->wake[0]);
	close(p->wake[1]);
	p->started = 0;
}
