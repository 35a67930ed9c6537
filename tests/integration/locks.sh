#!/usr/bin/env bash
# locks.sh - kvmini and QEMU refuse each other's image held for writing:
# kvmini takes QEMU's byte-range OFD locks (vmm/blk_backend.c) besides its
# own flock. QEMU (paused, -S) holds an image read-write -> kvmini refuses
# it, read-write and read-only, with status 4 and a message; kvmini holds an
# image read-write (a guest using it) -> QEMU refuses it, read-write and
# read-only. Two read-only users share it.
#
# Usage: O=build tests/integration/locks.sh   (through tests/nested/with-kvm)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
O=${O:-build}
kernel=$O/kernels/cloud/vmlinuz
initrd=$O/guest-hold.cpio.gz
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-locks.XXXXXX")
qpid=
cleanup() { [ -n "$qpid" ] && kill "$qpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
img=$work/disk.img
truncate -s 64M "$img"
cmdline="console=ttyS0 quiet tsc=reliable no_timer_check panic=-1 kvmini.action=test"

# qemu_hold OPTS: a paused QEMU with img as a virtio disk; waits until its
# final locks show in /proc/locks (the image's inode): byte 201, "write may
# not be shared", which QEMU takes once the device is attached (byte 100 comes
# earlier, at open); returns 1 if QEMU exited.
qemu_hold() {
	local ino n
	ino=$(stat -c %i "$img")
	qemu-system-x86_64 -nodefaults -display none -S -machine pc -accel tcg \
		-drive "file=$img,format=raw,if=virtio$1" >"$work/qemu.out" 2>&1 &
	qpid=$!
	for n in $(seq 100); do
		grep -q "OFDLCK.*:$ino 201 201" /proc/locks && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
qemu_stop() { kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=; }

# kvmini_refused NAME DISKOPT: kvmini must refuse the image QEMU holds.
kvmini_refused() {
	local rc
	run_limited 60 "$work/k.out" "$work/k.err" -- "$O/kvmini" run --kernel "$kernel" \
		--initrd "$initrd" --mem 128M --disk "$img$2" --cmdline "$cmdline"
	rc=$?
	if [ "$rc" -eq 4 ] && grep -q "is in use by another program" "$work/k.err" &&
		[ "$(wc -l <"$work/k.err")" -eq 1 ]; then
		pass "locks: $1: kvmini refuses it (status 4): $(cat "$work/k.err")"
	else
		fail "locks: $1" "kvmini exit $rc: $(tr '\n' ' ' <"$work/k.err")"
	fi
}

if qemu_hold ""; then
	kvmini_refused "QEMU holds the image read-write" ""
	kvmini_refused "QEMU holds the image read-write, kvmini read-only" ",ro"
else
	fail "locks: QEMU holding the image" "$(tr '\n' ' ' <"$work/qemu.out")"
fi
qemu_stop

# kvmini holds it read-write while a guest uses it; QEMU must refuse it.
timeout -k 5 200 "$O/kvmini" run --kernel "$kernel" --initrd "$initrd" --mem 256M \
	--disk "$img" --cmdline "$cmdline kvmini.hold=15" </dev/null >"$work/h.out" 2>"$work/h.err" &
kpid=$!
for n in $(seq 240); do
	grep -q 'KVMINI-GUEST: holding=' "$work/h.out" 2>/dev/null && break
	kill -0 "$kpid" 2>/dev/null || break
	sleep 0.5
done
if grep -q 'KVMINI-GUEST: holding=' "$work/h.out"; then
	for ro in "" ",readonly=on"; do
		timeout -k 5 30 qemu-system-x86_64 -nodefaults -display none -S -machine pc -accel tcg \
			-drive "file=$img,format=raw,if=virtio$ro" </dev/null >"$work/q2.out" 2>&1 &
		q2=$!
		sleep 5
		if kill -0 "$q2" 2>/dev/null; then
			kill "$q2"; wait "$q2" 2>/dev/null
			fail "locks: kvmini holds the image, QEMU${ro:- read-write}" "QEMU opened it"
		else
			wait "$q2"
			if grep -q 'Failed to get .*lock' "$work/q2.out"; then
				pass "locks: kvmini holds the image, QEMU${ro:- read-write} refuses it: $(grep -m1 'lock' "$work/q2.out")"
			else
				fail "locks: kvmini holds the image, QEMU${ro:- read-write}" "$(tr '\n' ' ' <"$work/q2.out")"
			fi
		fi
	done
else
	fail "locks: kvmini holding the image" "$(tail -n 3 "$work/h.err" | tr '\n' ' ')"
fi
wait "$kpid"
rc=$?
[ "$rc" -eq 0 ] && pass "locks: the guest that held the image ended cleanly" ||
	fail "locks: the guest that held the image" "kvmini exit $rc: $(tail -n 3 "$work/h.err" | tr '\n' ' ')"

# Two readers share it.
if qemu_hold ",readonly=on"; then
	run_limited 150 "$work/r.out" "$work/r.err" -- "$O/kvmini" run --kernel "$kernel" \
		--initrd "$initrd" --mem 256M --disk "$img,ro" --cmdline "$cmdline kvmini.hold=1"
	rc=$?
	[ "$rc" -eq 0 ] && pass "locks: QEMU and kvmini both read-only share the image" ||
		fail "locks: both read-only" "kvmini exit $rc: $(tail -n 3 "$work/r.err" | tr '\n' ' ')"
else
	fail "locks: QEMU holding the image read-only" "$(tr '\n' ' ' <"$work/qemu.out")"
fi
qemu_stop
summary locks
