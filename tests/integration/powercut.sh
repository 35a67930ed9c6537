#!/usr/bin/env bash
# powercut.sh - a completed FLUSH is on stable storage, seen by cutting the
# power rather than killing kvmini (a killed process leaves its writes in the
# page cache, which proves nothing). A nested L1 gets a raw disk with
# cache=none (tests/nested/l1run --disk); inside it kvmini gives that block
# device to a Linux guest as its virtio-blk disk; the guest writes block
# after block, each followed by a FLUSH, and says "flushed=i" once the flush
# completed. When the host has seen enough of those lines it kills the whole
# L1 (its QEMU, SIGKILL: L1's page cache, kvmini and the guest all go at
# once), then reads the image: every block the guest said was flushed must
# be there, whole. Runs on the host (not inside L1), after the KVM suite.
#
# Usage: O=build tests/integration/powercut.sh   (as root, like the suite)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
O=${O:-build}
want=${POWERCUT_BLOCKS:-25}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/kvmini-powercut.XXXXXX")
lpid=
cleanup() { [ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
img=$work/disk.img
truncate -s 16M "$img"

cat >"$work/inner.sh" <<INNER
#!/bin/sh
# In L1: the guest on /dev/vda, its console on stdout (to the host, live).
exec "$top/$O/kvmini" run --kernel "$top/$O/kernels/cloud/vmlinuz" \\
	--initrd "$top/$O/guest-powercut.cpio.gz" --mem 256M --disk /dev/vda \\
	--cmdline "console=ttyS0 quiet tsc=reliable no_timer_check panic=-1 kvmini.action=test"
INNER
chmod +x "$work/inner.sh"

# L1 in the background; its output is the guest's console.
"$top/tests/nested/l1run" --timeout 600 --disk "$img" -- "$work/inner.sh" \
	>"$work/console" 2>"$work/l1.err" &
lpid=$!
last=-1
for n in $(seq 2400); do
	last=$(sed -n 's/^KVMINI-GUEST: flushed=\([0-9]*\).*/\1/p' "$work/console" | tail -n 1)
	last=${last:--1}
	[ "$last" -ge "$want" ] && break
	kill -0 "$lpid" 2>/dev/null || break
	sleep 0.25
done
# The power cut: the L1's QEMU itself (not the timeout(1) that runs it), the
# one with this image as its disk.
qpid=$(pgrep -f "^qemu-system-x86_64 .*file=$img" | head -n 1)
seen=$last
if [ -n "$qpid" ]; then
	kill -9 "$qpid"
fi
wait "$lpid" 2>/dev/null
lpid=
seen2=$(sed -n 's/^KVMINI-GUEST: flushed=\([0-9]*\).*/\1/p' "$work/console" | tail -n 1)
echo "# power cut after the host saw flushed=$seen (the console's last: ${seen2:-none}); QEMU pid ${qpid:-none}"
if [ -z "$qpid" ] || [ "$seen" -lt 0 ] || grep -q 'KVMINI-GUEST: done' "$work/console"; then
	fail "power cut" "the guest never flushed, or finished, or L1 was gone before the cut"
	tail -n 20 "$work/console" "$work/l1.err" | sed 's/^/#   /'
	summary powercut
	exit 1
fi

# Every block up to the last one the host saw flushed must be whole.
python3 - "$img" "${seen2:-$seen}" >"$work/check" <<'PY'
import sys
img, last = sys.argv[1], int(sys.argv[2])
fill = b"KVMINI-POWERCUT filler 00000000\n" * 127
bad, extra = [], 0
with open(img, "rb") as f:
    for i in range(last + 1):
        f.seek(i * 4096)
        b = f.read(4096)
        if b != b"KVMINI-POWERCUT block %09d\n" % i + fill:
            bad.append(i)
    # Blocks written after the last flush the host saw may or may not be there.
    i = last + 1
    while True:
        f.seek(i * 4096)
        b = f.read(4096)
        if b != b"KVMINI-POWERCUT block %09d\n" % i + fill:
            break
        extra += 1
        i += 1
print(len(bad), extra, " ".join(map(str, bad[:20])))
PY
read -r nbad extra badlist <"$work/check"
if [ "$nbad" = 0 ]; then
	pass "power cut: all $(( ${seen2:-$seen} + 1 )) flushed blocks are on the disk (and $extra written after the last flush the host saw)"
else
	fail "power cut" "$nbad flushed blocks missing or torn: $badlist"
fi
summary powercut
