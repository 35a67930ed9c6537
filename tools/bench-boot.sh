#!/usr/bin/env bash
# bench-boot.sh - boot benchmark: the same Debian cloud kernel and busybox
# initramfs booted to /init (and powered off) under kvmini, QEMU -M microvm and
# QEMU -M pc, all with KVM, interleaved, REPS times each, in one KVM host (the
# nested L1 where the machine has no hardware KVM). Prints wall-time medians as
# ratios to kvmini, VM exits and userspace exits per boot (kvm tracepoints via
# perf), and VMM RSS beyond guest RAM. Writes $O/bench/boot.csv.
#
# Usage: O=build REPS=5 tools/bench-boot.sh
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
export O=${O:-build}
export REPS=${REPS:-5}
"$top/tools/fetch-kernel.sh" cloud "$O/kernels" >/dev/null
"$top/tools/mkinitramfs-guest.sh" "$O/guest-initramfs.cpio.gz"
mkdir -p "$O/bench"
out=$(cd "$O/bench" && pwd)
exec "$top/tests/nested/with-kvm" --env REPS --out "$out" -- "$top/tools/bench-boot-inner.sh" "$out"
