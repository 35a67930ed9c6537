/* iothread.c - see iothread.h. */
#include "vmm/iothread.h"
#include "vmm/sandbox.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int iothread_init(struct iothread *t, struct kvmini_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	memset(t, 0, sizeof(*t));
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->epfd < 0 || t->stop_efd < 0 ||
	    epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stop_efd, &ev) < 0) {
		int e = errno;

		iothread_destroy(t);
		return set_err(err, e, "cannot set up the I/O thread: %s", strerror(e));
	}
	return 0;
}

int iothread_add(struct iothread *t, struct io_handler *h)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = h };

	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, h->fd, &ev) < 0 ? -errno : 0;
}

void iothread_del(struct iothread *t, struct io_handler *h)
{
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, h->fd, NULL);
}

static void *loop(void *arg)
{
	struct iothread *t = arg;
	struct epoll_event evs[16];

	if (sandbox_thread_enter(SANDBOX_IO)) {
		if (t->fail)
			t->fail(t->fail_ctx, "the I/O thread cannot load its seccomp filter");
		return NULL;
	}
	for (;;) {
		int n = epoll_wait(t->epfd, evs, 16, -1), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			struct io_handler *h = evs[i].data.ptr;

			if (!h)
				return NULL;  /* the stop eventfd */
			h->fn(h->ctx);
		}
	}
	return NULL;
}

int iothread_start(struct iothread *t)
{
	int r = thread_start(&t->thread, "kvmini-io", loop, t);

	if (r)
		return r;
	t->started = 1;
	return 0;
}

void iothread_stop(struct iothread *t)
{
	uint64_t one = 1;

	if (!t->started)
		return;
	if (write(t->stop_efd, &one, sizeof(one)) < 0) {
		/* cannot happen for an eventfd below its maximum */
	}
	pthread_join(t->thread, NULL);
	t->started = 0;
}

void iothread_destroy(struct iothread *t)
{
	iothread_stop(t);
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->stop_efd >= 0)
		close(t->stop_efd);
	t->epfd = t->stop_efd = -1;
}
