/*
 * vm.c - libkvmini: build a VM from a struct kvmini_config, run it, stop
 * it, destroy it. Input files are checked and loaded into guest memory
 * before /dev/kvm is opened, so bad input fails the same with or without KVM.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bios/acpi.h"
#include "bios/boothandoff.h"
#include "vmm/cpuid.h"
#include "vmm/fdt.h"
#include "kvmini_guest_abi.h"
#include "vmm/file.h"
#include "vmm/kvm.h"
#include "bios/layout.h"
#include "base/log.h"
#include "vmm/sandbox.h"
#include "vmm/vm.h"

#define DEFAULT_MEM      (256 * MiB)
#define MAX_MEM          (1024 * GiB)

const char *kvmini_stop_name(enum kvmini_stop stop)
{
	switch (stop) {
	case KVMINI_STOP_POWEROFF: return "poweroff";
	case KVMINI_STOP_REBOOT: return "reboot";
	case KVMINI_STOP_SHUTDOWN: return "triple-fault";
	case KVMINI_STOP_ERROR: return "error";
	case KVMINI_STOP_HOST: return "stopped";
	case KVMINI_STOP_EXIT_CODE: return "exit-code";
	case KVMINI_STOP_GUEST_ERROR: return "guest-error";
	case KVMINI_STOP_TIMEOUT: return "timeout";
	}
	return "unknown";
}

int kvmini_exit_status(const struct kvmini_result *res)
{
	switch (res->stop) {
	case KVMINI_STOP_POWEROFF:
	case KVMINI_STOP_REBOOT:
	case KVMINI_STOP_HOST:
		return KVMINI_EXIT_OK;
	case KVMINI_STOP_EXIT_CODE:
		return res->exit_code;
	case KVMINI_STOP_SHUTDOWN:
	case KVMINI_STOP_GUEST_ERROR:
	case KVMINI_STOP_TIMEOUT:
		return KVMINI_EXIT_GUEST;
	case KVMINI_STOP_ERROR:
		break;
	}
	return KVMINI_EXIT_HOST;
}

int kvmini_error_status(const struct kvmini_error *err)
{
	return err && err->kind == KVMINI_ERR_INPUT ? KVMINI_EXIT_INPUT : KVMINI_EXIT_HOST;
}

void vm_request_stop(struct kvmini_vm *vm, enum kvmini_stop stop, const char *fmt, ...)
{
	uint64_t one = 1;
	unsigned int i;
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	if (atomic_load(&vm->stopping)) {
		pthread_mutex_unlock(&vm->stop_lock);
		return;
	}
	vm->stop = stop;
	va_start(ap, fmt);
	vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
	va_end(ap);
	atomic_store(&vm->stopping, 1);
	pthread_mutex_unlock(&vm->stop_lock);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0)
		log_warn("cannot signal the stop event");
	for (i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

static int check_config(const struct kvmini_config *cfg, uint64_t *mem,
			unsigned int *ncpus, struct kvmini_error *err)
{
	if (!cfg->kernel)
		return set_err(err, EINVAL, "no kernel given (--kernel PATH)");
	*mem = cfg->mem_size ? cfg->mem_size : DEFAULT_MEM;
	*ncpus = cfg->ncpus ? cfg->ncpus : 1;
	if (*ncpus > KVMINI_MAX_CPUS)
		return set_err(err, EINVAL, "%u vCPUs requested; kvmini supports 1 to %d",
			       *ncpus, KVMINI_MAX_CPUS);
	if (*mem > MAX_MEM)
		return set_err(err, EINVAL, "%llu GiB of RAM requested; the limit is %llu GiB",
			       (unsigned long long)(*mem / GiB),
			       (unsigned long long)(MAX_MEM / GiB));
	if (*mem < 2 * MiB)
		return set_err(err, EINVAL,
			       "%llu KiB of RAM is too small to boot anything; use at least 64M",
			       (unsigned long long)(*mem / KiB));
	*mem = ALIGN_UP(*mem, 2 * MiB);
	return 0;
}

/* The boot sector and "HdrS" signatures: the file means to be a bzImage. */
static int bzimage_signature(const uint8_t *img, size_t len)
{
	return len >= 0x206 && img[0x1fe] == 0x55 && img[0x1ff] == 0xaa &&
	       !memcmp(img + 0x202, "HdrS", 4);
}

