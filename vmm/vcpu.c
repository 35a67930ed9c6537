/*
 * vcpu.c - one vCPU: creation, boot register state, and the run loop
 * KVM_RUN -> exit -> bus lookup -> device -> KVM_RUN, in a thread of its own.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bios/boothandoff.h"
#include "vmm/cpuid.h"
#include "vmm/kvm.h"
#include "bios/layout.h"
#include "base/log.h"
#include "vmm/sandbox.h"
#include "vmm/vm.h"

/* The signal that kicks a vCPU out of KVM_RUN; blocked outside KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

#define APIC_LVT0       0x350
#define APIC_LVT1       0x360
#define APIC_MODE_EXTINT 0x700
#define APIC_MODE_NMI    0x400

#define CR0_PE 0x1ULL
#define CR0_MP 0x2ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

static void kick_handler(int sig)
{
	(void)sig;
}

static void set_lvt(struct kvm_lapic_state *l, unsigned int reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], 4);
	v = (v & ~0x700u) | mode;
	v &= ~0x10000u;  /* unmask */
	memcpy(&l->regs[reg], &v, 4);
}

/* LINT0 as ExtINT (the 8259 path) and LINT1 as NMI, as a PC BIOS leaves them. */
static int setup_lapic(struct vcpu *v)
{
	struct kvm_lapic_state l;

	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	set_lvt(&l, APIC_LVT0, APIC_MODE_EXTINT);
	set_lvt(&l, APIC_LVT1, APIC_MODE_NMI);
	if (ioctl(v->fd, KVM_SET_LAPIC, &l) < 0)
		return -errno;
	return 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code ? 1 : 0;
	s->db = code ? 0 : 1;
}

/*
 * The boot CPU's state: flat code and data segments from boot_gdt, then
 * either long mode with paging on (long_mode) or 32-bit protected mode with
 * paging off, and the general registers r.
 */
static int setup_entry_regs(struct vcpu *v, int long_mode, const struct kvm_regs *r)
{
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	flat_segment(&s.cs, BOOT_CS_SELECTOR, 0xb, long_mode);
	flat_segment(&s.ds, BOOT_DS_SELECTOR, 0x3, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = BOOT_GDT_ADDR;
	s.gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	if (long_mode) {
		s.tr.selector = 0;
		s.tr.base = 0;
		s.tr.limit = 0x67;
		s.tr.type = 0xb;   /* busy 64-bit TSS */
		s.tr.present = 1;
		s.tr.s = 0;
		s.idt.base = 0;
		s.idt.limit = 0;
		s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
		s.cr3 = BOOT_PML4_ADDR;
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
	} else {
		s.cs.db = 1;
		s.cr0 = CR0_PE | CR0_ET;
		s.cr3 = 0;
		s.cr4 = 0;
		s.efer = 0;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	if (ioctl(v->fd, KVM_SET_REGS, r) < 0)
		return -errno;
	return 0;
}

/* Long mode, paging on, RIP at the bzImage's 64-bit entry, RSI at boot_params. */
static int setup_boot_regs(struct vcpu *v)
{
	const struct bzimage_boot *b = &v->vm->boot;
	struct kvm_regs r = { .rflags = 0x2, .rip = b->entry, .rsi = b->zeropage,
			      .rsp = BOOT_STACK_TOP };

	return setup_entry_regs(v, 1, &r);
}

/* 32-bit protected mode, paging off, as the Multiboot specification hands over. */
static int setup_multiboot_regs(struct vcpu *v)
{
	const struct multiboot_boot *b = &v->vm->mb;
	struct kvm_regs r = { .rflags = 0x2, .rip = b->entry, .rax = b->magic,
			      .rbx = b->info };

	return setup_entry_regs(v, 0, &r);
}

int vcpu_create(struct kvmini_vm *vm, struct vcpu *v, unsigned int id,
		struct kvmini_error *err)
{
	struct kvm_cpuid2 *c;
	int r, sz;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->stats_fd = -1;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return set_err_host(err, errno, "cannot create vCPU %u: %s", id, strerror(errno));
	sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return set_err_host(err, EINVAL, "KVM_GET_VCPU_MMAP_SIZE failed");
	v->run_size = (size_t)sz;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return set_err_host(err, errno, "cannot map vCPU %u run area: %s", id, strerror(errno));
	}
	c = cpuid_for_vcpu(vm->cpuid, id, vm->ncpus);
	if (!c)
		return set_err_host(err, ENOMEM, "out of memory");
	r = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	if (r)
		return set_err_host(err, -r, "KVM_SET_CPUID2 on vCPU %u: %s", id, strerror(-r));
	r = setup_lapic(v);
	if (r)
		return set_err_host(err, -r, "cannot set up the local APIC of vCPU %u: %s", id, strerror(-r));
	if (id == 0) {
		r = vm->multiboot ? setup_multiboot_regs(v) : setup_boot_regs(v);
		if (r)
			return set_err_host(err, -r, "cannot set boot registers: %s", strerror(-r));
	}
	r = kvm_stat_open(v->fd, "exits", &v->exits_offset);
	v->stats_fd = r >= 0 ? r : -1;
	return 0;
}

/*
 * Port I/O and MMIO exits go to the bus the device is on. A guest access to
 * a virtio register, from the KVM_RUN loop in vcpu_thread(): handle_exit()
 * -> handle_mmio() -> iobus_access() (the bus's rwlock, taken for read only
 * around the lookup) -> the BAR's range handler in devices/pci.c -> the
 * device's bar_read/bar_write: five calls, one bus lock.
 */
static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	/* kvmini_restrict.probe: one call outside the allow-list, once. */
	if (v->vm->sandbox_probe && v->id == 0) {
		v->vm->sandbox_probe = 0;
		sandbox_probe();
	}

	v->io_exits++;
	for (i = 0; i < run->io.count; i++, data += run->io.size)
		iobus_access(&v->vm->pio, run->io.port, data, run->io.size,
			     run->io.direction == KVM_EXIT_IO_OUT);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	v->mmio_exits++;
	if (run->mmio.len == 0 || run->mmio.len > sizeof(run->mmio.data))
		return;
	iobus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data,
		     run->mmio.len, run->mmio.is_write);
}

