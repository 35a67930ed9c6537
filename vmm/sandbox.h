/*
 * sandbox.h - least privilege for a process that runs VMs: once every file,
 * device and tap is open, drop every capability (libcap-ng), set
 * PR_SET_NO_NEW_PRIVS, optionally chroot and switch to an unprivileged user,
 * and confine each kind of thread to the system calls it needs (libseccomp).
 *
 * The filters stack: the process filter (main), loaded on every thread at
 * once, allows what any kvmini thread needs; a vCPU or I/O thread adds its
 * own, narrower filter when it starts. A call outside the lists is trapped
 * (SIGSYS), fails with ENOSYS, is named on stderr, and stops every VM that
 * registered its stop eventfd. Process-wide state: one sandbox a process.
 */
#ifndef KVMINI_SANDBOX_H
#define KVMINI_SANDBOX_H

#include "kvmini.h"

/* The kinds of thread with an allow-list of their own. */
enum sandbox_kind {
	SANDBOX_MAIN,      /* the thread that creates, runs and destroys VMs */
	SANDBOX_VCPU,      /* KVM_RUN and the exits it returns with */
	SANDBOX_IO,        /* the I/O thread: doorbells, io_uring, the tap */
	SANDBOX_NKINDS
};

/*
 * sandbox_apply - drop privileges as o says (see struct kvmini_restrict).
 * Idempotent for the capability and user steps; the seccomp filters are
 * loaded once a process. Returns 0 or a negative errno with err filled.
 */
int sandbox_apply(const struct kvmini_restrict *o, struct kvmini_error *err);

/*
 * sandbox_watch - stop_efd (an eventfd) is written when a call is denied, so
 * that the VM it belongs to stops. At most 32 at once; -ENOSPC beyond.
 */
int sandbox_watch(int stop_efd);

/* sandbox_unwatch - forget stop_efd (before it is closed). */
void sandbox_unwatch(int stop_efd);

/*
 * sandbox_thread_enter - called first thing by a kvmini thread of kind k:
 * names the thread for the denial messages and, when seccomp is on, loads
 * that kind's filter. Returns 0 or a negative errno.
 */
int sandbox_thread_enter(enum sandbox_kind k);

/*
 * sandbox_denied - whether a call was denied; if so, msg (size bytes) gets
 * the first denial's description ("seccomp: the vcpu thread called ...").
 */
int sandbox_denied(char *msg, size_t size);

/* sandbox_probe - call something no allow-list has (the --seccomp-probe debug aid). */
void sandbox_probe(void);

#endif
