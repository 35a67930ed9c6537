/*
 * term.h - put the controlling terminal in raw mode while a guest owns the
 * console, and put it back on every way out (normal exit, fatal signal).
 */
#ifndef KVMINI_TERM_H
#define KVMINI_TERM_H

/* term_raw - if fd is a terminal, make it raw until term_restore(). */
int term_raw(int fd);

/* term_restore - restore the terminal saved by term_raw(); safe to repeat. */
void term_restore(void);

#endif
