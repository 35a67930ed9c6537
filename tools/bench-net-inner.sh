#!/usr/bin/env bash
# bench-net-inner.sh - the part of bench-net.sh that runs on the KVM host.
# Usage: O=build REPS=N NET_T=S NET_PINGS=N tools/bench-net-inner.sh OUTDIR
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib/inner.sh"
reps=${REPS:-3}
t=${NET_T:-5}
pings=${NET_PINGS:-200}
kernel=$O/kernels/cloud/vmlinuz
initrd=$O/guest-netbench.cpio.gz
gscript=$O/guest-netbench.sh
port=5201
# A fresh tap per VM run (no offload or vnet-header settings carried from
# one VMM to the next); a veth pair for the native run, its far end in a
# network namespace. Only these private addresses are used.
tap=kvbench0
host_ip=10.78.0.1
guest_ip=10.78.0.2
ns=kvbench-peer
veth=kvbench-v0
veth_peer=kvbench-v1
nat_host=10.78.1.1
nat_peer=10.78.1.2
vm_timeout=$((180 + 4 * t))
append="console=ttyS0 quiet tsc=reliable no_timer_check panic=-1 kvmini.action=test"
append="$append kvmini.ip=$guest_ip kvmini.peer=$host_ip kvmini.port=$port kvmini.t=$t kvmini.pings=$pings"

die() { echo "bench-net: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-net.XXXXXX")
srv_pid=
cleanup() {
	if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; fi
	ip link del "$tap" 2>/dev/null || true
	ip link del "$veth" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

for f in "$O/kvmini" "$kernel" "$initrd" "$gscript"; do
	[ -e "$f" ] || die "$f is missing (run tools/bench-net.sh, not this script)"
done
command -v iperf3 >/dev/null || die "iperf3 not found (tools/deps.sh installs it)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (tools/deps.sh)"
[ -c /dev/vhost-net ] || die "no /dev/vhost-net on the KVM host (modprobe vhost_net)"
[ -c /dev/net/tun ] || die "no /dev/net/tun on the KVM host (modprobe tun)"
# Run a private copy, so that a rebuild of the tree cannot change the binary
# between runs.
cp "$O/kvmini" "$work/kvmini"
# The native side uses busybox's ping, as the guest does.
mkdir -p "$work/bin"
ln -s "${BUSYBOX:-/bin/busybox}" "$work/bin/ping"

# Native baseline: a veth pair. L1 has no modules tree of its own under
# /lib/modules; take veth from the unpacked kernel it booted, when that matches.
ip link del "$veth" 2>/dev/null || true
ip netns del "$ns" 2>/dev/null || true
native='native-veth'
if ! ip link add "$veth" type veth peer name "$veth_peer" 2>"$work/veth.err"; then
	kroot=$O/kernels/generic/root
	modprobe veth 2>/dev/null ||
		{ [ -d "$kroot/lib/modules/$(uname -r)" ] && modprobe -d "$kroot" veth 2>>"$work/veth.err"; } || true
	ip link add "$veth" type veth peer name "$veth_peer" 2>>"$work/veth.err" || native='native-lo'
fi
nsexec=()
if [ "$native" = native-veth ]; then
	if ! ip netns add "$ns" || ! ip link set "$veth_peer" netns "$ns" ||
		! ip addr add "$nat_host/24" dev "$veth" || ! ip link set "$veth" up ||
		! ip -n "$ns" link set lo up || ! ip -n "$ns" addr add "$nat_peer/24" dev "$veth_peer" ||
		! ip -n "$ns" link set "$veth_peer" up; then
		die "cannot set up the veth pair in network namespace $ns"
	fi
	nsexec=(ip netns exec "$ns")
else
	echo "# no veth on this KVM host ($(tr '\n' ' ' <"$work/veth.err")); native baseline over loopback" >&2
	nat_host=127.0.0.1
fi

tap_up() {
	ip link del "$tap" 2>/dev/null || true
	ip tuntap add dev "$tap" mode tap && ip addr add "$host_ip/24" dev "$tap" &&
		ip link set "$tap" up
}
# An iperf3 server per run, so that a run that dies mid-test leaves no server
# waiting for it.
server_start() {
	iperf3 -s -B "$1" -p "$port" >"$work/server.log" 2>&1 &
	srv_pid=$!
}
server_stop() {
	kill "$srv_pid" 2>/dev/null || true
	wait "$srv_pid" 2>/dev/null || true
	srv_pid=
}

vm_cmd() {
	case "$1" in
	kvmini-vhost | kvmini-novhost)
		local vh=on
		[ "$1" = kvmini-novhost ] && vh=off
		cmd=("$work/kvmini" run -v --stats --kernel "$kernel" --initrd "$initrd" --mem 512M
			--cpus 2 --net "tap=$tap,vhost=$vh" --cmdline "$append") ;;
	qemu-vhost)
		cmd=(qemu-system-x86_64 -M pc -accel kvm -cpu host -m 512 -smp 2 -nodefaults
			-no-user-config -display none -monitor none -serial stdio -no-reboot
			-kernel "$kernel" -initrd "$initrd" -append "$append"
			-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=on"
			-device "virtio-net-pci,netdev=n0") ;;
	esac
}

