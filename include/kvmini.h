/*
 * kvmini.h - the embedding API of libkvmini.
 *
 * A program fills a struct kvmini_config, creates a VM from it, runs it until
 * the guest stops, reads why it stopped, and destroys it. Nothing here uses
 * global state: two VMs can live in one process. Every call that can fail
 * returns 0 or a negative errno and, where it takes a struct kvmini_error,
 * writes a one-line human-readable reason there.
 */
#ifndef KVMINI_H
#define KVMINI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * KVMINI_API marks what libkvmini exports. The library is built with hidden
 * visibility and its archive holds one object whose other globals are made
 * local, so an embedder sees these names and no others.
 */
#define KVMINI_API __attribute__((visibility("default")))

#define KVMINI_MAX_CPUS 64
#define KVMINI_MAX_DISKS 8
#define KVMINI_MAX_NICS 8
#define KVMINI_NIC_MAX_QUEUES 8   /* queue pairs per NIC (--net queues=N) */
#define KVMINI_MAX_INITRDS 16     /* initrd and initrds[] together */

/* Who a failure is down to, as far as kvmini can tell. */
enum kvmini_error_kind {
	KVMINI_ERR_HOST = 0,      /* the host: no KVM, no memory, permissions, ... */
	KVMINI_ERR_INPUT,         /* what kvmini was given: a kernel, file or value
				     it refuses (the message says what is allowed) */
};

/* One-line reason for a failure, filled by the call that failed. */
struct kvmini_error {
	char msg[512];
	enum kvmini_error_kind kind;
};

/*
 * The kvmini command's exit statuses (kvmini run, native and bench alike).
 * kvmini's own outcomes are even; a guest that writes V to isa-debug-exit
 * (port 0xf4) ends kvmini run with (V << 1) | 1, which is odd, so the two
 * never collide.
 */
enum kvmini_exit_status {
	KVMINI_EXIT_OK = 0,       /* poweroff, reboot, Ctrl-A x; every run succeeded */
	KVMINI_EXIT_USAGE = 2,    /* the command line is wrong */
	KVMINI_EXIT_INPUT = 4,    /* an input was refused: kernel, initrd, disk, value */
	KVMINI_EXIT_HOST = 6,     /* a host-side failure: KVM, memory, files, taps */
	KVMINI_EXIT_GUEST = 8,    /* the guest crashed the VM (triple fault, a state
				     KVM cannot run) or did not finish in time */
};

/* What backs guest RAM. */
enum kvmini_pages {
	KVMINI_PAGES_THP = 0,     /* 2 MiB-aligned, madvise(MADV_HUGEPAGE) */
	KVMINI_PAGES_SMALL,       /* 4 KiB pages only (MADV_NOHUGEPAGE) */
	KVMINI_PAGES_HUGETLB,     /* MAP_HUGETLB: needs vm.nr_hugepages */
};

/* A virtio-blk disk backed by a file (io_uring). */
struct kvmini_disk {
	const char *path;
	int readonly;            /* guest sees VIRTIO_BLK_F_RO; writes refused */
	int direct;              /* open with O_DIRECT */
};

/* A virtio-net NIC on a host tap device. */
struct kvmini_nic {
	const char *tap;         /* tap name: attached if it exists, else created */
	int vhost;               /* vhost-net: 1 on, 0 off, -1 auto (the parser's
				    default: on if /dev/vhost-net opens) */
	uint8_t mac[6];          /* guest MAC when has_mac */
	int has_mac;             /* 0: a locally administered MAC from the tap name */
	unsigned int queues;     /* queue pairs, 1..KVMINI_NIC_MAX_QUEUES (0 means 1).
				    1: one rx/tx pair, no MQ or CTRL_VQ offered.
				    N > 1: VIRTIO_NET_F_MQ + CTRL_VQ, the tap opened
				    N times with IFF_MULTI_QUEUE (it must have been
				    created multi_queue if it exists), with vhost
				    one /dev/vhost-net per pair */
};

