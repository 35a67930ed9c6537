#!/usr/bin/env bash
# native-io.sh - the blk and net workloads as a Linux process (kvmini-native),
# no KVM needed:
#   blk  on a temporary file, twice: every test gives a RESULT line and the
#        checksums of the two runs agree; a missing file is a one-line error
#        and a failed run; without blk.file the workload says SKIP and succeeds
#   net  on a tap made here (10.79.9.1/24 on the host side, a name unique to
#        this run, removed on exit whatever happens), twice: RESULT lines,
#        equal checksums; a missing tap, a tap that is down and a host side
#        without the address (no ARP reply) are clear failures
#   kvmini native passes --disk and --net through
# The net part needs root (CAP_NET_ADMIN) and /dev/net/tun; without them it
# is reported as skipped. Closing line: "native-io: N passed, N failed".
#
# Usage: O=build tests/integration/native-io.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
. "$here/lib.sh"
O=${O:-build}
native=$O/kvmini-native
if ! make --no-print-directory -s O="$O" native >/dev/null; then
	fail "build kvmini-native" "make native failed"
	summary native-io
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-nio.XXXXXX")
tap=kvni$$
tap_made=0
cleanup() {
	[ "$tap_made" -eq 1 ] && ip link del "$tap" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BLK_TESTS="seq-write-1M-qd1 flush seq-read-1M-qd1 seq-read-1M-qd8 rand-read-4K-qd1 rand-read-4K-qd32 rand-write-4K-qd1"
NET_TESTS="icmp-echo-rtt icmp-echo-window udp-send"

# run NAME ARGS...: kvmini-native with a time limit; output in $work/NAME.out.
run() {
	local name=$1
	shift
	timeout -k 2 30 "$native" "$@" >"$work/$name.out" 2>&1
	echo $? >"$work/$name.rc"
}

# results NAME WORKLOAD TESTS: every test has one RESULT line and DONE ok.
results() {
	local name=$1 wl=$2 t missing=""
	for t in $3; do
		grep -q "^RESULT world=native workload=$wl test=$t " "$work/$name.out" || missing="$missing $t"
	done
	if [ "$(cat "$work/$name.rc")" -ne 0 ] || ! grep -q '^DONE world=native status=ok' "$work/$name.out"; then
		fail "$name" "exit status $(cat "$work/$name.rc"): $(tail -n 3 "$work/$name.out" | tr '\n' ' ')"
	elif [ -n "$missing" ]; then
		fail "$name" "no RESULT line for:$missing"
	else
		pass "$name: $(grep -c '^RESULT' "$work/$name.out") RESULT lines"
	fi
}

checksums() {
	sed -n 's/^RESULT .* test=\([^ ]*\) .*checksum=\(0x[0-9a-f]*\).*/\1 \2/p' "$1"
}

# same_checksums WHAT A B: the checksummed tests of runs A and B agree.
same_checksums() {
	checksums "$work/$2.out" >"$work/$2.ck"
	checksums "$work/$3.out" >"$work/$3.ck"
	if [ ! -s "$work/$2.ck" ]; then
		fail "$1" "no checksums"
	elif cmp -s "$work/$2.ck" "$work/$3.ck"; then
		pass "$1: $(wc -l <"$work/$2.ck") checksums equal across two runs"
	else
		fail "$1" "checksums differ: $(diff "$work/$2.ck" "$work/$3.ck" | tr '\n' ' ')"
	fi
}

# fails_with NAME REGEX: the run failed (status 6, DONE fail) and said REGEX.
fails_with() {
	local rc
	rc=$(cat "$work/$1.rc")
	if [ "$rc" -ne 6 ]; then
		fail "$1" "exit status $rc, expected 6: $(tail -n 3 "$work/$1.out" | tr '\n' ' ')"
	elif ! grep -q '^DONE world=native status=fail' "$work/$1.out"; then
		fail "$1" "no DONE status=fail line"
	elif ! grep -Eq -- "$2" "$work/$1.out"; then
		fail "$1" "no message matching /$2/: $(head -n 3 "$work/$1.out" | tr '\n' ' ')"
	else
		pass "$1 -> $(grep -E -- "$2" "$work/$1.out" | head -n 1)"
	fi
}

# --- blk
blkopts="blk.bytes=8M blk.ops=512"
truncate -s 16M "$work/disk.img"
run blk-1 blk "blk.file=$work/disk.img" $blkopts
results blk-1 blk "$BLK_TESTS"
run blk-2 blk "blk.file=$work/disk.img" $blkopts
results blk-2 blk "$BLK_TESTS"
same_checksums "blk" blk-1 blk-2
if grep -Eq 'label=io_uring-(odirect|buffered)/region-8M' "$work/blk-1.out"; then
	pass "blk label says how the file was opened: $(sed -n 's/.*label=\([^ ]*\).*/\1/p' "$work/blk-1.out" | head -n 1)"
else
	fail "blk label" "$(grep -m1 '^RESULT' "$work/blk-1.out")"
fi
# A region larger than the file is clamped to it: 16M, every block written.
run blk-clamp blk "blk.file=$work/disk.img" blk.bytes=1G blk.ops=64
if grep -q 'label=io_uring-[a-z]*/region-16M' "$work/blk-clamp.out" &&
	grep -q '^DONE world=native status=ok' "$work/blk-clamp.out"; then
	pass "blk.bytes larger than the file is clamped to it"
else
	fail "blk clamp" "$(tail -n 3 "$work/blk-clamp.out" | tr '\n' ' ')"
fi
run blk-missing blk "blk.file=$work/no-such-file"
fails_with blk-missing "cannot open blk.file=.*no-such-file: No such file or directory"
run blk-none blk
if [ "$(cat "$work/blk-none.rc")" -eq 0 ] &&
	grep -q '^SKIP world=native workload=blk test=all reason=no-disk' "$work/blk-none.out"; then
	pass "blk without blk.file: SKIP no-disk, success"
else
	fail "blk without blk.file" "$(cat "$work/blk-none.out" | tr '\n' ' ')"
fi

# --- kvmini native passes the device options through
if [ -x "$O/kvmini" ]; then
	timeout -k 2 30 "$O/kvmini" native blk --disk "$work/disk.img" blk.bytes=1M blk.ops=16 \
		>"$work/kn.out" 2>&1
	if grep -q '^RESULT world=native workload=blk test=seq-read-1M-qd8 ' "$work/kn.out" &&
		grep -q '^DONE world=native status=ok' "$work/kn.out"; then
		pass "kvmini native blk --disk FILE"
	else
		fail "kvmini native blk --disk FILE" "$(tail -n 3 "$work/kn.out" | tr '\n' ' ')"
	fi
fi

# --- net
netopts="net.ip=10.79.9.2 net.peer=10.79.9.1 net.pings=300 net.window=16 net.frames=2000"
run net-missing net net.tap=kvni-none$$ $netopts
fails_with net-missing "no network interface net.tap=kvni-none$$: create the tap first"
if [ ! -c /dev/net/tun ] || ! ip tuntap add "$tap" mode tap 2>"$work/tap.err"; then
	echo "# skip: cannot create a tap here ($(cat "$work/tap.err" 2>/dev/null)): net runs not tested"
else
	tap_made=1
	ip link set "$tap" down
	run net-down net "net.tap=$tap" $netopts
	fails_with net-down "tap $tap is down"
	ip addr add 10.79.9.1/24 dev "$tap" && ip link set "$tap" up
	run net-1 net "net.tap=$tap" $netopts
	results net-1 net "$NET_TESTS"
	run net-2 net "--net" "tap=$tap" $netopts
	results net-2 net "$NET_TESTS"
	same_checksums "net" net-1 net-2
	ip addr flush dev "$tap"
	run net-noarp net "net.tap=$tap" $netopts
	fails_with net-noarp "no ARP reply from 10.79.9.1"
fi

summary native-io
