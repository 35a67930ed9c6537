/*
 * boothandoff.h - the memory a 64-bit kernel expects to find on entry: a
 * GDT with flat code and data segments at the Linux boot selectors, and
 * page tables identity-mapping the first 4 GiB with 2 MiB pages.
 */
#ifndef KVMINI_BOOTHANDOFF_H
#define KVMINI_BOOTHANDOFF_H

#include <stdint.h>

#include "base/guestmem.h"

#define BOOT_CS_SELECTOR 0x10  /* __BOOT_CS */
#define BOOT_DS_SELECTOR 0x18  /* __BOOT_DS */
#define BOOT_GDT_ENTRIES 4

/* The GDT kvmini writes: null, null, 64-bit code, data. */
extern const uint64_t boot_gdt[BOOT_GDT_ENTRIES];

/*
 * boot_handoff_write - write the GDT and page tables into guest RAM.
 * Returns 0, or -EFAULT if RAM does not cover the areas in layout.h.
 */
int boot_handoff_write(struct guest_mem *m) MUST_CHECK;

#endif
