/*
 * iothread.h - one thread per VM that waits on file descriptors (queue
 * doorbells from ioeventfd, io_uring completions, taps) and calls their
 * handlers. Handlers run on this thread only, so device back ends need no
 * lock against each other.
 */
#ifndef KVMINI_IOTHREAD_H
#define KVMINI_IOTHREAD_H

#include <pthread.h>

#include "base/util.h"

struct io_handler {
	int fd;
	void (*fn)(void *ctx);   /* called when fd is readable */
	void *ctx;
};

struct iothread {
	int epfd;
	int stop_efd;
	pthread_t thread;
	int started;
	/* Called on the thread if it cannot confine itself (sandbox.h); it then
	 * handles nothing. Set before iothread_start(); NULL: just log. */
	void (*fail)(void *ctx, const char *why);
	void *fail_ctx;
};

/* iothread_init - create the epoll set; nothing runs until iothread_start(). */
int iothread_init(struct iothread *t, struct kvmini_error *err) MUST_CHECK;

/* iothread_add - watch h->fd; h must stay valid until iothread_destroy(). */
int iothread_add(struct iothread *t, struct io_handler *h) MUST_CHECK;

/* iothread_del - stop watching h->fd. */
void iothread_del(struct iothread *t, struct io_handler *h);

/* iothread_start - start the thread. */
int iothread_start(struct iothread *t) MUST_CHECK;

/* iothread_stop - ask the thread to finish and join it. */
void iothread_stop(struct iothread *t);

/* iothread_destroy - stop if running, close the fds. */
void iothread_destroy(struct iothread *t);

#endif
