#!/usr/bin/env bash
# boot.sh - boot stock Debian kernels under kvmini on a real /dev/kvm and check
# what the guest reports. Run through tests/nested/with-kvm (directly where the
# host has hardware KVM, otherwise inside the nested-KVM L1).
#
# Usage: tests/integration/boot.sh   (environment: O, the build directory)
# Needs: $O/kvmini, $O/san/kvmini, $O/kernels/{generic,cloud}/vmlinuz,
#        $O/guest-initramfs.cpio.gz (made by tests/integration/run.sh).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
O=${O:-build}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-150}
initrd=$O/guest-initramfs.cpio.gz
base_cmdline="console=ttyS0 quiet tsc=reliable no_timer_check panic=-1"
logs=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-boot.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# boot NAME KVMINI KERNEL MEM CPUS EXTRA_CMDLINE: run one guest; leaves
# $logs/NAME.out (console) and $logs/NAME.err, returns kvmini's status (124:
# it did not finish in BOOT_TIMEOUT; its threads and console are shown).
boot() {
	local name=$1 bin=$2 kernel=$3 mem=$4 cpus=$5 extra=$6
	run_limited "$BOOT_TIMEOUT" "$logs/$name.out" "$logs/$name.err" -- "$bin" run -v --stats \
		--kernel "$kernel" --initrd "$initrd" --mem "$mem" --cpus "$cpus" \
		--cmdline "$base_cmdline $extra"
}

show_logs() {
	echo "# --- $1 console (tail) ---"
	tail -n 25 "$logs/$1.out" | sed 's/^/#   /'
	echo "# --- $1 stderr ---"
	sed 's/^/#   /' "$logs/$1.err"
}

# check_boot NAME KVMINI KERNEL MEM CPUS: boot, then check the guest's report.
check_boot() {
	local name=$1 bin=$2 kernel=$3 mem=$4 cpus=$5 marker mem_kb got_cpus got_mem min max why=
	marker="kvmini.marker=$name-$RANDOM"
	boot "$name" "$bin" "$kernel" "$mem" "$cpus" "$marker"
	local rc=$?
	got_cpus=$(guest_value "$logs/$name.out" cpus)
	got_mem=$(guest_value "$logs/$name.out" memtotal_kb)
	mem_kb=$(( $(numfmt --from=iec "$mem") / 1024 ))
	# The kernel keeps some RAM for itself (more in the generic flavour).
	min=$((mem_kb * 75 / 100))
	[ "$mem_kb" -ge $((1024 * 1024)) ] && min=$((mem_kb * 90 / 100))
	if [ "$rc" -ne 0 ]; then why="kvmini exited $rc"
	elif ! expect_line "$logs/$name.out" '^KVMINI-GUEST: up'; then why="guest never reached /init"
	elif [ "$got_cpus" != "$cpus" ]; then why="guest sees ${got_cpus:-no} CPUs, expected $cpus"
	elif [ -z "$got_mem" ] || [ "$got_mem" -lt "$min" ] || [ "$got_mem" -gt "$mem_kb" ]; then
		why="guest MemTotal ${got_mem:-?} kB, expected $min..$mem_kb"
	elif ! guest_value "$logs/$name.out" cmdline | grep -qF -- "$marker"; then
		why="guest did not read back its command line"
	elif ! expect_line "$logs/$name.err" 'powered off'; then why="did not stop by ACPI poweroff"
	fi
	if [ -z "$why" ]; then
		pass "$name (cpus=$got_cpus memtotal_kb=$got_mem; $(grep -o 'userspace_exits=[0-9]*.*' "$logs/$name.err"))"
	else
		fail "$name" "$why"
		show_logs "$name"
	fi
}

check_reboot() {
	local name=$1 bin=$2 kernel=$3
	boot "$name" "$bin" "$kernel" 256M 1 "kvmini.action=reboot"
	local rc=$?
	if [ "$rc" -eq 0 ] && expect_line "$logs/$name.err" 'reset' &&
		expect_line "$logs/$name.out" '^KVMINI-GUEST: up'; then
		pass "$name (guest reboot ends kvmini with 0: $(grep -o 'reset.*' "$logs/$name.err" | head -n 1))"
	else
		fail "$name" "kvmini exited $rc"
		show_logs "$name"
	fi
}

check_triple_fault() {
	local k=$logs/crash.bz rc
	"$here/mk-crash-kernel.sh" "$k"
	run_limited 120 "$logs/crash.out" "$logs/crash.err" -- "$O/san/kvmini" run --kernel "$k" --mem 64M
	rc=$?
	if [ "$rc" -eq 8 ] && grep -q "triple fault" "$logs/crash.err" && [ "$(wc -l <"$logs/crash.err")" -eq 1 ]; then
		pass "a guest that triple-faults ends kvmini with status 8: $(cat "$logs/crash.err")"
	else
		fail "triple fault" "kvmini exited $rc"
		sed 's/^/#   /' "$logs/crash.err"
	fi
}

echo "# kvmini boot tests on $(uname -r), KVM two-dimensional paging: $(cat /sys/module/kvm_amd/parameters/npt /sys/module/kvm_intel/parameters/ept 2>/dev/null | head -n 1)"
cloud=$O/kernels/cloud/vmlinuz
generic=$O/kernels/generic/vmlinuz
check_boot cloud-1cpu-256M "$O/kvmini" "$cloud" 256M 1
check_boot cloud-4cpu-4G "$O/kvmini" "$cloud" 4G 4
check_boot generic-1cpu-256M "$O/kvmini" "$generic" 256M 1
check_boot generic-4cpu-4G "$O/kvmini" "$generic" 4G 4
check_boot asan-cloud-2cpu-512M "$O/san/kvmini" "$cloud" 512M 2
check_reboot cloud-reboot "$O/kvmini" "$cloud"
check_triple_fault
summary boot
