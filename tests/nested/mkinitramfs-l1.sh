#!/usr/bin/env bash
# mkinitramfs-l1.sh - build the initramfs of the nested-KVM "L1" Linux.
#
# Usage: tests/nested/mkinitramfs-l1.sh KERNEL_ROOT VERSION OUT.cpio.gz
#   KERNEL_ROOT  unpacked generic kernel (tools/fetch-kernel.sh generic DIR -> DIR/generic/root)
#   VERSION      its kernel release (DIR/generic/version)
#
# The image holds busybox-static, tests/nested/l1-init.sh as /init and, with their
# dependencies in insmod order, the modules virtio_pci, 9pnet_virtio, 9p, overlay,
# kvm_amd, tun, vhost_net and virtio_blk (built-in ones are skipped). Deterministic; not rebuilt
# when its inputs are unchanged (hash in OUT.cpio.gz.inputs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tools/lib/initramfs.sh"

[ $# -eq 3 ] || { echo "usage: ${0##*/} KERNEL_ROOT VERSION OUT.cpio.gz" >&2; exit 2; }
kroot=$(cd "$1" && pwd)
kver=$2
out=$3
mkdir -p "$(dirname "$out")"

MODULES=(virtio_pci 9pnet_virtio 9p overlay kvm_amd tun vhost_net virtio_blk)

modlist=$(initramfs_module_paths "$kroot" "$kver" "${MODULES[@]}")
modfiles=()
for rel in $modlist; do modfiles+=("$kroot/$rel"); done
hash=$(
	{
		initramfs_inputs_hash "$0" "$here/l1-init.sh" "$top/tools/lib/initramfs.sh" \
			"$BUSYBOX" ${modfiles[@]+"${modfiles[@]}"}
		echo "$modlist"
	} | sha256sum | cut -d' ' -f1
)
if [ -f "$out" ] && [ "$(cat "$out.inputs" 2>/dev/null)" = "$hash" ]; then
	exit 0
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/l1-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
initramfs_stage_busybox "$stage"
initramfs_add_modules "$stage" "$kroot" "$kver" "${MODULES[@]}"
install -m 755 "$here/l1-init.sh" "$stage/init"
initramfs_pack "$stage" "$out"
echo "$hash" >"$out.inputs"
echo "${0##*/}: wrote $out" >&2