/* The device tree a Multiboot guest boots with; pci NULL leaves /pci out. */
static int build_fdt(const struct kvmini_vm *vm, const struct kvmini_config *cfg,
		     const struct kvfdt_pci *pci, void **fdt, size_t *fdt_len,
		     struct kvmini_error *err)
{
	struct kvfdt_params p = { .mem = &vm->mem, .cmdline = cfg->cmdline,
				  .ncpus = vm->ncpus, .exit_port = KVMINI_DEBUG_EXIT_PORT,
				  .pci = pci };

	return kvfdt_build(&p, fdt, fdt_len, err);
}

/*
 * A Multiboot kernel: each --initrd a module, in order, its file name the
 * string; kvmini's own guest (guest/, marked by its ELF note) also gets the
 * FDT as the last module, /pci joining it once the devices exist
 * (add_devices_to_fdt).
 */
static int load_multiboot(struct kvmini_vm *vm, const struct kvmini_config *cfg,
			  const struct mapped_file *k, const struct initrd_set *initrds,
			  struct kvmini_error *err)
{
	struct multiboot_module mods[KVMINI_MAX_INITRDS + 1];
	unsigned int n = 0, i;
	void *fdt = NULL;
	size_t fdt_len = 0;
	int r;

	for (i = 0; i < initrds->n; i++)
		mods[n++] = (struct multiboot_module){ .data = initrds->f[i].data,
						       .len = initrds->f[i].len,
						       .string = initrds->path[i] };
	if (multiboot_wants_fdt(k->data, k->len)) {
		r = build_fdt(vm, cfg, NULL, &fdt, &fdt_len, err);
		if (r)
			return r;
		mods[n++] = (struct multiboot_module){ .data = fdt, .len = fdt_len,
						       .string = KVMINI_FDT_MODULE_STRING, .fdt = 1 };
	}
	r = multiboot_load(&vm->mem, k->data, k->len, mods, n, cfg->cmdline, &vm->mb, err);
	free(fdt);
	if (!r)
		vm->multiboot = 1;
	return r;
}

/*
 * A Multiboot guest's device tree once the devices exist: the tree loaded
 * with the kernel (before /dev/kvm was opened) gets /pci added.
 */
static int add_devices_to_fdt(struct kvmini_vm *vm, const struct kvmini_config *cfg,
			      struct kvmini_error *err)
{
	struct kvfdt_pci_fn fns[PCI_MAX_SLOTS];
	struct kvfdt_pci pci;
	void *fdt = NULL;
	size_t fdt_len = 0;
	int r;

	kvfdt_describe_pci(&vm->mach.pci, fns, PCI_MAX_SLOTS, &pci);
	r = build_fdt(vm, cfg, &pci, &fdt, &fdt_len, err);
	if (r)
		return r;
	r = multiboot_replace_fdt(&vm->mem, &vm->mb, fdt, fdt_len, err);
	free(fdt);
	return r;
}

/* Firmware tables, boot page tables and the kernel, all into guest RAM. */
static int load_guest(struct kvmini_vm *vm, const struct kvmini_config *cfg,
		      struct kvmini_error *err)
{
	struct mapped_file kernel = { 0 };
	struct initrd_set initrds;
	const uint8_t *rd;
	size_t rd_len;
	uint8_t *acpi = gmem_ptr(&vm->mem, ACPI_TABLES_ADDR, ACPI_TABLES_MAX);
	int r;

