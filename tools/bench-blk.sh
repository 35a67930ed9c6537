#!/usr/bin/env bash
# bench-blk.sh - block benchmark: the same Debian guest image and the same
# disk file under kvmini and under QEMU (-accel kvm, virtio-blk-pci,
# aio=io_uring), plus the same I/O natively on the KVM host, in one KVM host
# (the nested L1 where the machine has no hardware KVM). Sequential 1 MiB
# read and write and 4 KiB random read at queue depth 1 and 32, with the
# static tools/blkbench/blkbench in the guest and natively. Prints MB/s and
# IOPS with ratios (kvmini/QEMU, kvmini/native) and VM exits and userspace
# exits per request. Writes $O/bench/blk.csv.
#
# Usage: O=build tools/bench-blk.sh
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
export O=${O:-build}
"$top/tools/fetch-kernel.sh" cloud "$O/kernels" >/dev/null
stage=$(mktemp -d "${TMPDIR:-/tmp}/bench-blk.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# The guest script carries the test table with it.
{
	sed -n '1,/^want=/p' tools/blkbench/guest-bench.sh | sed '$d'
	echo "cat >/etc/blkbench-tests.txt <<'TESTS'"
	cat tools/blkbench/tests.txt
	echo "TESTS"
	sed -n '/^want=/,$p' tools/blkbench/guest-bench.sh
} >"$stage/guest-bench.sh"
"$top/tools/mkinitramfs-guest.sh" --bin "$O/blkbench" --script "$stage/guest-bench.sh" \
	--modules "$O/kernels/cloud/root" "$(cat "$O/kernels/cloud/version")" virtio_pci virtio_blk \
	"$O/guest-blkbench.cpio.gz"
mkdir -p "$O/bench"
out=$(cd "$O/bench" && pwd)
exec "$top/tests/nested/with-kvm" --out "$out" -- "$top/tools/bench-blk-inner.sh" "$out"
