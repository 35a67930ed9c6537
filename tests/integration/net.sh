#!/usr/bin/env bash
# net.sh - virtio-net end to end on a real /dev/kvm (run through with-kvm):
# a tap with an address on this host, a stock Debian kernel guest with its
# own virtio_net module on it. The guest pings this side, then moves
# NET_MB MiB (default 64) each way over TCP; both ends' SHA-256 must match.
# Run once with vhost=on and once with vhost=off, then multiqueue: vhost=on
# with queues=2 on a tap made multi_queue (NET_MQ_MB MiB each way, default
# 16). The guest's 2 vCPUs make its driver set 2 queue pairs; kvmini must log
# both active and the guest must show 2 rx and 2 tx queues. NET_MODES picks
# the runs (default "on off mq"; "mqoff" is multiqueue on the userspace
# path). The pass line carries the
# count that shows the design: kvmini's userspace exits during the transfer
# (perf, kvm:kvm_userspace_exit) per packet through the tap.
# Only the tap's own addresses (10.77.0.0/24) are used.
#
# Usage: O=build tests/integration/net.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
O=${O:-build}
MB=${NET_MB:-64}
initrd=$O/guest-net.cpio.gz
kernel=$O/kernels/cloud/vmlinuz
tap=kvnet0
host_ip=10.77.0.1
guest_ip=10.77.0.2
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-net.XXXXXX")
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
cleanup() {
	ip link del "$tap" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
MQ_MB=${NET_MQ_MB:-16}
# The userspace data path (vhost=off) moves less in the nested runner: there a
# Linux guest on that path has been seen to triple-fault or stall during a long
# TCP transfer now and then (about 1 run in 10; the same guest under QEMU's own
# vhost=off path stalled in 1 of 6 in the same L1), and no run is retried. On
# hardware the full amount runs. The cause is open (see the issue notes).
if [ "${KVMINI_NESTED:-0}" = 1 ]; then OFF_MB=${NET_OFF_MB:-8}; else OFF_MB=${NET_OFF_MB:-$MB}; fi
append="console=ttyS0 quiet tsc=reliable no_timer_check panic=-1 kvmini.action=test"
append="$append kvmini.ip=$guest_ip kvmini.peer=$host_ip"

show() {
	echo "# --- $1 console (tail) ---"; tail -n 30 "$work/$1.out" | sed 's/^/#   /'
	echo "# --- $1 stderr ---"; sed 's/^/#   /' "$work/$1.err"
	echo "# --- $1 peer ---"; sed 's/^/#   /' "$work/$1.peer"
}

peer_value() {
	sed -n "s/^$2=//p" "$1" | head -n 1
}

# make_tap [multi_queue]: (re)create the tap with the host address.
make_tap() {
	ip link del "$tap" 2>/dev/null
	if ! ip tuntap add dev "$tap" mode tap "$@" 2>"$work/ip.err" ||
		! ip addr add "$host_ip/24" dev "$tap" || ! ip link set "$tap" up; then
		fail "net: tap set-up${1:+ ($1)}" "$(cat "$work/ip.err")"
		return 1
	fi
}
make_tap || { summary net; exit 1; }

# nic_of MODE / mb_of MODE: the --net options and MiB each way of a mode
# (on, off: vhost=MODE; mq, mqoff: vhost=on, off with 2 queue pairs).
nic_of() {
	case $1 in
	mq) echo "vhost=on,queues=2" ;;
	mqoff) echo "vhost=off,queues=2" ;;
	*) echo "vhost=$1" ;;
	esac
}
mb_of() { case $1 in mqoff | off) echo "$OFF_MB" ;; mq*) echo "$MQ_MB" ;; *) echo "$MB" ;; esac; }

# guest_run MODE: one guest with its peer; sets rc to kvmini's status.
guest_run() {
	local mode=$1 out=$work/$1.out peer_pid mb
	mb=$(mb_of "$mode")
	"$py" "$here/net-peer.py" --addr "$host_ip" --tap "$tap" --mb "$mb" \
		>"$work/$mode.peer" 2>&1 &
	peer_pid=$!
	run_limited "${NET_TIMEOUT:-200}" "$out" "$work/$mode.err" -- \
		"$O/kvmini" run -v --stats --kernel "$kernel" \
		--initrd "$initrd" --mem 512M --cpus 2 --net "tap=$tap,$(nic_of "$mode")" \
		--cmdline "$append kvmini.mb=$mb"
	rc=$?
	# The peer finishes with the guest's last connection; do not wait forever.
	for _ in $(seq 20); do kill -0 "$peer_pid" 2>/dev/null || break; sleep 0.5; done
	kill "$peer_pid" 2>/dev/null
	wait "$peer_pid" 2>/dev/null
}

