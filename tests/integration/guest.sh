#!/usr/bin/env bash
# guest.sh - the guest/ test image under kvmini on a real /dev/kvm (run
# through with-kvm): it must boot as a Multiboot kernel, read its boot
# information from kvmini's device tree, run every workload, exit through
# isa-debug-exit with success, and compute the same checksums as
# kvmini-native on the same machine.
#
# Usage: O=build tests/integration/guest.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
O=${O:-build}
img=$O/guest/kvmini-guest.elf
opts="mem.max=4M mem.bytes=8M mem.steps=200000 cpu.bytes=1M cpu.sieve=1000000 cpu.mat=64 exits.iters=5000"
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT

checksums() {
	sed -n 's/^RESULT .* workload=\([^ ]*\) test=\([^ ]*\) .*checksum=\(0x[0-9a-f]*\).*/\1\/\2 \3/p' "$1" |
		tr -d '\r' | sort -u
}

# same_checksums VM_OUT NATIVE_OUT: one check per checksummed native test.
same_checksums() {
	checksums "$1" >"$work/vm.ck"
	checksums "$2" >"$work/native.ck"
	[ -s "$work/native.ck" ] || fail "kvmini-native" "no checksums"
	while read -r test ck; do
		vck=$(awk -v t="$test" '$1 == t { print $2 }' "$work/vm.ck")
		if [ "$vck" = "$ck" ]; then
			pass "$test: checksum $ck in the VM and natively"
		else
			fail "$test" "VM ${vck:-none}, native $ck"
		fi
	done <"$work/native.ck"
}

run_limited 150 "$work/vm.out" "$work/vm.err" -- "$O/kvmini" run -v --stats --kernel "$img" \
	--mem 512M --cpus 2 --cmdline "workload=cpu,mem,exits $opts"
rc=$?
tr -d '\r' <"$work/vm.out" >"$work/vm.txt"
if [ "$rc" -eq 1 ] && grep -q "guest wrote 0 to isa-debug-exit" "$work/vm.err" &&
	grep -q '^DONE world=vm status=ok' "$work/vm.txt"; then
	pass "guest image boots under kvmini (Multiboot) and exits with success"
else
	fail "guest image under kvmini" "kvmini exit $rc"
	tail -n 20 "$work/vm.txt" | sed 's/^/#   /'
	sed 's/^/#   /' "$work/vm.err"
fi
if grep -q 'fdt yes (2 cpus, 512 MiB' "$work/vm.txt"; then
	pass "guest read kvmini's device tree (cpus, memory) with libfdt"
else
	fail "device tree" "the guest did not report kvmini's FDT"
	grep '^#' "$work/vm.txt" | head -n 10 | sed 's/^/#   /'
fi

# shellcheck disable=SC2086
"$O/kvmini-native" cpu,mem,exits $opts >"$work/native.txt" 2>&1 || fail "kvmini-native" "exit $?"
same_checksums "$work/vm.txt" "$work/native.txt"
for t in cpuid pio-read mmio-read hypercall timer-wake; do
	if grep -Eq "^RESULT world=vm workload=exits test=$t " "$work/vm.txt"; then
		pass "exits/$t measured in the VM: $(grep -E "^RESULT world=vm workload=exits test=$t " "$work/vm.txt" | head -n 1 | grep -o 'value=[^ ]* *[^ ]*')"
	else
		fail "exits/$t" "no RESULT line from the VM"
	fi
done
echo "# $(grep -o 'userspace_exits=.*' "$work/vm.err")"

# blk and net: the guest's own virtio-pci drivers against kvmini's virtio-blk
# and virtio-net (vhost-net), and the same workloads natively on the same
# file (io_uring) and the same tap; the two worlds must compute the same.
io_opts="blk.bytes=8M blk.ops=300 net.pings=300 net.window=16 net.frames=3000"
io_opts="$io_opts net.ip=10.79.8.2 net.peer=10.79.8.1"
tap=kvg$$
truncate -s 32M "$work/disk.img"
if ip tuntap add dev "$tap" mode tap 2>"$work/tap.err" &&
	ip addr add 10.79.8.1/24 dev "$tap" && ip link set "$tap" up; then
	trap 'ip link del "$tap" 2>/dev/null; rm -rf "$work"' EXIT
	run_limited 150 "$work/io-vm.out" "$work/io-vm.err" -- "$O/kvmini" run -v --stats \
		--kernel "$img" --mem 256M --cpus 1 --disk "$work/disk.img" --net "tap=$tap,vhost=on" \
		--cmdline "workload=blk,net $io_opts"
	rc=$?
	tr -d '\r' <"$work/io-vm.out" >"$work/io-vm.txt"
	if [ "$rc" -eq 1 ] && grep -q '^DONE world=vm status=ok' "$work/io-vm.txt"; then
		pass "blk and net workloads in the guest (its own virtio-pci drivers) on kvmini's virtio-blk and vhost-net"
	else
		fail "blk/net in the guest" "kvmini exit $rc"
		grep -E '^(#|SKIP|DONE)' "$work/io-vm.txt" | tail -n 15 | sed 's/^/#   /'
		tail -n 5 "$work/io-vm.err" | sed 's/^/#   /'
	fi
	if grep -q 'fdt yes (.*, 2 pci devices)' "$work/io-vm.txt"; then
		pass "guest found the disk and the NIC in kvmini's device tree (/pci)"
	else
		fail "devices in the device tree" "no '2 pci devices' on the guest's boot line"
		grep '^#' "$work/io-vm.txt" | head -n 5 | sed 's/^/#   /'
	fi
	# shellcheck disable=SC2086
	"$O/kvmini-native" blk,net $io_opts "blk.file=$work/disk.img" "net.tap=$tap" \
		>"$work/io-native.txt" 2>&1 || fail "kvmini-native blk,net" "exit $?"
	same_checksums "$work/io-vm.txt" "$work/io-native.txt"
	for wl in blk net; do
		grep -q "^RESULT world=native workload=$wl .*checksum=" "$work/io-native.txt" ||
			fail "$wl natively" "no checksums"
	done
	cat "$work/io-vm.txt" "$work/io-native.txt" | awk '/^RESULT / && / workload=(blk|net) / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "#   %-6s %s/%s %s %s\n", f["world"], f["workload"], f["test"], f["value"], f["unit"] }'
	ip link del "$tap" 2>/dev/null
	trap 'rm -rf "$work"' EXIT
else
	fail "blk/net" "cannot create tap $tap: $(cat "$work/tap.err")"
fi

# The library boundary: two VMs in one process, at the same time.
if "$O/tests/two-vms" "$img" "workload=cpu cpu.bytes=64K cpu.sieve=10000 cpu.mat=16" >"$work/two.txt" 2>&1; then
	pass "two VMs in one process (libkvmini embedded), both ran the guest to completion"
else
	fail "two VMs in one process" "$(grep 'not ok' "$work/two.txt" | tr '\n' ' ')"
fi
summary guest
