/* sandbox.c - see sandbox.h. */
#include "vmm/sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

/* The calls of every kvmini thread: fds it already holds, memory, futexes,
 * signals used to kick vCPUs, clocks, and io_uring_enter on a ring whose
 * operations are restricted (vmm/blk_backend.c). */
static const int common_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(ioctl), SCMP_SYS(futex), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(epoll_ctl), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(madvise),
	SCMP_SYS(mprotect), SCMP_SYS(brk), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(tgkill), SCMP_SYS(sched_yield),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	SCMP_SYS(io_uring_enter), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
};

/* The main thread also waits, starts and joins threads, and tears VMs down. */
static const int main_calls[] = {
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(rt_sigaction), SCMP_SYS(sigaltstack), SCMP_SYS(pipe2), SCMP_SYS(mremap),
	SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(lseek), SCMP_SYS(getrandom),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(wait4),
};

/* The I/O thread: its epoll set, the tap, the block rings. */
static const int io_calls[] = {
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
};

/* A vCPU thread: KVM_RUN and the device work of its exits. */
static const int vcpu_calls[] = {
	SCMP_SYS(pread64),
};

/*
 * What a sanitizer needs to write its report (symbolising through
 * /proc/self/maps and the binary) and LeakSanitizer to run at exit (it
 * stops the other threads with ptrace from a thread of its own). Without
 * them a report would be masked by SIGSYS.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
static const int sanitizer_calls[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(lseek),
	SCMP_SYS(pread64),
	SCMP_SYS(prlimit64), SCMP_SYS(getrlimit), SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction),
	SCMP_SYS(prctl), SCMP_SYS(uname), SCMP_SYS(getppid), SCMP_SYS(clone), SCMP_SYS(clone3),
	SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(kill), SCMP_SYS(pipe),
	SCMP_SYS(pipe2), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(mremap), SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(getpgid), SCMP_SYS(setpgid),
};
#else
#define SANITIZER_BUILD 0
#endif

#define MAX_WATCH 32
#define NAME_SLOTS 512

static struct {
	atomic_int watch[MAX_WATCH];       /* stop eventfds + 1; 0 free */
	atomic_int denied;                 /* 0, or the first denied call's number + 1 */
	char message[256];                 /* written once, by the first denial */
	atomic_int message_ready;
	char names[NAME_SLOTS][24];        /* syscall names, for the handler */
	struct sock_fprog prog[SANDBOX_NKINDS]; /* the vCPU and I/O filters, as BPF */
	int seccomp_on;
	int capabilities_dropped;
	pthread_mutex_t lock;
} sb = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const kind_names[SANDBOX_NKINDS] = { "main", "vcpu", "io" };
static __thread const char *thread_kind = "main";

/* --- the SIGSYS handler: async-signal-safe, formats by hand --- */

static size_t put(char *b, size_t at, size_t size, const char *s)
{
	while (*s && at + 1 < size)
		b[at++] = *s++;
	b[at] = 0;
	return at;
}

static size_t put_num(char *b, size_t at, size_t size, unsigned long long v, int hex)
{
	char d[24];
	int n = 0;

	do {
		d[n++] = "0123456789abcdef"[v % (hex ? 16 : 10)];
		v /= hex ? 16 : 10;
	} while (v && n < (int)sizeof(d));
	if (hex)
		at = put(b, at, size, "0x");
	while (n && at + 1 < size)
		b[at++] = d[--n];
	b[at] = 0;
	return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	ucontext_t *uc = uctx;
	int nr = si->si_syscall, expected = 0, i;
	const char *name = nr >= 0 && nr < NAME_SLOTS && sb.names[nr][0] ? sb.names[nr] : "?";
	char line[320];
	size_t at = 0;
	uint64_t one = 1;

	(void)sig;
	/* The call fails instead of running. */
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
	if (atomic_compare_exchange_strong(&sb.denied, &expected, nr + 1)) {
		at = put(sb.message, 0, sizeof(sb.message), "seccomp: the ");
		at = put(sb.message, at, sizeof(sb.message), thread_kind);
		at = put(sb.message, at, sizeof(sb.message), " thread called ");
		at = put(sb.message, at, sizeof(sb.message), name);
		at = put(sb.message, at, sizeof(sb.message), " (system call ");
		at = put_num(sb.message, at, sizeof(sb.message), (unsigned int)nr, 0);
		if (nr == SCMP_SYS(ioctl)) {
			at = put(sb.message, at, sizeof(sb.message), ", request ");
			at = put_num(sb.message, at, sizeof(sb.message),
				     (unsigned long long)uc->uc_mcontext.gregs[REG_RSI], 1);
		}
		put(sb.message, at, sizeof(sb.message),
		    "), which its allow-list does not have; the VM is stopped");
		atomic_store(&sb.message_ready, 1);
		at = put(line, 0, sizeof(line), "kvmini: error: ");
		at = put(line, at, sizeof(line), sb.message);
		at = put(line, at, sizeof(line), "\n");
		if (write(STDERR_FILENO, line, at) < 0) {
			/* nothing more can be said */
		}
	}
	for (i = 0; i < MAX_WATCH; i++) {
		int fd = atomic_load(&sb.watch[i]) - 1;

		if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
			/* an eventfd that is full has been written already */
		}
	}
}

