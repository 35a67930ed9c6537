/* term.c - see term.h. The saved settings are process-wide: one terminal. */
#include "term.h"

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
