/*
 * machine.c - kvmini's PC, wired up in one place: which device sits at
 * which port, on which interrupt line, and where its power requests go.
 *
 *   0x0070-0x0071  CMOS RTC (mc146818)
 *   0x0060, 0x0064 i8042 (reset only)
 *   0x00f4-0x00f7  isa-debug-exit (the guest's exit status)
 *   0x03f8-0x03ff  COM1 8250 UART, IRQ 4
 *   0x0cf8-0x0cff  PCI configuration mechanism #1, bus 0; 0xcf9 reset control
 *   0x0600-0x060f  ACPI PM1 block and reset register (FADT)
 *   0xc0000000-0xfebfffff  PCI memory window: each enabled BAR is a range of
 *                  its own on the MMIO bus (devices/pci.c), below the I/O APIC
 *   0x1000-0xffff  where I/O BARs may be mapped on the port bus
 *   PIC, PIT, IOAPIC, LAPIC: in the kernel (KVM irqchip)
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "kvmini_guest_abi.h"
#include "bios/layout.h"
#include "vmm/vm.h"

#define COM1_PORT 0x3f8
#define COM1_IRQ  4

static void power_to_vm(void *ctx, enum power_event ev, const char *why)
{
	struct kvmini_vm *vm = ctx;

	if (ev == POWER_OFF)
		vm_request_stop(vm, KVMINI_STOP_POWEROFF, "guest powered off (%s)", why);
	else
		vm_request_stop(vm, KVMINI_STOP_REBOOT, "guest requested a reset (%s)", why);
}

static void debug_exit_to_vm(void *ctx, uint64_t status, uint32_t value)
{
	struct kvmini_vm *vm = ctx;

	pthread_mutex_lock(&vm->stop_lock);
	if (!atomic_load(&vm->stopping))
		vm->exit_code = (int)(status & 0xff);
	pthread_mutex_unlock(&vm->stop_lock);
	vm_request_stop(vm, KVMINI_STOP_EXIT_CODE, "guest wrote %u to isa-debug-exit (exit status %llu)",
			value, (unsigned long long)status);
}

void vm_set_irq(void *opaque, unsigned int irq, int level)
{
	struct kvmini_vm *vm = opaque;
	struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)level };

	ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

static int reg(struct kvmini_vm *vm, uint64_t port, uint64_t len,
	       const struct iodev_ops *ops, void *dev, const char *name,
	       struct kvmini_error *err)
{
	int r = iobus_register(&vm->pio, port, len, ops, dev, name);

	if (r)
		return set_err_host(err, -r, "cannot register %s at port 0x%llx", name,
			       (unsigned long long)port);
	return 0;
}

int machine_init(struct kvmini_vm *vm, int console_out_fd, struct kvmini_error *err)
{
	struct machine *m = &vm->mach;
	struct power_sink power = { .request = power_to_vm, .ctx = vm };
	struct irq_line com1_irq = { .set = vm_set_irq, .ctx = vm, .irq = COM1_IRQ };
	int r;

	if ((r = uart8250_init(&m->com1, console_out_fd, com1_irq)))
		return set_err_host(err, -r, "cannot set up COM1");
	m->com1_ok = 1;
	if ((r = i8042_init(&m->kbd, power)))
		return set_err_host(err, -r, "cannot set up the i8042");
	m->kbd_ok = 1;
	if ((r = acpi_pm_init(&m->pm, power)))
		return set_err_host(err, -r, "cannot set up ACPI PM");
	m->pm_ok = 1;
	if ((r = mc146818_init(&m->rtc)))
		return set_err_host(err, -r, "cannot set up the RTC");
	m->rtc_ok = 1;
	if ((r = pci_bus_init(&m->pci, power, PCI_MMIO_BASE, PCI_MMIO_END)))
		return set_err_host(err, -r, "cannot set up the PCI bus");
	m->pci_ok = 1;
	debug_exit_init(&m->dbg, (struct debug_exit_sink){ .request = debug_exit_to_vm, .ctx = vm });

	if ((r = reg(vm, COM1_PORT, UART8250_PORT_COUNT, &uart8250_ops, &m->com1, "COM1", err)) ||
	    (r = reg(vm, I8042_DATA_PORT, 1, &i8042_data_ops, &m->kbd, "i8042 data", err)) ||
	    (r = reg(vm, I8042_CMD_PORT, 1, &i8042_cmd_ops, &m->kbd, "i8042 command", err)) ||
	    (r = reg(vm, PM_BASE_PORT, PM_PORT_COUNT, &acpi_pm_ops, &m->pm, "ACPI PM", err)) ||
	    (r = reg(vm, MC146818_PORT, MC146818_PORT_COUNT, &mc146818_ops, &m->rtc, "RTC", err)) ||
	    (r = reg(vm, PCI_CONFIG_ADDR_PORT, 4, &pci_addr_ops, &m->pci, "PCI address", err)) ||
	    (r = reg(vm, PCI_CONFIG_DATA_PORT, 4, &pci_data_ops, &m->pci, "PCI data", err)) ||
	    (r = reg(vm, KVMINI_DEBUG_EXIT_PORT, KVMINI_DEBUG_EXIT_SIZE, &debug_exit_ops, &m->dbg,
		     "isa-debug-exit", err)))
		return r;
	/* Each BAR becomes a range of its own on these buses once the guest enables it. */
	r = pci_bus_attach(&m->pci, &vm->pio, &vm->mmio);
	if (r)
		return set_err_host(err, -r, "cannot attach the PCI bus");
	return 0;
}

void machine_destroy(struct kvmini_vm *vm)
{
	struct machine *m = &vm->mach;

	if (m->com1_ok)
		uart8250_destroy(&m->com1);
	if (m->kbd_ok)
		i8042_destroy(&m->kbd);
	if (m->pm_ok)
		acpi_pm_destroy(&m->pm);
	if (m->rtc_ok)
		mc146818_destroy(&m->rtc);
	if (m->pci_ok)
		pci_bus_destroy(&m->pci);
	m->com1_ok = m->kbd_ok = m->pm_ok = m->rtc_ok = m->pci_ok = 0;
}

size_t machine_console_input(struct kvmini_vm *vm, const uint8_t *buf, size_t len)
{
	return uart8250_receive(&vm->mach.com1, buf, len);
}
