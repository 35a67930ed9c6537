#!/usr/bin/env bash
# mk-crash-kernel.sh - write a tiny but valid bzImage (boot protocol 2.15,
# 64-bit entry) whose first instruction is ud2. With no IDT the exception
# cannot be delivered and the vCPU triple-faults: kvmini must end with a
# non-zero status and say why.
#
# Usage: tests/integration/mk-crash-kernel.sh OUT
set -euo pipefail
out=$1

# put OFFSET HEXBYTES...: write little-endian bytes at OFFSET.
put() {
	local off=$1 b
	shift
	for b in "$@"; do
		printf "\\x$b" | dd of="$out" bs=1 seek="$off" conv=notrunc status=none
		off=$((off + 1))
	done
}

head -c 2048 /dev/zero >"$out"         # 2 setup sectors + 1 KiB of kernel
put $((0x1f1)) 01                        # setup_sects: 1 (+ boot sector)
put $((0x1f4)) 40 00 00 00               # syssize: 0x40 paragraphs = 1 KiB
put $((0x1fe)) 55 aa                     # boot_flag
put $((0x200)) eb 66                     # jump over the header
put $((0x202)) 48 64 72 53               # "HdrS"
put $((0x206)) 0f 02                     # protocol 2.15
put $((0x211)) 01                        # loadflags: LOADED_HIGH
put $((0x22c)) ff ff ff 7f               # initrd_addr_max
put $((0x230)) 00 00 20 00               # kernel_alignment 2 MiB
put $((0x236)) 01 00                     # xloadflags: XLF_KERNEL_64
put $((0x238)) ff 00 00 00               # cmdline_size
put $((0x258)) 00 00 10 00 00 00 00 00   # pref_address 1 MiB
put $((0x260)) 00 00 10 00               # init_size 1 MiB
put $((0x400 + 0x200)) 0f 0b             # 64-bit entry (load + 0x200): ud2