/* Everything needed to build a VM. Zero-initialise, then set fields. */
struct kvmini_config {
	const char *kernel;      /* bzImage or Multiboot kernel path (required) */
	const char *initrd;      /* initramfs path, or NULL (the first, if several) */
	const char *initrds[KVMINI_MAX_INITRDS];  /* more, after initrd, in order: a
				    Linux kernel gets them joined into one initramfs
				    (concatenated cpio archives), a Multiboot kernel
				    one module each, its path the module's string */
	unsigned int ninitrds;
	const char *cmdline;     /* kernel command line, or NULL for "" */
	uint64_t mem_size;       /* guest RAM in bytes; 0 means 256 MiB */
	unsigned int ncpus;      /* number of vCPUs; 0 means 1 */
	int console_out_fd;      /* serial output: fd to write (e.g. 1); input
				    goes in with kvmini_vm_console_input() */
	enum kvmini_pages pages; /* what backs guest RAM (default: THP) */
	const char *kvm_path;    /* KVM device node; NULL means "/dev/kvm" */
	struct kvmini_disk disks[KVMINI_MAX_DISKS];
	unsigned int ndisks;     /* one virtio-blk PCI device each, one queue per vCPU */
	struct kvmini_nic nics[KVMINI_MAX_NICS];
	unsigned int nnics;      /* one virtio-net PCI device each (queue pairs: nics[i].queues) */
	uint64_t timeout_ms;     /* 0: none; else kvmini_vm_run() stops the guest
				    after this long with KVMINI_STOP_TIMEOUT */
};

/* Why a VM stopped running. */
enum kvmini_stop {
	KVMINI_STOP_POWEROFF = 1, /* guest requested ACPI S5 (poweroff) */
	KVMINI_STOP_REBOOT,       /* guest requested a reset (ACPI, i8042) */
	KVMINI_STOP_SHUTDOWN,     /* triple fault */
	KVMINI_STOP_ERROR,        /* KVM or VMM failure; see reason */
	KVMINI_STOP_HOST,         /* kvmini_vm_stop() was called */
	KVMINI_STOP_EXIT_CODE,    /* the guest wrote to isa-debug-exit; see exit_code */
	KVMINI_STOP_GUEST_ERROR,  /* the guest left a vCPU in a state KVM cannot run
				     (entry failed, internal/emulation error) */
	KVMINI_STOP_TIMEOUT,      /* config.timeout_ms passed first */
};

/* Counters gathered while the VM ran. */
struct kvmini_stats {
	uint64_t userspace_exits;    /* KVM_RUN returns handled by the VMM */
	uint64_t io_exits;           /* of which port I/O */
	uint64_t mmio_exits;         /* of which MMIO */
	uint64_t unclaimed_io;       /* accesses to addresses no device owns */
	uint64_t doorbell_exits;     /* virtio queue kicks that reached userspace
					(0 when ioeventfd carries them) */
	uint64_t kvm_exits;          /* all exits KVM saw (binary stats), or 0 */
	int kvm_exits_valid;         /* 1 if kvm_exits was read from KVM */
};

/* The outcome of kvmini_vm_run(). */
struct kvmini_result {
	enum kvmini_stop stop;
	char reason[256];            /* human-readable, one line */
	int exit_code;               /* KVMINI_STOP_EXIT_CODE: (value << 1) | 1 */
	struct kvmini_stats stats;
};

struct kvmini_vm;

/*
 * kvmini_vm_create - open KVM, build guest memory, load the kernel and
 * firmware tables, create vCPUs and devices.
 * Returns 0 and sets *out, or a negative errno with err filled.
 */
KVMINI_API int kvmini_vm_create(const struct kvmini_config *cfg, struct kvmini_vm **out,
		     struct kvmini_error *err);

/*
 * kvmini_vm_run - start every vCPU and wait until the guest stops.
 * Fills *res with the reason. Returns 0 when the VM ran and stopped (for any
 * reason, see res->stop), or a negative errno if it could not be started.
 */
KVMINI_API int kvmini_vm_run(struct kvmini_vm *vm, struct kvmini_result *res);

/*
 * kvmini_vm_stop - ask a running VM to stop (async-signal-unsafe; call from
 * any thread). kvmini_vm_run() then returns with KVMINI_STOP_HOST.
 */
KVMINI_API void kvmini_vm_stop(struct kvmini_vm *vm);

/* kvmini_vm_destroy - free everything the VM holds. NULL is allowed. */
KVMINI_API void kvmini_vm_destroy(struct kvmini_vm *vm);

/* kvmini_parse_size - parse "512M", "2G", "4096K", "1048576" into bytes. */
KVMINI_API int kvmini_parse_size(const char *s, uint64_t *out);

/*
 * kvmini_parse_disk - parse "PATH[,ro][,direct=on|off]" into d (d->path
 * points into s). Returns 0 or -EINVAL.
 */
KVMINI_API int kvmini_parse_disk(char *s, struct kvmini_disk *d);

