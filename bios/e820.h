/*
 * e820.h - build the BIOS-style memory map a guest reads at boot.
 */
#ifndef KVMINI_E820_H
#define KVMINI_E820_H

#include <asm/bootparam.h>

#include "base/guestmem.h"

#define E820_RAM      1
#define E820_RESERVED 2

/*
 * e820_build - write the map for m into tab (room for max entries): low RAM
 * to the EBDA, reserved EBDA and BIOS area, RAM from 1 MiB to the PCI hole,
 * RAM above 4 GiB. Returns the number of entries, or -ENOSPC.
 */
int e820_build(const struct guest_mem *m, struct boot_e820_entry *tab,
	       unsigned int max);

#endif
