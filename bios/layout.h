/*
 * layout.h - the guest-physical memory map kvmini gives a guest at boot.
 * Everything the firmware side writes lives below 1 MiB.
 */
#ifndef KVMINI_LAYOUT_H
#define KVMINI_LAYOUT_H

#include "base/guestmem.h"

#define BOOT_GDT_ADDR      0x00000500ULL  /* GDT: null, null, code, data */
#define BOOT_ZEROPAGE_ADDR 0x00007000ULL  /* Linux boot_params */
#define BOOT_STACK_TOP     0x00008ff0ULL
#define BOOT_PML4_ADDR     0x00009000ULL  /* identity map of the first 4 GiB */
#define BOOT_PDPT_ADDR     0x0000a000ULL
#define BOOT_PD_ADDR       0x0000b000ULL  /* four page directories, 2 MiB pages */
#define BOOT_CMDLINE_ADDR  0x00020000ULL
#define BOOT_CMDLINE_MAX   0x00010000ULL
#define EBDA_START         0x0009fc00ULL  /* reserved up to 1 MiB from here */
#define BIOS_ROM_START     0x000e0000ULL
#define ACPI_TABLES_ADDR   0x000e0000ULL  /* RSDP first: scanned for by guests */
#define ACPI_TABLES_MAX    0x00010000ULL
#define KERNEL_LOAD_ADDR   0x00100000ULL  /* bzImage protected-mode code */
#define HIGH_MEM_START     0x00100000ULL

#define PCI_MMIO_BASE      GMEM_PCI_HOLE_START  /* the PCI hole starts with the window */
#define PCI_MMIO_END       0xfec00000ULL
#define IOAPIC_ADDR        0xfec00000ULL
#define LAPIC_ADDR         0xfee00000ULL
#define KVM_TSS_ADDR       0xfffbd000ULL
#define KVM_IDMAP_ADDR     0xfffbc000ULL

/*
 * pci_intx_gsi - the GSI that INTx pin (0 = INTA .. 3 = INTD) of PCI slot
 * raises: 16 + (slot + pin) % 4, the swizzle the DSDT's _PRT tells the
 * guest. The one place the rule is written.
 */
#define PCI_INTX_GSI_BASE  16
static inline unsigned int pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return PCI_INTX_GSI_BASE + (slot + pin) % 4;
}

/* Ports of kvmini's ACPI power-management block. */
#define PM_BASE_PORT       0x600
#define PM1A_EVT_PORT      (PM_BASE_PORT + 0)  /* 4 bytes: status, enable */
#define PM1A_CNT_PORT      (PM_BASE_PORT + 4)  /* 2 bytes */
#define PM_RESET_PORT      (PM_BASE_PORT + 8)  /* 1 byte: ACPI reset register */
#define PM_PORT_COUNT      16
#define PM_RESET_VALUE     0x01
#define PM_SLP_TYP_S5      5
#define ACPI_SCI_IRQ       9

#endif
