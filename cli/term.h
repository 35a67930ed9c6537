/*
 * term.h - the kvmini command's terminal: raw mode while a guest owns the
 * console (put back on every way out: normal exit, fatal signal), and the
 * console pump that feeds what is typed to the guest's COM1 through
 * kvmini_vm_console_input(), with the Ctrl-A escape.
 */
#ifndef KVMINI_TERM_H
#define KVMINI_TERM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmini.h"

/* term_raw - if fd is a terminal, make it raw until term_restore(). */
int term_raw(int fd);

/* term_restore - restore the terminal saved by term_raw(); safe to repeat. */
void term_restore(void);

/* The escape state: Ctrl-A x stops the VM, Ctrl-A Ctrl-A sends one Ctrl-A. */
struct term_escape {
	int pending;             /* the last byte seen was Ctrl-A */
};

/*
 * term_escape_filter - apply the Ctrl-A escape to buf in place. Returns the
 * number of bytes left to forward, or -1 if the user asked to quit (Ctrl-A
 * x or X); a Ctrl-A at the end of buf waits for the next call.
 */
long term_escape_filter(struct term_escape *e, uint8_t *buf, size_t len);

/* The console pump: a thread copying input to one VM's COM1. */
struct term_pump {
	struct kvmini_vm *vm;
	int in_fd;
	int escape;              /* apply the Ctrl-A escape */
	int wake[2];             /* pipe: written once by term_pump_stop() */
	pthread_t thread;
	int started;
};

/*
 * term_pump_start - start copying in_fd to vm's console (escape: 1 to honour
 * Ctrl-A x, which calls kvmini_vm_stop()). Returns 0 or a negative errno.
 */
int term_pump_start(struct term_pump *p, struct kvmini_vm *vm, int in_fd, int escape);

/* term_pump_stop - stop and join the pump; safe on one never started. */
void term_pump_stop(struct term_pump *p);

#endif
