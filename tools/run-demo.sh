#!/usr/bin/env bash
# run-demo.sh - what `make run` does after building: fetch the current Debian
# cloud kernel, build the busybox test initramfs, and boot it under kvmini with
# the guest console on stdout. Exits with kvmini's status (0 when the guest
# powers off). Uses /dev/kvm where the host has hardware virtualization and
# the nested-KVM runner otherwise.
#
# Usage: O=build tools/run-demo.sh [extra kvmini run options]
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
O=${O:-build}
kernel=$("$top/tools/fetch-kernel.sh" cloud "$O/kernels" | tail -n 1)
"$top/tools/mkinitramfs-guest.sh" "$O/guest-initramfs.cpio.gz"
echo "run-demo: booting $(cat "$O/kernels/cloud/version") with a busybox initramfs under kvmini" >&2
exec "$top/tests/nested/with-kvm" -- "$O/kvmini" run -v \
	--kernel "$kernel" --initrd "$O/guest-initramfs.cpio.gz" --mem 256M --cpus 2 \
	--cmdline "console=ttyS0 tsc=reliable no_timer_check panic=-1" "$@"
