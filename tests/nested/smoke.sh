#!/usr/bin/env bash
# smoke.sh - end-to-end self-test of the nested-KVM runner (tests/nested/l1run).
#
# Usage: tests/nested/smoke.sh [--no-hang]
#   1. l1run passes a command's output and exit status (a command that exits 3) and
#      L1 has /dev/kvm, /dev/vhost-net, /dev/net/tun and kvm_amd with npt=Y;
#   2. l1run --timeout 60 -- sleep 1000 exits 124 with the HANG line (skipped with
#      --no-hang; it costs a minute);
#   3. inside one L1, QEMU (-accel kvm -M pc) boots the Debian cloud kernel with the
#      test-guest initramfs ("L2"), which prints its KVMINI-GUEST lines and powers off.
# Prints one "PASS"/"FAIL" line per check and timings; exits 1 if any check failed.
# Builds what it needs under ${O:-build}: kernels/cloud/, guest-initramfs.cpio.gz.
# With --inner it is the part that runs inside L1 (check 3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
O=${O:-build}
case "$O" in /*) obj=$O ;; *) obj=$top/$O ;; esac
export O

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if [ "${1:-}" = --inner ]; then
	# Runs inside L1: boot L2 with QEMU on /dev/kvm.
	log=$(mktemp)
	t0=$(now)
	rc=0
	timeout 300 qemu-system-x86_64 -accel kvm -M pc -m 256 -nographic -no-reboot \
		-kernel "$obj/kernels/cloud/vmlinuz" -initrd "$obj/guest-initramfs.cpio.gz" \
		-append "console=ttyS0 quiet tsc=reliable no_timer_check panic=-1" \
		</dev/null >"$log" 2>&1 || rc=$?
	t=$(since "$t0")
	tr -d '\r' <"$log" | grep -E 'KVMINI-GUEST|Power down|qemu-system' || true
	if [ "$rc" = 124 ]; then
		echo "L2: HANG after $t s"
		exit 1
	fi
	for want in "KVMINI-GUEST: up" "KVMINI-GUEST: cpus=1" "KVMINI-GUEST: memtotal_kb=" \
		"KVMINI-GUEST: cmdline=console=ttyS0" "reboot: Power down"; do
		grep -q "$want" "$log" || { echo "L2: missing '$want' (qemu status $rc, $t s)"; exit 1; }
	done
	[ "$rc" = 0 ] || { echo "L2: qemu exit status $rc"; exit 1; }
	echo "L2: QEMU -accel kvm -M pc boot to poweroff: $t s"
	exit 0
fi

hang=1
[ "${1:-}" = --no-hang ] && hang=0
failed=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failed=1; }
l1run=$here/l1run

"$top/tools/fetch-kernel.sh" cloud "$obj/kernels" >/dev/null
"$top/tools/mkinitramfs-guest.sh" "$obj/guest-initramfs.cpio.gz"

# 1. output and exit status
out=$(mktemp)
t0=$(now)
rc=0
"$l1run" -- sh -c 'ls -l /dev/kvm /dev/vhost-net /dev/net/tun; cat /sys/module/kvm_amd/parameters/npt; echo "nested=$KVMINI_NESTED"; echo hi; exit 3' >"$out" || rc=$?
t=$(since "$t0")
cat "$out"
if [ "$rc" = 3 ] && grep -qx Y "$out" && grep -qx hi "$out" && grep -qx nested=1 "$out" &&
	[ "$(grep -c '^c' "$out")" = 3 ]; then
	pass "exit status 3 and output passed through ($t s round trip)"
else
	fail "exit status/output (status $rc)"
fi
rm -f "$out"

# 2. hang detection
if [ "$hang" = 1 ]; then
	err=$(mktemp)
	t0=$(now)
	rc=0
	"$l1run" --timeout 60 -- sleep 1000 2>"$err" || rc=$?
	t=$(since "$t0")
	cat "$err" >&2
	if [ "$rc" = 124 ] && grep -q '^l1run: HANG: command did not finish within 60 s$' "$err"; then
		pass "timeout reported as HANG, status 124 ($t s)"
	else
		fail "timeout (status $rc)"
	fi
	rm -f "$err"
fi

# 3. L2 under QEMU on L1's /dev/kvm
t0=$(now)
rc=0
"$l1run" --timeout 600 -- "$here/smoke.sh" --inner || rc=$?
t=$(since "$t0")
if [ "$rc" = 0 ]; then
	pass "L2 booted and powered off inside L1 ($t s round trip)"
else
	fail "L2 boot inside L1 (status $rc)"
fi
exit "$failed"
