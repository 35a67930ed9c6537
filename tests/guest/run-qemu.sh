#!/bin/sh
# run-qemu.sh - boot the guest/ image under plain QEMU (TCG, no KVM) and
# check it against kvmini-native on this host:
#   1. QEMU's Multiboot loader accepts the image, the guest runs every
#      workload and exits through isa-debug-exit with success (status 1);
#   2. each cpu and mem test's checksum equals kvmini-native's;
#   3. each exits test gave a RESULT or a SKIP line; the timer wake-up ran
#      periodic by default and one-shot with exits.timer=oneshot (its label);
#   3b. mem with 1 GiB pages (mem.pages=1G): under -cpu max (pdpe1gb) and
#      3 GiB of RAM every test runs on pt-1g with kvmini-native's 4 KiB-page
#      checksums; under QEMU's default CPU (no pdpe1gb) a SKIP says why;
#   4. booted again with a device tree module (made by mkfdt), the guest
#      takes its command line from /chosen bootargs;
#   4b. with /pci in that tree (mkfdt --pci), the guest counts the listed
#      functions on its boot line and its drivers use them: a disk listed at
#      QEMU's slot 5 works, a listing whose IDs are not what the slot holds
#      is left out (and bus 0 is not scanned instead);
#   5. blk: the guest's virtio-blk driver on a temporary raw image (QEMU
#      virtio-blk-pci, modern only) gives every blk test, with the same
#      checksums as kvmini-native on a second image, and both images end
#      up byte for byte the same;
#   6. net: the guest's virtio-net driver behind QEMU user networking
#      (slirp, which answers ARP and ping for 10.0.2.2) gives every net test.
# Prints the RESULT lines of both worlds and a closing line
#   guest-qemu: N passed, N failed
# Sizes are small so that it finishes well within two minutes under TCG.
# Environment: O (build directory, default build), QEMU (binary),
# GUEST_ARGS (workload options, replacing the defaults).

O=${O:-build}
QEMU=${QEMU:-qemu-system-x86_64}
IMG=$O/guest/kvmini-guest.elf
NATIVE=$O/kvmini-native
MKFDT=$O/tests/guest/mkfdt
OPTS=${GUEST_ARGS:-"mem.max=512K mem.bytes=2M mem.steps=50000 cpu.bytes=256K cpu.sieve=200000 cpu.mat=48 exits.iters=2000"}
WORKLOADS=cpu,mem,exits
TIMEOUT=100

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

for f in "$IMG" "$NATIVE"; do
	if [ ! -x "$f" ] && [ ! -f "$f" ]; then
		echo "guest-qemu: $f is missing; run 'make guest native'"
		echo "guest-qemu: 0 passed, 1 failed"
		exit 1
	fi
done
if ! command -v "$QEMU" >/dev/null 2>&1; then
	echo "guest-qemu: $QEMU not found (apt-get install qemu-system-x86)"
	echo "guest-qemu: 0 passed, 1 failed"
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# boot LOG APPEND [QEMU ARGS...] - one guest run; echoes QEMU's exit status.
boot() {
	log=$1
	append=$2
	shift 2
	timeout "$TIMEOUT" "$QEMU" -machine pc -accel tcg -m 512 -nodefaults \
		-kernel "$IMG" -append "$append" "$@" \
		-serial stdio -display none -monitor none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$log" 2>&1
	echo $?
}

# checksums FILE - "workload/test checksum" for each RESULT line with one.
checksums() {
	sed -n 's/^RESULT .* workload=\([^ ]*\) test=\([^ ]*\) .*checksum=\(0x[0-9a-f]*\).*/\1\/\2 \3/p' "$1" |
		tr -d '\r' | sort -u
}

# compare VM_CK NATIVE_CK - one pass or fail per test kvmini-native hashed.
compare() {
	while read -r test ck; do
		vck=$(awk -v t="$test" '$1 == t { print $2 }' "$1")
		if [ -z "$vck" ]; then
			fail "$test: no result from the guest"
		elif [ "$vck" = "$ck" ]; then
			pass "$test: checksum $ck in both worlds"
		else
			fail "$test: guest $vck, native $ck"
		fi
	done <"$2"
}