value() { sed -n "s/^KVMINI-GUEST: $2=\([^ ]*\).*/\1/p" "$1" | tr -d '\r' | head -n 1; }

# One run: prints "vmm,rep,up_bps,down_bps,rtt_ms,userspace_exits,kvm_exits,wall_s"
# (the exit counts from kvmini --stats, over the whole run, boot included).
one() {
	local vmm=$1 i=$2 log=$work/$1.$2 rc=0 t0 t1 ux='' kx=''
	t0=$(date +%s.%N)
	if [ "$vmm" = native ]; then
		server_start "$nat_host"
		TMPDIR=$work PATH="$work/bin:$PATH" timeout -k 5 "$vm_timeout" \
			${nsexec[@]+"${nsexec[@]}"} sh "$gscript" measure "$nat_host" "$port" "$t" "$pings" \
			</dev/null >"$log.console" 2>&1 || rc=$?
		: >"$log.err"
	else
		tap_up || { echo "bench-net: cannot set up tap $tap" >&2; return 1; }
		server_start "$host_ip"
		vm_cmd "$vmm"
		timeout -k 5 "$vm_timeout" "${cmd[@]}" </dev/null >"$log.console" 2>"$log.err" || rc=$?
	fi
	t1=$(date +%s.%N)
	server_stop
	[ "$vmm" = native ] || ip link del "$tap" 2>/dev/null || true
	if [ "$rc" -ne 0 ] || ! grep -q "^KVMINI-GUEST: net=done" "$log.console"; then
		if [ "$rc" -eq 124 ]; then
			echo "bench-net: $vmm run $i did not finish within ${vm_timeout}s" >&2
		else
			echo "bench-net: $vmm run $i failed (exit $rc)" >&2
		fi
		tail -n 15 "$log.console" "$log.err" "$work/server.log" >&2
		return 1
	fi
	case "$vmm" in
	kvmini-vhost) grep -q "vhost-net data path" "$log.err" ||
		{ echo "bench-net: $vmm run $i: kvmini did not report the vhost-net data path" >&2; return 1; } ;;
	kvmini-novhost) grep -q "userspace data path" "$log.err" ||
		{ echo "bench-net: $vmm run $i: kvmini did not report the userspace data path" >&2; return 1; } ;;
	esac
	case "$vmm" in
	kvmini-*)
		grep -q "^kvmini: stats: " "$log.err" ||
			{ echo "bench-net: $vmm run $i: no 'kvmini: stats:' line on stderr" >&2; return 1; }
		ux=$(sed -n 's/^kvmini: stats: .*userspace_exits=\([0-9]*\).*/\1/p' "$log.err")
		kx=$(sed -n 's/^kvmini: stats: .*kvm_exits=\([0-9]*\).*/\1/p' "$log.err")
		grep "^kvmini: stats: " "$log.err" | sed "s/^/$vmm,$i: /" >>"$outdir/net-stats.txt" ;;
	esac
	local up down rtt
	up=$(value "$log.console" up_bps)
	down=$(value "$log.console" down_bps)
	rtt=$(value "$log.console" rtt_ms)
	if [ -z "$up" ] || [ -z "$down" ] || [ -z "$rtt" ]; then
		echo "bench-net: $vmm run $i: incomplete results (up '$up', down '$down', rtt '$rtt')" >&2
		tail -n 15 "$log.console" >&2
		return 1
	fi
	echo "$vmm,$i,$up,$down,$rtt,$ux,$kx,$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "vmm,rep,up_bps,down_bps,rtt_ms,userspace_exits,kvm_exits,wall_s" >"$outdir/net-runs.csv"