static void handle_system_event(struct vcpu *v)
{
	struct kvmini_vm *vm = v->vm;

	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(vm, KVMINI_STOP_POWEROFF, "guest shut down (PSCI/system event)");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(vm, KVMINI_STOP_REBOOT, "guest requested a reset (system event)");
		break;
	default:
		vm_request_stop(vm, KVMINI_STOP_ERROR, "vCPU %u: system event %u",
				v->id, v->run->system_event.type);
	}
}

/* Handle one exit. Returns 0 to keep running, 1 to leave the loop. */
static int handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct kvmini_vm *vm = v->vm;

	v->userspace_exits++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return 0;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return 0;
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_SHUTDOWN:
		vm_request_stop(vm, KVMINI_STOP_SHUTDOWN,
				"vCPU %u: triple fault (guest shutdown)", v->id);
		return 1;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(v);
		return 1;
	case KVM_EXIT_HLT:
		vm_request_stop(vm, KVMINI_STOP_ERROR, "vCPU %u halted with no irqchip", v->id);
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		vm_request_stop(vm, KVMINI_STOP_GUEST_ERROR,
				"vCPU %u: VM entry failed (hardware reason 0x%llx)", v->id,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		vm_request_stop(vm, KVMINI_STOP_GUEST_ERROR,
				"vCPU %u: KVM internal error, suberror %u", v->id,
				run->internal.suberror);
		return 1;
	default:
		vm_request_stop(vm, KVMINI_STOP_ERROR, "vCPU %u: unhandled exit reason %u",
				v->id, run->exit_reason);
		return 1;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvmini_vm *vm = v->vm;

	if (sandbox_thread_enter(SANDBOX_VCPU)) {
		vm_request_stop(vm, KVMINI_STOP_ERROR, "vCPU %u cannot load its seccomp filter", v->id);
		return NULL;
	}
	while (!atomic_load(&vm->stopping)) {
		int r = ioctl(v->fd, KVM_RUN, 0);

		/* Deferred port writes happened before this exit: replay them first. */
		if (coalesce_pending(&vm->coal))
			coalesce_flush(&vm->coal);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_request_stop(vm, KVMINI_STOP_ERROR, "vCPU %u: KVM_RUN: %s",
					v->id, strerror(errno));
			break;
		}
		if (handle_exit(v))
			break;
	}
	return NULL;
}

/*
 * Threads run with the kick signal blocked; KVM_SET_SIGNAL_MASK unblocks it
 * only inside KVM_RUN, so a kick sent at any time ends the next KVM_RUN.
 */
int vcpu_start(struct vcpu *v)
{
	struct {
		struct kvm_signal_mask m;
		uint8_t set[8];
	} kmask;
	char name[16];
	struct sigaction sa;
	sigset_t block, old, inside;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;

	sigemptyset(&block);
	sigaddset(&block, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	inside = old;
	sigdelset(&inside, VCPU_KICK_SIGNAL);
	kmask.m.len = 8;
	memcpy(kmask.set, &inside, 8);
	if (ioctl(v->fd, KVM_SET_SIGNAL_MASK, &kmask) < 0) {
		r = -errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return r;
	}
	snprintf(name, sizeof(name), "kvmini-vcpu%u", v->id);
	r = thread_start(&v->thread, name, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		v->thread_started = 1;
	return r;
}

void vcpu_kick(struct vcpu *v)
{
	if (v->thread_started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->thread_started) {
		pthread_join(v->thread, NULL);
		v->thread_started = 0;
	}
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->stats_fd >= 0)
		close(v->stats_fd);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
	v->stats_fd = -1;
}