/* --- building the filters --- */

static int add_list(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
		if (r && r != -EEXIST)
			return r;
	}
	return 0;
}

/* A rule's condition: the first argument equals v. */
#define ARG0_IS(v) \
	((struct scmp_arg_cmp){ .arg = 0, .op = SCMP_CMP_EQ, .datum_a = (v), .datum_b = 0 })

#define ARG1_IS(v) \
	((struct scmp_arg_cmp){ .arg = 1, .op = SCMP_CMP_EQ, .datum_a = (v), .datum_b = 0 })

/* Every kind's filter: the common calls, its own, a sanitizer's. */
static scmp_filter_ctx build(enum sandbox_kind k, int *r)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);

	*r = -ENOMEM;
	if (!ctx)
		return NULL;
	*r = add_list(ctx, common_calls, ARRAY_SIZE(common_calls));
	/* A thread names itself at its start (base/util.c). */
	if (!*r)
		*r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      ARG0_IS(PR_SET_NAME));
	if (!*r && k == SANDBOX_MAIN) {
		*r = add_list(ctx, main_calls, ARRAY_SIZE(main_calls));
		/* The union covers the other kinds, which stack their own on top. */
		if (!*r)
			*r = add_list(ctx, io_calls, ARRAY_SIZE(io_calls));
		if (!*r)
			*r = add_list(ctx, vcpu_calls, ARRAY_SIZE(vcpu_calls));
		/* Closing a disk lets go of the ring's registered file (blk_backend.c). */
		if (!*r)
			*r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(io_uring_register), 1,
					      ARG1_IS(IORING_UNREGISTER_FILES));
		/* Threads load their filter themselves: more rules, never fewer. */
		if (!*r)
			*r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 1,
					      ARG0_IS(SECCOMP_SET_MODE_FILTER));
		if (!*r)
			*r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	} else if (!*r) {
		*r = k == SANDBOX_IO ? add_list(ctx, io_calls, ARRAY_SIZE(io_calls))
				     : add_list(ctx, vcpu_calls, ARRAY_SIZE(vcpu_calls));
	}
#if SANITIZER_BUILD
	if (!*r)
		*r = add_list(ctx, sanitizer_calls, ARRAY_SIZE(sanitizer_calls));
#endif
	if (*r) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* The BPF of ctx, for a thread to load with one seccomp() call later. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("kvmini-seccomp", MFD_CLOEXEC), r;
	off_t len;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	len = r ? 0 : lseek(fd, 0, SEEK_END);
	if (!r && (len <= 0 || len % (off_t)sizeof(struct sock_filter)))
		r = -EINVAL;
	if (!r) {
		prog->filter = malloc((size_t)len);
		if (!prog->filter)
			r = -ENOMEM;
		else if (pread(fd, prog->filter, (size_t)len, 0) != len)
			r = -EIO;
		else
			prog->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
	}
	close(fd);
	return r;
}

static int load_filters(struct kvmini_error *err)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	int k, r, nr;

	for (nr = 0; nr < NAME_SLOTS; nr++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (n)
			snprintf(sb.names[nr], sizeof(sb.names[nr]), "%s", n);
		free(n);
	}
	for (k = SANDBOX_VCPU; k < SANDBOX_NKINDS; k++) {
		ctx = build((enum sandbox_kind)k, &r);
		if (ctx) {
			r = export_prog(ctx, &sb.prog[k]);
			seccomp_release(ctx);
		}
		if (r)
			return set_err_host(err, -r, "seccomp: cannot build the %s filter: %s",
					    kind_names[k], strerror(-r));
	}
	/* glibc reads /etc/localtime at the first time conversion (the RTC's
	 * gmtime_r on a vCPU): do it now, while files may still be opened. */
	tzset();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return set_err_host(err, errno, "seccomp: sigaction(SIGSYS): %s", strerror(errno));
	ctx = build(SANDBOX_MAIN, &r);
	if (ctx) {
		r = seccomp_load(ctx);
		seccomp_release(ctx);
	}
	if (r)
		return set_err_host(err, -r, "seccomp: cannot load the process filter: %s",
				    strerror(-r));
	sb.seccomp_on = 1;
	return 0;
}

