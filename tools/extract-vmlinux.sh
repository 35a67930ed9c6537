#!/usr/bin/env bash
# extract-vmlinux.sh - extract the uncompressed ELF kernel from an x86 bzImage.
#
# Usage: tools/extract-vmlinux.sh BZIMAGE OUT
#
# Reads the boot protocol header (setup_sects at 0x1f1, payload_offset at 0x248,
# payload_length at 0x24c), cuts out the compressed payload (whose last 4 bytes hold
# the uncompressed size), decompresses it (xz, gzip, zstd or lz4, told apart by their
# magic bytes) into OUT, atomically, and checks the size.
# Under QEMU TCG, booting the ELF through its PVH entry point (`-kernel vmlinux`,
# needs CONFIG_PVH) skips the in-guest decompression, which costs seconds there.
# Does nothing when OUT is already newer than BZIMAGE. Exits non-zero, leaving no
# OUT, if BZIMAGE is not a bzImage or the result is not an x86-64 ELF file.
set -euo pipefail

die() { echo "${0##*/}: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: extract-vmlinux.sh BZIMAGE OUT"
in=$1
out=$2
[ -f "$in" ] || die "$in: no such file"
if [ -f "$out" ] && [ "$out" -nt "$in" ]; then
	exit 0
fi

# Little-endian unsigned integer of SIZE bytes at OFFSET.
le() { od -An -tu"$2" -j "$1" -N "$2" --endian=little "$in" | tr -d ' '; }
bytes() { od -An -tx1 -j "$1" -N "$2" "$in" | tr -d ' \n'; }

[ "$(bytes 0x202 4)" = 48647253 ] || die "$in: not a bzImage (no HdrS signature)"
setup_sects=$(le 0x1f1 1)
[ "$setup_sects" -ne 0 ] || setup_sects=4
payload_offset=$(le 0x248 4)
payload_length=$(le 0x24c 4)
[ "$payload_length" -gt 0 ] || die "$in: boot protocol too old (no payload fields)"
start=$(((setup_sects + 1) * 512 + payload_offset))

magic=$(bytes "$start" 6)
case "$magic" in
fd377a585a00) decomp=(xz -dc) ;;
1f8b*) decomp=(gzip -dc) ;;
28b52ffd*) decomp=(zstd -dc) ;;
02214c18*) decomp=(lz4 -dc) ;;
*) die "$in: unknown payload compression (magic $magic)" ;;
esac
command -v "${decomp[0]}" >/dev/null || die "${decomp[0]} is needed to decompress $in"

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
size=$(le $((start + payload_length - 4)) 4)
dd if="$in" bs=1M iflag=skip_bytes,count_bytes skip="$start" count=$((payload_length - 4)) status=none |
	"${decomp[@]}" >"$tmp" ||
	die "$in: decompression failed"
[ "$(stat -c %s "$tmp")" = "$size" ] || die "$in: decompressed size is not the $size bytes the image says"
[ "$(od -An -tx1 -N 5 "$tmp" | tr -d ' \n')" = 7f454c4602 ] || die "$in: payload is not a 64-bit ELF file"
mv -f "$tmp" "$out"