# results WORKLOAD LOG TEST... - each test gave a RESULT line in LOG.
results() {
	wl=$1
	log=$2
	shift 2
	for t in "$@"; do
		if grep -q "^RESULT world=vm workload=$wl test=$t " "$log"; then
			pass "$wl/$t: result"
		else
			fail "$wl/$t: no RESULT line from the guest"
		fi
	done
}

# booted LOG RC WHAT - the run exited with success and printed DONE status=ok.
booted() {
	tr -d '\r' <"$1.log" >"$1.out"
	if [ "$2" = 1 ] && grep -q '^DONE world=vm status=ok' "$1.out"; then
		pass "$3: guest exited with success"
	else
		fail "$3: QEMU exit status $2 (1 = guest success, 3 = guest failure, 124 = timeout)"
		grep -E '^(#|SKIP|DONE)' "$1.out" | grep -v '^# guest:' | tail -n 10
	fi
}

# --- 1. the workloads under TCG ---
rc=$(boot "$tmp/vm.log" "workload=$WORKLOADS $OPTS")
tr -d '\r' <"$tmp/vm.log" >"$tmp/vm.out"
if [ "$rc" = 1 ]; then
	pass "guest exited through isa-debug-exit with success (QEMU status 1)"
else
	fail "QEMU exit status $rc (1 = guest success, 3 = guest failure, 124 = timeout)"
	tail -n 20 "$tmp/vm.out"
fi
if grep -q '^DONE world=vm status=ok' "$tmp/vm.out"; then
	pass "guest printed DONE status=ok"
else
	fail "no 'DONE world=vm status=ok' from the guest"
fi

# shellcheck disable=SC2086  # OPTS is a list of words
"$NATIVE" "$WORKLOADS" $OPTS >"$tmp/native.out" 2>&1 || fail "kvmini-native exited with $?"

echo "--- guest (QEMU TCG)"
grep -E '^(RESULT|SKIP|DONE)' "$tmp/vm.out"
echo "--- native"
grep -E '^(RESULT|SKIP|DONE)' "$tmp/native.out"
echo "---"

checksums "$tmp/vm.out" >"$tmp/vm.ck"
checksums "$tmp/native.out" >"$tmp/native.ck"
if [ ! -s "$tmp/native.ck" ]; then
	fail "kvmini-native printed no checksums"
fi
compare "$tmp/vm.ck" "$tmp/native.ck"

for t in cpuid pio-read mmio-read hypercall timer-wake; do
	if grep -Eq "^(RESULT|SKIP) world=vm workload=exits test=$t " "$tmp/vm.out"; then
		pass "exits/$t reported"
	else
		fail "exits/$t: no RESULT or SKIP line from the guest"
	fi
done

if grep -q '^RESULT world=vm workload=exits test=timer-wake .* label=hlt-until-lapic-periodic-50us$' \
	"$tmp/vm.out"; then
	pass "exits/timer-wake: periodic APIC timer by default"
else
	fail "exits/timer-wake: no periodic-timer RESULT by default"
fi
rc=$(boot "$tmp/oneshot.log" "workload=exits exits.iters=2000 exits.timer=oneshot")
booted "$tmp/oneshot" "$rc" "exits.timer=oneshot"
if grep -q '^RESULT world=vm workload=exits test=timer-wake .* label=hlt-until-lapic-oneshot-50us$' \
	"$tmp/oneshot.out"; then
	pass "exits/timer-wake: one-shot APIC timer with exits.timer=oneshot"
else
	fail "exits/timer-wake: no one-shot-timer RESULT with exits.timer=oneshot"
fi

# --- 3b. 1 GiB pages ---
PG_OPTS="mem.max=64K mem.bytes=256K mem.steps=10000"
rc=$(boot "$tmp/pg1g.log" "workload=mem mem.pages=1G $PG_OPTS" -cpu max -m 3G)
booted "$tmp/pg1g" "$rc" "mem.pages=1G under -cpu max"
# shellcheck disable=SC2086  # PG_OPTS is a list of words
"$NATIVE" mem mem.pages=4K $PG_OPTS >"$tmp/native-pg.out" 2>&1 ||
	fail "kvmini-native mem exited with $?"