/* --- user, chroot, capabilities --- */

/* NAME or UID[:GID] into ids; the lookup needs /etc/passwd, so before chroot. */
static int lookup_user(const char *user, uid_t *uid, gid_t *gid, struct kvmini_error *err)
{
	struct passwd *pw;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(user, &end, 10);
	if (end != user && !errno && (*end == 0 || *end == ':')) {
		*uid = (uid_t)v;
		*gid = (gid_t)v;
		if (*end == ':') {
			v = strtoul(end + 1, &end, 10);
			if (*end || errno)
				return set_err(err, EINVAL, "--user '%s': expected NAME or UID[:GID]",
					       user);
			*gid = (gid_t)v;
		}
	} else {
		pw = getpwnam(user);
		if (!pw)
			return set_err(err, EINVAL, "--user '%s': no such user", user);
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (*uid == 0)
		return set_err(err, EINVAL, "--user '%s' is root: name an unprivileged user", user);
	return 0;
}

static int drop_capabilities(const struct kvmini_restrict *o, uid_t uid, gid_t gid,
			     struct kvmini_error *err)
{
	int bounding, r;

	capng_get_caps_process();
	/* Clearing the bounding set takes CAP_SETPCAP; without it there is none to give up. */
	bounding = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_ALL);
	if (o->user) {
		r = capng_change_id((int)uid, (int)gid,
				    CAPNG_DROP_SUPP_GRP | (bounding ? CAPNG_CLEAR_BOUNDING : 0));
		if (r)
			return set_err_host(err, EPERM,
					    "cannot switch to user %s (uid %u, gid %u): libcap-ng error %d (is kvmini root?)",
					    o->user, (unsigned int)uid, (unsigned int)gid, r);
	} else {
		r = capng_apply(bounding ? CAPNG_SELECT_ALL : CAPNG_SELECT_BOTH);
		if (r)
			return set_err_host(err, EPERM, "cannot drop capabilities: libcap-ng error %d",
					    r);
	}
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		return set_err_host(err, EPERM, "capabilities remain after dropping them");
	return 0;
}

int sandbox_apply(const struct kvmini_restrict *o, struct kvmini_error *err)
{
	static const struct kvmini_restrict none = { 0 };
	uid_t uid = 0;
	gid_t gid = 0;
	int r = 0;

	if (!o)
		o = &none;
	pthread_mutex_lock(&sb.lock);
	if (o->user && (r = lookup_user(o->user, &uid, &gid, err)))
		goto out;
	if (o->chroot_dir && (chroot(o->chroot_dir) < 0 || chdir("/") < 0)) {
		r = set_err(err, errno, "cannot chroot to %s: %s", o->chroot_dir, strerror(errno));
		goto out;
	}
	if (!sb.capabilities_dropped || o->user) {
		r = drop_capabilities(o, uid, gid, err);
		if (r)
			goto out;
		sb.capabilities_dropped = 1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = set_err_host(err, errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		goto out;
	}
	if (!o->no_seccomp && !sb.seccomp_on)
		r = load_filters(err);
out:
	pthread_mutex_unlock(&sb.lock);
	return r;
}

int sandbox_watch(int stop_efd)
{
	int i, free_slot = 0;

	for (i = 0; i < MAX_WATCH; i++)
		if (atomic_compare_exchange_strong(&sb.watch[i], &free_slot, stop_efd + 1))
			return 0;
		else
			free_slot = 0;
	return -ENOSPC;
}

void sandbox_unwatch(int stop_efd)
{
	int i;

	for (i = 0; i < MAX_WATCH; i++) {
		int mine = stop_efd + 1;

		atomic_compare_exchange_strong(&sb.watch[i], &mine, 0);
	}
}

int sandbox_thread_enter(enum sandbox_kind k)
{
	thread_kind = kind_names[k];
	if (!sb.seccomp_on || k == SANDBOX_MAIN)
		return 0;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb.prog[k]) < 0) {
		log_errno(errno, "seccomp: cannot load the %s thread's filter", kind_names[k]);
		return -errno;
	}
	return 0;
}

int sandbox_denied(char *msg, size_t size)
{
	if (!atomic_load(&sb.denied))
		return 0;
	if (msg && size)
		snprintf(msg, size, "%s",
			 atomic_load(&sb.message_ready) ? sb.message : "seccomp: a call was denied");
	return 1;
}

void sandbox_probe(void)
{
	/* In no allow-list: trapped when the filters are on, harmless otherwise. */
	syscall(SYS_getppid);
}