: >"$outdir/net-stats.txt"
vmms=(kvmini-vhost kvmini-novhost qemu-vhost native)
# A run that fails or hangs ends the benchmark: no run is retried.
run() {
	one "$@" || { echo "${0##*/}: $1 run $2 failed (see above); no retry" >&2; exit 1; }
}
start=$(date +%s)
for ((i = 1; i <= reps; i++)); do
	for v in "${vmms[@]}"; do
		run "$v" "$i" >>"$outdir/net-runs.csv"
		echo "# round $i/$reps: $v done ($(($(date +%s) - start)) s)" >&2
	done
done

csv=$outdir/net.csv
echo "vmm,n,up_mbps,down_mbps,rtt_ms,up_vs_qemu,down_vs_qemu,rtt_vs_qemu,up_vs_native,down_vs_native,rtt_vs_native,userspace_exits,kvm_exits" >"$csv"
col() { awk -F, -v v="$1" -v c="$2" 'NR > 1 && $1 == v && $c != "" { print $c }' "$outdir/net-runs.csv" | median; }
q_up=$(col qemu-vhost 3) q_down=$(col qemu-vhost 4) q_rtt=$(col qemu-vhost 5)
n_up=$(col native 3) n_down=$(col native 4) n_rtt=$(col native 5)
for v in "${vmms[@]}"; do
	name=$v
	[ "$v" = native ] && name=$native
	awk -v v="$name" -v n="$reps" -v u="$(col "$v" 3)" -v d="$(col "$v" 4)" -v r="$(col "$v" 5)" \
		-v qu="$q_up" -v qd="$q_down" -v qr="$q_rtt" -v nu="$n_up" -v nd="$n_down" -v nr="$n_rtt" \
		-v ux="$(col "$v" 6)" -v kx="$(col "$v" 7)" '
		function q(a, b) { return b > 0 ? a / b : 0 }
		BEGIN {
		printf "%s,%d,%.1f,%.1f,%.3f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%s,%s\n", v, n, u / 1e6, d / 1e6, r,
			q(u, qu), q(d, qd), q(r, qr), q(u, nu), q(d, nd), q(r, nr), (ux == "" ? "-" : ux), (kx == "" ? "-" : kx) }' >>"$csv"
done

if [ "${KVMINI_NESTED:-0}" = 1 ]; then
	where="NESTED L1 (QEMU TCG emulating SVM): NOT hardware numbers, only the ratios mean anything"
elif grep -qw hypervisor /proc/cpuinfo; then
	where="the KVM host is itself a VM: not hardware numbers"
else
	where="hardware KVM host"
fi
echo "# network benchmark, $where; KVM host $(uname -r)"
echo "# guest $(cat "$O/kernels/cloud/version"), 2 vCPUs, 512 MiB, virtio-net on a tap; $reps rounds, medians; $(iperf3 --version | head -n 1)"
echo "# up = guest->host, down = host->guest: iperf3 TCP, 1 stream, ${t} s, receiver's Mbit/s; rtt = ICMP echo round trip guest->host (busybox ping, $pings pings 10 ms apart), median ms"
echo "# *_vs_qemu, *_vs_native: ratios to QEMU vhost=on and to native (throughput: higher is better; rtt: lower is better)"
awk -F, '{ printf "%-14s %2s %9s %9s %8s %11s %13s %11s %12s %14s %13s %15s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }' "$csv"
if [ "$native" = native-veth ]; then
	echo "# native: the same iperf3 client and busybox ping in network namespace $ns, over a veth pair to the KVM host"
else
	echo "# native: the same iperf3 client and busybox ping over loopback on the KVM host (no veth module)"
fi
echo "# userspace_exits, kvm_exits: kvmini --stats, whole run (boot, set-up, both transfers, pings); per run in $outdir/net-stats.txt"
awk -F, 'NR > 1 && $1 == "kvmini-vhost" { printf "# target (issue 4): kvmini vhost=on at least QEMU vhost=on throughput: up %.2fx, down %.2fx: %s\n",
	$6, $7, ($6 >= 1 && $7 >= 1) ? "met" : "NOT met" }' "$csv"