checksums "$tmp/native-pg.out" | sed 's/-pg4K / /' >"$tmp/native-pg.ck"
checksums "$tmp/pg1g.out" | sed 's/-pg1G / /' >"$tmp/pg1g.ck"
if [ -s "$tmp/native-pg.ck" ] && [ "$(grep -c '^RESULT .*-pg1G .*label=pt-1g$' "$tmp/pg1g.out")" -eq \
	"$(wc -l <"$tmp/native-pg.ck")" ] && cmp -s "$tmp/pg1g.ck" "$tmp/native-pg.ck"; then
	pass "mem on 1 GiB pages (pt-1g): every checksum equals kvmini-native's on 4 KiB pages"
else
	fail "mem on 1 GiB pages: results differ from kvmini-native's"
	grep -E '^(RESULT|SKIP)' "$tmp/pg1g.out"
fi
rc=$(boot "$tmp/nopg1g.log" "workload=mem mem.pages=1G $PG_OPTS")
tr -d '\r' <"$tmp/nopg1g.log" >"$tmp/nopg1g.out"
if [ "$rc" = 1 ] && grep -q '^SKIP world=vm workload=mem test=all-pg1G reason=cpu-lacks-pdpe1gb$' \
	"$tmp/nopg1g.out" && ! grep -q '^RESULT' "$tmp/nopg1g.out"; then
	pass "mem.pages=1G without pdpe1gb: SKIP with the reason, no fallback"
else
	fail "mem.pages=1G without pdpe1gb (QEMU status $rc)"
	grep -E '^(RESULT|SKIP|DONE)' "$tmp/nopg1g.out"
fi

# --- 2. the device-tree module ---
if [ -x "$MKFDT" ]; then
	"$MKFDT" "$tmp/kvmini.dtb" 512 2 "workload=cpu cpu.bytes=4K cpu.sieve=1000 cpu.mat=4" ||
		fail "mkfdt failed"
	# QEMU's module syntax: "path string"; the guest looks for "fdt".
	rc=$(boot "$tmp/fdt.log" "workload=exits" -initrd "$tmp/kvmini.dtb fdt")
	tr -d '\r' <"$tmp/fdt.log" >"$tmp/fdt.out"
	if [ "$rc" = 1 ] && grep -q 'fdt yes (2 cpus, 512 MiB, exit port 0xf4)' "$tmp/fdt.out" &&
		grep -q '^RESULT world=vm workload=cpu test=sha256 ' "$tmp/fdt.out" &&
		! grep -q 'workload=exits' "$tmp/fdt.out"; then
		pass "device tree module: bootargs, cpus, memory and exit port read with libfdt"
	else
		fail "device tree module not used (QEMU status $rc)"
		grep '^#' "$tmp/fdt.out"
	fi
else
	echo "skip device tree check: $MKFDT not built (make guest-qemu builds it)"
fi