	if (!acpi || boot_handoff_write(&vm->mem))
		return set_err(err, EFAULT, "guest RAM does not cover the boot areas");
	r = acpi_build(acpi, ACPI_TABLES_MAX, ACPI_TABLES_ADDR, vm->ncpus, err);
	if (r < 0)
		return r;
	r = file_map(cfg->kernel, "kernel", &kernel, err);
	if (r)
		return r;
	r = initrd_set_map(cfg, &initrds, err);
	if (r) {
		file_unmap(&kernel);
		return r;
	}
	r = initrd_set_join(&initrds, &rd, &rd_len, err);
	if (r)
		goto out;
	r = bzimage_load(&vm->mem, kernel.data, kernel.len, rd, rd_len,
			 cfg->cmdline, ACPI_TABLES_ADDR, &vm->boot, err);
	if (r == -ENOEXEC && multiboot_has_header(kernel.data, kernel.len))
		r = load_multiboot(vm, cfg, &kernel, &initrds, err);
	else if (r == -ENOEXEC && !bzimage_signature(kernel.data, kernel.len))
		r = multiboot_refuse_format(err);
	if (r) {
		char msg[sizeof(err->msg)];

		/* A kernel the loaders refuse (or that does not fit) is an input error. */
		if (err) {
			snprintf(msg, sizeof(msg), "%s", err->msg);
			set_err(err, -r, "%s: %s", cfg->kernel, msg);
			err->kind = KVMINI_ERR_INPUT;
		}
	}
out:
	file_unmap(&kernel);
	initrd_set_unmap(&initrds);
	return r;
}

