# inner.sh - what the benchmark scripts that run on the KVM host
# (tools/bench-*-inner.sh) share.
#
# Usage (from bash, with `set -euo pipefail`):
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/inner.sh"
#       cd to the top of the tree and set top, O (default build), outdir=$1
#   inner_need_kvm_tracing NAME
#       make sure perf and the kvm:* tracepoints are there (mounting tracefs
#       if needed), or exit 1 with "NAME: ..." saying what is missing
# Not executable on its own.

top=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
cd "$top"
O=${O:-build}
outdir=${1:?usage: ${0##*/} OUTDIR}

inner_need_kvm_tracing() {
	local name=$1
	command -v perf >/dev/null ||
		{ echo "$name: perf not found (apt-get install linux-perf)" >&2; exit 1; }
	[ -d /sys/kernel/tracing/events/kvm ] ||
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	[ -d /sys/kernel/tracing/events/kvm ] ||
		{ echo "$name: no kvm tracepoints under /sys/kernel/tracing" >&2; exit 1; }
}