run_mode() {
	local mode=$1 rc out name mb
	out=$work/$mode.out
	name="net $(nic_of "$mode")"
	mb=$(mb_of "$mode")
	guest_run "$mode"

	local p=$work/$mode.peer path
	case $mode in *off) path="userspace data path" ;; *) path="vhost-net data path" ;; esac
	if [ "$rc" -ne 0 ] || [ "$(guest_value "$out" test-exit)" != 0 ]; then
		fail "$name run" "kvmini exit $rc, guest test exit '$(guest_value "$out" test-exit)'"
		show "$mode"
		return
	fi
	if grep -q "$path" "$work/$mode.err"; then
		pass "$name: $path in use"
	else
		fail "$name: data path" "no '$path' in kvmini's log"
		show "$mode"
	fi
	[ "$(guest_value "$out" ping)" = ok ] && pass "$name: the guest pings $host_ip" ||
		fail "$name: ping" "$(guest_value "$out" ping)"
	[ "$(guest_value "$out" reload_ping)" = ok ] &&
		pass "$name: driver reload (device reset), then ping again" ||
		fail "$name: driver reload" "$(guest_value "$out" reload_ping)"
	local gout gin pin pout
	gout=$(guest_value "$out" out_sha256)
	gin=$(guest_value "$out" in_sha256)
	pin=$(peer_value "$p" recv_sha256)
	pout=$(peer_value "$p" sent_sha256)
	if [ -n "$gout" ] && [ "$gout" = "$pin" ] && [ -n "$gin" ] && [ "$gin" = "$pout" ]; then
		local packets exits ratio up down sys kexits
		packets=$(peer_value "$p" packets)
		exits=$(peer_value "$p" exits)
		kexits=$(peer_value "$p" kvm_exits)
		sys=$(peer_value "$p" kvmini_syscalls)
		up=$(peer_value "$p" guest_to_host_s)
		down=$(peer_value "$p" host_to_guest_s)
		ratio=$(awk -v e="$exits" -v p="$packets" 'BEGIN {
			if (e == "n/a" || p == 0) print "n/a"; else printf "%.6f", e / p }')
		pass "$name: $mb MiB each way, SHA-256 match; userspace exits/packet $ratio ($exits exits / $packets tap packets during the transfer); guest->host ${up}s, host->guest ${down}s"
		echo "# $name: during the transfer $kexits exits handled in KVM, $sys system calls by kvmini ($(awk -v s="$sys" -v p="$packets" 'BEGIN { if (s == "n/a" || p == 0) print "n/a"; else printf "%.3f", s / p }') per packet); $(grep -o 'userspace_exits=[0-9]*' "$work/$mode.err") for the whole run"
		if [ "$path" = "vhost-net data path" ] && [ "$ratio" != n/a ]; then
			awk -v r="$ratio" 'BEGIN { exit !(r < 0.001) }' &&
				pass "$name: exits/packet $ratio < 0.001" ||
				fail "$name: exits/packet" "$ratio is not below 0.001"
		fi
	else
		fail "$name: transfer" "guest sent $gout, peer got $pin; peer sent $pout, guest got $gin ($(guest_value "$out" in_bytes) bytes)"
		show "$mode"
	fi
	case $mode in mq*) check_mq "$mode" "$name" "$out" "$work/$mode.err" ;; esac
}

# check_mq MODE NAME CONSOLE STDERR: the multiqueue run's own checks.
check_mq() {
	local mode=$1 name=$2 out=$3 err=$4 rxq txq
	if grep -q "2 queue pairs" "$err" && grep -q "2 of 2 queue pairs active" "$err"; then
		pass "$name: kvmini offers 2 queue pairs, the driver set both active"
	else
		fail "$name: queue pairs" "no '2 of 2 queue pairs active' in kvmini's log"
		show "$mode"
	fi
	rxq=$(guest_value "$out" rx_queues)
	txq=$(guest_value "$out" tx_queues)
	[ "$rxq" = 2 ] && [ "$txq" = 2 ] &&
		pass "$name: the guest's eth0 has 2 rx and 2 tx queues" ||
		fail "$name: guest queues" "rx '$rxq', tx '$txq' (want 2 and 2)"
	echo "# $name: interrupts per guest queue: $(guest_value "$out" queue_irqs)"
}

# refuse_single_queue_tap: queues=2 on the tap made without multi_queue is
# refused at start-up with one line that names the fix.
refuse_single_queue_tap() {
	local rc
	timeout -k 5 30 "$O/kvmini" run --kernel "$kernel" --initrd "$initrd" --mem 512M \
		--net "tap=$tap,vhost=on,queues=2" </dev/null >/dev/null 2>"$work/mqerr.err"
	rc=$?
	if [ "$rc" = 4 ] && grep -q "mode tap multi_queue" "$work/mqerr.err" &&
		[ "$(wc -l <"$work/mqerr.err")" = 1 ]; then
		pass "net queues=2 on a single-queue tap: refused, the fix named"
	else
		fail "net queues=2 on a single-queue tap" "exit $rc, stderr: $(cat "$work/mqerr.err")"
	fi
}

# NET_MODES picks the runs (default all three, in this order).
kind=single
for mode in ${NET_MODES:-on off mq}; do
	want=single
	case $mode in mq*) want=multi_queue ;; esac
	if [ "$want" != "$kind" ]; then
		[ "$want" = multi_queue ] && refuse_single_queue_tap
		if [ "$want" = multi_queue ]; then make_tap multi_queue; else make_tap; fi || continue
		kind=$want
	fi
	start=$SECONDS
	run_mode "$mode"
	echo "# net $(nic_of "$mode"): $((SECONDS - start)) s"
done
summary net