# --- 4b. /pci in the device tree ---
if [ -x "$MKFDT" ]; then
	truncate -s 8M "$tmp/pci.img"
	PCI_BLK="workload=blk blk.bytes=1M blk.ops=20"
	if ! "$MKFDT" "$tmp/pci.dtb" 512 2 "$PCI_BLK" --pci 5:1af4:1042 6:1af4:1041 ||
		! "$MKFDT" "$tmp/badpci.dtb" 512 2 "$PCI_BLK" --pci 5:1af4:1041; then
		fail "mkfdt --pci failed"
	fi
	rc=$(boot "$tmp/pci.log" "" -initrd "$tmp/pci.dtb fdt" \
		-drive "if=none,id=d0,file=$tmp/pci.img,format=raw" \
		-device virtio-blk-pci,drive=d0,disable-legacy=on,addr=5 \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0,disable-legacy=on,addr=6)
	booted "$tmp/pci" "$rc" "/pci lists virtio-blk at 00:05.0 and virtio-net at 00:06.0"
	if grep -q 'fdt yes (2 cpus, 512 MiB, exit port 0xf4, 2 pci devices)' "$tmp/pci.out" &&
		grep -q '^# blk: virtio-blk-pci 1af4:1042 at 00:05.0 ' "$tmp/pci.out" &&
		grep -q '^RESULT world=vm workload=blk test=rand-read-4K-qd1 ' "$tmp/pci.out" &&
		! grep -q 'left out' "$tmp/pci.out"; then
		pass "/pci: 2 functions on the boot line, the disk found through the list"
	else
		fail "/pci: functions not counted or the disk not found through them"
		grep '^#' "$tmp/pci.out"
	fi
	rc=$(boot "$tmp/badpci.log" "" -initrd "$tmp/badpci.dtb fdt" \
		-drive "if=none,id=d0,file=$tmp/pci.img,format=raw" \
		-device virtio-blk-pci,drive=d0,disable-legacy=on,addr=5)
	booted "$tmp/badpci" "$rc" "/pci with the wrong IDs for 00:05.0"
	if grep -q '^# guest: pci: the fdt lists 00:05.0 as 1af4:1041, but it holds 1af4:1042; left out' \
		"$tmp/badpci.out" &&
		grep -q '^SKIP world=vm workload=blk test=all reason=no-disk' "$tmp/badpci.out"; then
		pass "/pci: a listing that does not match the slot is left out, no scan instead"
	else
		fail "/pci: a wrong listing was not left out"
		grep -E '^(#|SKIP)' "$tmp/badpci.out"
	fi
fi

# --- 5. blk: virtio-blk-pci on a raw image, against kvmini-native ---
BLK_OPTS="blk.bytes=4M blk.ops=200"
truncate -s 8M "$tmp/vm.img" "$tmp/native.img"
rc=$(boot "$tmp/blk.log" "workload=blk $BLK_OPTS" \
	-drive "if=none,id=d0,file=$tmp/vm.img,format=raw" \
	-device virtio-blk-pci,drive=d0,disable-legacy=on)
booted "$tmp/blk" "$rc" "blk on virtio-blk-pci"
grep -E '^# blk:' "$tmp/blk.out"
results blk "$tmp/blk.out" seq-write-1M-qd1 flush seq-read-1M-qd1 seq-read-1M-qd8 \
	rand-read-4K-qd1 rand-read-4K-qd32 rand-write-4K-qd1
# shellcheck disable=SC2086  # BLK_OPTS is a list of words
"$NATIVE" blk $BLK_OPTS "blk.file=$tmp/native.img" >"$tmp/native-blk.out" 2>&1 ||
	fail "kvmini-native blk exited with $?"
checksums "$tmp/blk.out" >"$tmp/blk.ck"
checksums "$tmp/native-blk.out" >"$tmp/native-blk.ck"
if [ -s "$tmp/native-blk.ck" ]; then
	compare "$tmp/blk.ck" "$tmp/native-blk.ck"
	if cmp -s "$tmp/vm.img" "$tmp/native.img"; then
		pass "blk: the guest's and kvmini-native's images are identical"
	else
		fail "blk: the guest's and kvmini-native's images differ"
	fi
else
	fail "kvmini-native printed no blk checksums"
	grep -E '^(SKIP|blk)' "$tmp/native-blk.out"
fi

# --- 6. net: virtio-net-pci behind QEMU user networking ---
rc=$(boot "$tmp/net.log" \
	"workload=net net.ip=10.0.2.15 net.peer=10.0.2.2 net.pings=100 net.window=8 net.frames=1000" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0,disable-legacy=on)
booted "$tmp/net" "$rc" "net on virtio-net-pci (slirp)"
grep -E '^# net:' "$tmp/net.out"
results net "$tmp/net.out" icmp-echo-rtt icmp-echo-window udp-send
echo "--- blk and net (QEMU TCG)"
grep -E '^RESULT' "$tmp/blk.out" "$tmp/net.out" | sed 's/^[^:]*://'
echo "---"

echo "guest-qemu: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
