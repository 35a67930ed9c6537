/*
 * vm.h - the inside of a struct kvmini_vm: KVM fds, guest memory, buses,
 * devices, vCPUs, and how a stop is requested and observed.
 */
#ifndef KVMINI_VM_H
#define KVMINI_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>

#include "devices/acpi_pm.h"
#include "vmm/blkdev.h"
#include "vmm/coalesce.h"
#include "vmm/bzimage.h"
#include "devices/debug_exit.h"
#include "base/guestmem.h"
#include "devices/i8042.h"
#include "devices/iobus.h"
#include "vmm/iothread.h"
#include "vmm/irqroute.h"
#include "kvmini.h"
#include "devices/mc146818.h"
#include "vmm/multiboot.h"
#include "vmm/netdev.h"
#include "devices/pci.h"
#include "devices/uart8250.h"

struct vcpu {
	struct kvmini_vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	int thread_started;
	int stats_fd;            /* KVM binary stats, or -1 */
	uint64_t exits_offset;
	uint64_t userspace_exits, io_exits, mmio_exits;
};

/* The devices of kvmini's PC machine. */
struct machine {
	struct uart8250 com1;
	struct i8042 kbd;
	struct acpi_pm pm;
	struct mc146818 rtc;
	struct pci_bus pci;
	struct debug_exit dbg;
	int com1_ok, kbd_ok, pm_ok, rtc_ok, pci_ok;
};

struct kvmini_vm {
	int kvm_fd, vm_fd;
	unsigned int ncpus;
	struct guest_mem mem;
	struct iobus pio, mmio;
	struct machine mach;
	struct vcpu *vcpus;
	struct kvm_cpuid2 *cpuid;
	struct bzimage_boot boot;        /* a Linux bzImage, or ... */
	int multiboot;                   /* ... a Multiboot kernel: */
	struct multiboot_boot mb;
	struct irqroute irq;
	int irq_ok;
	struct coalesce coal;
	int coal_ok;
	struct iothread io;
	int io_ok;
	struct blkdev *disks;
	unsigned int ndisks;
	struct netdev *nics;
	unsigned int nnics;

	pthread_mutex_t stop_lock;
	atomic_int stopping;
	enum kvmini_stop stop;
	char stop_reason[256];
	int exit_code;
	int stop_efd;            /* eventfd: written once when a stop is requested */
	uint64_t timeout_ms;     /* kvmini_config.timeout_ms: 0, or stop after it */
	int restricted;          /* kvmini_vm_restrict() was called: threads filter */
	int sandbox_watched;     /* stop_efd is written on a seccomp denial */
	int sandbox_probe;       /* debug: vCPU 0 makes a denied call (kvmini_restrict.probe) */
};

/*
 * vm_request_stop - record why the VM stops (the first request wins), wake
 * kvmini_vm_run() and kick every vCPU out of KVM_RUN. Any thread may call.
 */
void vm_request_stop(struct kvmini_vm *vm, enum kvmini_stop stop,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* vm_set_irq - drive an ISA/IOAPIC interrupt line (KVM_IRQ_LINE). */
void vm_set_irq(void *vm, unsigned int irq, int level);

/* machine_init - create kvmini's PC devices and register them on the buses. */
int machine_init(struct kvmini_vm *vm, int console_out_fd,
		 struct kvmini_error *err) MUST_CHECK;

/* machine_destroy - free what machine_init() built. */
void machine_destroy(struct kvmini_vm *vm);

/* machine_console_input - feed host console bytes to the guest's COM1. */
size_t machine_console_input(struct kvmini_vm *vm, const uint8_t *buf, size_t len);

/* vcpu_create - create vCPU id with its CPUID, LAPIC and (BSP) boot state. */
int vcpu_create(struct kvmini_vm *vm, struct vcpu *v, unsigned int id,
		struct kvmini_error *err) MUST_CHECK;

/* vcpu_start - start the vCPU's thread, which runs until the VM stops. */
int vcpu_start(struct vcpu *v) MUST_CHECK;

/* vcpu_kick - interrupt the vCPU's KVM_RUN so that it sees a stop. */
void vcpu_kick(struct vcpu *v);

/* vcpu_destroy - join the thread (if started) and close the fds. */
void vcpu_destroy(struct vcpu *v);

#endif
