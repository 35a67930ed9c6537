#!/usr/bin/env bash
# bench-inner.sh KVMINI OUTDIR [kvmini bench options...] - what `make bench`
# runs on the KVM host (through tests/nested/with-kvm): gives the blk and net
# workloads something to work on, then runs kvmini bench with them:
#   a scratch disk image (BENCH_DISK_MB MiB, default 128, sparse, in
#   ${TMPDIR:-/var/tmp}) for --disk, and a tap device with the host side at
#   10.79.0.1/24 (the workload's default peer) for --net;
# both are removed afterwards, whatever happens. Without root (no tap), or
# with BENCH_IO=0, it runs kvmini bench without them (blk and net then SKIP).
set -uo pipefail

kvmini=$1 out=$2
shift 2
io=()
work=$(mktemp -d "${TMPDIR:-/var/tmp}/kvmini-bench.XXXXXX")
tap=kvb$$
cleanup() {
	ip link del "$tap" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
if [ "${BENCH_IO:-1}" != 0 ]; then
	truncate -s "${BENCH_DISK_MB:-128}M" "$work/disk.img" && io+=(--disk "$work/disk.img")
	if ip tuntap add dev "$tap" mode tap 2>"$work/tap.err" &&
		ip addr add 10.79.0.1/24 dev "$tap" && ip link set "$tap" up; then
		io+=(--net "tap=$tap")
	else
		echo "bench: no tap for the net workload ($(cat "$work/tap.err")); net will SKIP" >&2
	fi
fi
# kvmini bench in the background, so that a TERM or INT (e.g. from timeout)
# stops it too and the disk and tap are still removed.
"$kvmini" bench --out "$out" ${io[@]+"${io[@]}"} "$@" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid"; exit 143' TERM INT
wait "$pid"