static int kvm_setup(struct kvmini_vm *vm, const struct kvmini_config *cfg,
		     struct kvmini_error *err)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	unsigned int i;
	int max, r;

	r = kvm_open(cfg->kvm_path, err);
	if (r < 0)
		return r;
	vm->kvm_fd = r;
	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && vm->ncpus > (unsigned int)max)
		return set_err(err, EINVAL, "%u vCPUs requested; this KVM allows %d",
			       vm->ncpus, max);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return set_err_host(err, errno, "KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
		return set_err_host(err, errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	{
		uint64_t idmap = KVM_IDMAP_ADDR;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
			return set_err_host(err, errno, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return set_err_host(err, errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return set_err_host(err, errno, "KVM_CREATE_PIT2: %s", strerror(errno));
	for (i = 0; i < vm->mem.nr_regions; i++) {
		struct kvm_userspace_memory_region mr = {
			.slot = i,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uintptr_t)vm->mem.region[i].host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
			return set_err_host(err, errno, "cannot give guest RAM to KVM: %s",
				       strerror(errno));
	}
	r = cpuid_get_supported(vm->kvm_fd, &vm->cpuid);
	if (r)
		return set_err_host(err, -r, "KVM_GET_SUPPORTED_CPUID: %s", strerror(-r));
	log_info("KVM ready: %u vCPUs, %llu MiB, two-dimensional paging %s",
		 vm->ncpus, (unsigned long long)(vm->mem.ram_size / MiB), kvm_tdp_status());
	return 0;
}

/*
 * n zeroed device structs of size bytes for the config's n disks or NICs
 * (at most max); NULL for none, or with *r set and err filled on failure.
 */
static void *device_array(unsigned int n, unsigned int max, size_t size, const char *what,
			  int *r, struct kvmini_error *err)
{
	void *a;

	*r = 0;
	if (n > max) {
		*r = set_err(err, EINVAL, "%u %s; at most %u", n, what, max);
		return NULL;
	}
	if (!n)
		return NULL;
	a = calloc(n, size);
	if (!a)
		*r = set_err(err, ENOMEM, "out of memory");
	return a;
}

/*
 * The virtio disks and NICs, on what every virtio device gets: guest RAM,
 * MSI routes, a legacy INTx fallback (its line picked from the slot), the
 * PCI bus, the I/O thread. A device that fails counts, so that
 * kvmini_vm_destroy frees what it built.
 */
static int create_devices(struct kvmini_vm *vm, const struct kvmini_config *cfg,
			  struct kvmini_error *err)
{
	const struct vdev_host host = {
		.mem = &vm->mem, .msi = irqroute_msi_host(&vm->irq),
		.intx = { .set = vm_set_irq, .ctx = vm, .irq = 0 },
		.bus = &vm->mach.pci, .io = &vm->io,
	};
	unsigned int i;
	int r;

	vm->disks = device_array(cfg->ndisks, KVMINI_MAX_DISKS, sizeof(*vm->disks), "disks",
				 &r, err);
	for (i = 0; !r && i < cfg->ndisks; i++, vm->ndisks = i)
		r = blkdev_create(&vm->disks[i], &cfg->disks[i], vm->ncpus, &host, err);
	if (r)
		return r;
	vm->nics = device_array(cfg->nnics, KVMINI_MAX_NICS, sizeof(*vm->nics), "NICs",
				&r, err);
	for (i = 0; !r && i < cfg->nnics; i++, vm->nnics = i)
		r = netdev_create(&vm->nics[i], &cfg->nics[i], i, &host, err);
	return r;
}

/* The I/O thread could not confine itself (iothread.h): the VM stops, saying why. */
static void io_failed(void *ctx, const char *why)
{
	vm_request_stop(ctx, KVMINI_STOP_ERROR, "%s", why);
}

int kvmini_vm_create(const struct kvmini_config *cfg, struct kvmini_vm **out,
		     struct kvmini_error *err)
{
	struct kvmini_vm *vm;
	unsigned int i;
	uint64_t mem = 0;
	int r;

	*out = NULL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return set_err(err, ENOMEM, "out of memory");
	vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
	vm->timeout_ms = cfg->timeout_ms;
	pthread_mutex_init(&vm->stop_lock, NULL);
	iobus_init(&vm->pio, "pio");
	iobus_init(&vm->mmio, "mmio");

	r = check_config(cfg, &mem, &vm->ncpus, err);
	if (r)
		goto fail;
	r = gmem_init(&vm->mem, mem, cfg->pages, err);
	if (r)
		goto fail;
	r = load_guest(vm, cfg, err);
	if (r)
		goto fail;
	vm->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (vm->stop_efd < 0) {
		r = set_err_host(err, errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	r = kvm_setup(vm, cfg, err);
	if (r)
		goto fail;
	r = irqroute_init(&vm->irq, vm->vm_fd, err);
	if (r)
		goto fail;
	vm->irq_ok = 1;
	r = machine_init(vm, cfg->console_out_fd, err);
	if (r)
		goto fail;
	r = iothread_init(&vm->io, err);
	if (r)
		goto fail;
	vm->io_ok = 1;
	vm->io.fail = io_failed;
	vm->io.fail_ctx = vm;
	r = create_devices(vm, cfg, err);
	if (r)
		goto fail;
	if (vm->multiboot && vm->mb.fdt) {
		r = add_devices_to_fdt(vm, cfg, err);
		if (r)
			goto fail;
	}
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		r = set_err(err, ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < vm->ncpus; i++)
		vm->vcpus[i].fd = vm->vcpus[i].stats_fd = -1;
	for (i = 0; i < vm->ncpus; i++) {
		r = vcpu_create(vm, &vm->vcpus[i], i, err);
		if (r)
			goto fail;
	}
	r = coalesce_init(&vm->coal, vm->kvm_fd, vm->vm_fd, vm->vcpus[0].run,
			  vm->vcpus[0].run_size, &vm->pio, &vm->mmio);
	if (r) {
		set_err_host(err, -r, "cannot set up coalesced I/O: %s", strerror(-r));
		goto fail;
	}
	vm->coal_ok = 1;
	*out = vm;
	return 0;
fail:
	kvmini_vm_destroy(vm);
	return r;
}

/*
 * Wait until a stop is requested, waking now and then to replay deferred
 * port writes (coalesce.h).
 */
static void wait_for_stop(struct kvmini_vm *vm)
{
	struct timespec now;
	uint64_t deadline = 0;

	if (vm->timeout_ms) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000 +
			   vm->timeout_ms;
	}
	for (;;) {
		struct pollfd p = { .fd = vm->stop_efd, .events = POLLIN };
		int wait = vm->coal.ring ? 50 : -1, n;

		if (deadline) {
			uint64_t ms;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
			if (ms >= deadline) {
				vm_request_stop(vm, KVMINI_STOP_TIMEOUT,
						"the guest did not finish within %llu ms (stopped)",
						(unsigned long long)vm->timeout_ms);
				deadline = 0;   /* the stop eventfd ends the loop */
			} else if (wait < 0 || deadline - ms < (uint64_t)wait) {
				wait = (int)(deadline - ms < 60000 ? deadline - ms : 60000);
			}
		}
		n = poll(&p, 1, wait);
		if (coalesce_pending(&vm->coal))
			coalesce_flush(&vm->coal);
		if (n < 0 && errno != EINTR)
			break;
		if (p.revents)
			break;
	}
	if (vm->restricted) {
		char why[256];

		if (sandbox_denied(why, sizeof(why)))
			vm_request_stop(vm, KVMINI_STOP_ERROR, "%s", why);
	}
}

int kvmini_vm_restrict(struct kvmini_vm *vm, const struct kvmini_restrict *o,
		       struct kvmini_error *err)
{
	int r;

	if (!vm)
		return set_err(err, EINVAL, "kvmini_vm_restrict: no VM");
	r = sandbox_apply(o, err);
	if (r)
		return r;
	if (!vm->sandbox_watched) {
		r = sandbox_watch(vm->stop_efd);
		if (r)
			return set_err_host(err, -r, "more than 32 VMs are restricted at once");
		vm->sandbox_watched = 1;
	}
	vm->restricted = 1;
	vm->sandbox_probe = o && o->probe;
	return 0;
}

size_t kvmini_vm_console_input(struct kvmini_vm *vm, const void *buf, size_t len)
{
	if (!vm || !buf)
		return 0;
	return machine_console_input(vm, buf, len);
}

static void collect_stats(struct kvmini_vm *vm, struct kvmini_stats *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->kvm_exits_valid = 1;
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		uint64_t exits;

		s->userspace_exits += v->userspace_exits;
		s->io_exits += v->io_exits;
		s->mmio_exits += v->mmio_exits;
		if (v->stats_fd >= 0 && !kvm_stat_read(v->stats_fd, v->exits_offset, &exits))
			s->kvm_exits += exits;
		else
			s->kvm_exits_valid = 0;
	}
	s->unclaimed_io = atomic_load(&vm->pio.unclaimed) + atomic_load(&vm->mmio.unclaimed);
	for (i = 0; i < vm->ndisks; i++)
		s->doorbell_exits += vm->disks[i].vp.kicks_in_userspace;
	for (i = 0; i < vm->nnics; i++)
		s->doorbell_exits += vm->nics[i].vp.kicks_in_userspace;
}

int kvmini_vm_run(struct kvmini_vm *vm, struct kvmini_result *res)
{
	unsigned int i;
	int r;

	memset(res, 0, sizeof(*res));
	r = iothread_start(&vm->io);
	if (r)
		return r;
	for (i = 0; i < vm->ncpus; i++) {
		r = vcpu_start(&vm->vcpus[i]);
		if (r) {
			vm_request_stop(vm, KVMINI_STOP_ERROR, "cannot start vCPU %u: %s",
					i, strerror(-r));
			break;
		}
	}
	wait_for_stop(vm);
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->thread_started) {
			pthread_join(v->thread, NULL);
			v->thread_started = 0;
		}
	}
	iothread_stop(&vm->io);
	coalesce_flush(&vm->coal);
	collect_stats(vm, &res->stats);
	res->stop = vm->stop;
	res->exit_code = vm->exit_code;
	snprintf(res->reason, sizeof(res->reason), "%s", vm->stop_reason);
	return 0;
}

void kvmini_vm_stop(struct kvmini_vm *vm)
{
	vm_request_stop(vm, KVMINI_STOP_HOST, "stopped by the host");
}

void kvmini_vm_destroy(struct kvmini_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	if (vm->vcpus) {
		atomic_store(&vm->stopping, 1);
		for (i = 0; i < vm->ncpus; i++)
			vcpu_kick(&vm->vcpus[i]);
		for (i = 0; i < vm->ncpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
	}
	if (vm->io_ok)
		iothread_stop(&vm->io);
	for (i = 0; i < vm->ndisks; i++)
		blkdev_destroy(&vm->disks[i], &vm->io);
	free(vm->disks);
	for (i = 0; i < vm->nnics; i++)
		netdev_destroy(&vm->nics[i]);
	free(vm->nics);
	if (vm->io_ok)
		iothread_destroy(&vm->io);
	if (vm->coal_ok)
		coalesce_destroy(&vm->coal);
	machine_destroy(vm);
	if (vm->irq_ok)
		irqroute_destroy(&vm->irq);
	iobus_destroy(&vm->pio);
	iobus_destroy(&vm->mmio);
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->sandbox_watched)
		sandbox_unwatch(vm->stop_efd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	gmem_destroy(&vm->mem);
	pthread_mutex_destroy(&vm->stop_lock);
	free(vm);
}
