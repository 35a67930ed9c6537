#!/usr/bin/env bash
# sandbox.sh - least privilege, seen from outside: a Debian guest with a disk
# and a vhost-net NIC runs under kvmini (and under the sanitizer build), and
# while it runs every thread of kvmini must show CapEff 0, NoNewPrivs 1 and
# Seccomp 2 (filter mode) in /proc/PID/task/*/status; with --user nobody a
# non-zero Uid; with --no-seccomp, Seccomp 0 but still no capabilities. Then
# --seccomp-probe makes vCPU 0 call getppid(), which no allow-list has: the VM
# must stop with exit status 6 and a message naming the call.
#
# Usage: O=build tests/integration/sandbox.sh   (through tests/nested/with-kvm)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
O=${O:-build}
kernel=$O/kernels/cloud/vmlinuz
initrd=$O/guest-hold.cpio.gz
tap=kvsbx0
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-sandbox.XXXXXX")
cleanup() { ip link del "$tap" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cmdline="console=ttyS0 quiet tsc=reliable no_timer_check panic=-1 kvmini.action=test"

truncate -s 64M "$work/disk.img"
ip link del "$tap" 2>/dev/null
if ! ip tuntap add dev "$tap" mode tap 2>"$work/ip.err" || ! ip link set "$tap" up; then
	fail "sandbox: tap set-up" "$(cat "$work/ip.err")"
	summary sandbox
	exit 1
fi

# threads PID: one line a thread: "NAME CapEff NoNewPrivs Seccomp Uid".
threads() {
	local t
	for t in /proc/"$1"/task/*; do
		awk -v comm="$(cat "$t/comm" 2>/dev/null)" '
			/^CapEff:/ { c = $2 } /^NoNewPrivs:/ { n = $2 } /^Seccomp:/ { s = $2 }
			/^Uid:/ { u = $2 }
			END { print comm, c, n, s, u }' "$t/status" 2>/dev/null
	done
}

# watch NAME BIN WANT_SECCOMP WANT_UID_NONZERO ARGS...: run a guest that holds,
# look at kvmini's threads once the guest says it holds, check every one.
watch() {
	local name=$1 bin=$2 want_sc=$3 want_uid=$4 pid n rc bad=
	shift 4
	timeout -k 5 240 "$bin" run --kernel "$kernel" --initrd "$initrd" --mem 256M --cpus 2 \
		--disk "$work/disk.img" --net "tap=$tap,vhost=on" \
		--cmdline "$cmdline kvmini.hold=12" "$@" </dev/null >"$work/$name.out" 2>"$work/$name.err" &
	pid=$!
	for n in $(seq 200); do
		grep -q 'KVMINI-GUEST: holding=' "$work/$name.out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	# timeout(1) is the child; kvmini is its child.
	local vpid
	vpid=$(pgrep -P "$pid" | head -n 1)
	if [ -z "$vpid" ] || ! grep -q 'KVMINI-GUEST: holding=' "$work/$name.out"; then
		wait "$pid"
		fail "sandbox $name: guest running" "it did not reach its hold (exit $?): $(tail -n 3 "$work/$name.err" | tr '\n' ' ')"
		return
	fi
	threads "$vpid" >"$work/$name.threads"
	sed 's/^/#   /' "$work/$name.threads"
	n=$(wc -l <"$work/$name.threads")
	while read -r comm cap nnp sc uid; do
		[ "$cap" = 0000000000000000 ] || bad+=" $comm:CapEff=$cap"
		[ "$nnp" = 1 ] || bad+=" $comm:NoNewPrivs=$nnp"
		[ "$sc" = "$want_sc" ] || bad+=" $comm:Seccomp=$sc"
		if [ "$want_uid" = 1 ]; then [ "$uid" != 0 ] || bad+=" $comm:Uid=0"; fi
	done <"$work/$name.threads"
	grep -q 'kvmini-vcpu1' "$work/$name.threads" && grep -q 'kvmini-io' "$work/$name.threads" ||
		bad+=" (vCPU and I/O threads not all there)"
	wait "$pid"
	rc=$?
	# No call may be denied on the way, the teardown included.
	grep -q 'seccomp:' "$work/$name.err" && bad+=" denied: $(grep -m1 'seccomp:' "$work/$name.err")"
	if [ -n "$bad" ]; then
		fail "sandbox $name: $n threads" "$bad"
	elif [ "$rc" -ne 0 ] || ! grep -q 'KVMINI-GUEST: held' "$work/$name.out"; then
		fail "sandbox $name: guest finished" "exit $rc: $(tail -n 3 "$work/$name.err" | tr '\n' ' ')"
	else
		pass "sandbox $name: $n threads, all CapEff 0, NoNewPrivs 1, Seccomp $want_sc$([ "$want_uid" = 1 ] && echo ', Uid non-zero'); the guest used its disk and NIC and ended cleanly"
	fi
}

watch default "$O/kvmini" 2 0
watch user "$O/kvmini" 2 1 --user nobody
watch no-seccomp "$O/kvmini" 0 0 --no-seccomp
watch sanitizer "$O/san/kvmini" 2 0

# A call outside the allow-list stops the VM, named.
run_limited 120 "$work/probe.out" "$work/probe.err" -- "$O/kvmini" run --kernel "$kernel" \
	--initrd "$initrd" --mem 256M --cmdline "$cmdline kvmini.hold=1" --seccomp-probe
rc=$?
if [ "$rc" -eq 6 ] && grep -q 'seccomp: the vcpu thread called getppid' "$work/probe.err"; then
	pass "sandbox probe: exit 6, $(grep -m1 'guest stopped' "$work/probe.err")"
else
	fail "sandbox probe" "exit $rc, stderr: $(tr '\n' ' ' <"$work/probe.err")"
fi
summary sandbox