/*
 * kvmini_parse_nic - parse "tap=NAME[,vhost=on|off|auto][,mac=MAC][,queues=N]"
 * into n (queues 1..KVMINI_NIC_MAX_QUEUES, default 1)
 * (n->tap points into s; MAC as six hex bytes with ':' or '-', unicast).
 * Returns 0 or -EINVAL.
 */
KVMINI_API int kvmini_parse_nic(char *s, struct kvmini_nic *n);

/*
 * How kvmini_vm_restrict() confines the process. Zero-initialise: the
 * default drops every capability, sets no_new_privs and filters system calls.
 */
struct kvmini_restrict {
	const char *user;        /* NULL: keep the user; else NAME or UID[:GID],
				    switched to (no supplementary groups) after
				    chroot_dir; root is refused */
	const char *chroot_dir;  /* NULL: none; else chroot(2) here first */
	int no_seccomp;          /* 1: no system-call filter (for debugging) */
	int probe;               /* debug: vCPU 0 makes one call outside its
				    allow-list at its first port exit, to show
				    that a denial stops the VM with its name */
};

/*
 * kvmini_vm_restrict - give up what a running VM does not need, for the
 * whole process: chroot and switch user if asked, drop every capability
 * (libcap-ng), set PR_SET_NO_NEW_PRIVS, and (unless no_seccomp) load a
 * seccomp allow-list on every thread, to which each vCPU and I/O thread of vm
 * adds its own narrower one when it starts. A call outside them fails, is
 * named on stderr, and stops vm with KVMINI_STOP_ERROR.
 *
 * Call it once every VM of the process exists, with its devices (an
 * experiment that adds its own devices adds them first), and before
 * kvmini_vm_run(); call it again for each further VM (its threads get
 * their filters, the process ones stay). Threads other than kvmini's that
 * already exist keep their capabilities, so start them afterwards. Nothing
 * can be opened afterwards: no new disk, tap or file. Returns 0 or a
 * negative errno with err filled; on failure the process may be partly
 * restricted and should not go on to run the guest.
 */
KVMINI_API int kvmini_vm_restrict(struct kvmini_vm *vm, const struct kvmini_restrict *r,
				  struct kvmini_error *err);

/*
 * kvmini_vm_console_input - give the guest's COM1 up to len bytes of console
 * input, as if typed. Any thread may call it while the VM exists (a program
 * pumps its terminal into it; kvmini's command does with the Ctrl-A escape).
 * Returns how many bytes the UART took: fewer than len, even 0, while its
 * receive FIFO is full; call again later with the rest.
 */
KVMINI_API size_t kvmini_vm_console_input(struct kvmini_vm *vm, const void *buf, size_t len);

/* Message levels of kvmini_set_log_level(). */
enum kvmini_log_level {
	KVMINI_LOG_ERR,
	KVMINI_LOG_WARN,          /* the default */
	KVMINI_LOG_INFO,
	KVMINI_LOG_DEBUG,
};

/*
 * kvmini_set_log_level - the library's diagnostics (one line each on stderr,
 * "kvmini: LEVEL: ...") above lvl are dropped. Process-wide.
 */
KVMINI_API void kvmini_set_log_level(enum kvmini_log_level lvl);

/*
 * kvmini_host_tdp - whether the host's KVM uses two-dimensional paging:
 * "EPT on", "EPT off", "NPT on", "NPT off", or "unknown" (no kvm_intel or
 * kvm_amd module parameters to read). A static string.
 */
KVMINI_API const char *kvmini_host_tdp(void);

/*
 * kvmini_exit_status - the exit status the kvmini command gives for res:
 * KVMINI_EXIT_OK for poweroff, reboot and a host stop, res->exit_code for a
 * debug exit, KVMINI_EXIT_GUEST for a triple fault, a guest error or a
 * timeout, KVMINI_EXIT_HOST for a failure of KVM or kvmini.
 */
KVMINI_API int kvmini_exit_status(const struct kvmini_result *res);

/*
 * kvmini_error_status - the exit status for a failed kvmini_vm_create():
 * KVMINI_EXIT_INPUT or KVMINI_EXIT_HOST, from err->kind.
 */
KVMINI_API int kvmini_error_status(const struct kvmini_error *err);

/* kvmini_stop_name - short name of a stop reason ("poweroff", ...). */
KVMINI_API const char *kvmini_stop_name(enum kvmini_stop stop);

#ifdef __cplusplus
}
#endif
#endif
