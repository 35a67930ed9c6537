#!/usr/bin/env bash
# exit-profile.sh - where a VMM's VM exits come from: runs COMMAND on a KVM
# host with the kvm tracepoints recorded system-wide, then prints exits by
# reason and port-I/O exits by port and direction, most frequent first.
#
# Usage (on the KVM host, e.g. inside tests/nested/l1run):
#   tools/exit-profile.sh COMMAND [ARGS...]
set -euo pipefail

command -v perf >/dev/null || { echo "exit-profile: perf not found (linux-perf)" >&2; exit 1; }
[ -d /sys/kernel/tracing/events/kvm ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
data=$(mktemp "${TMPDIR:-/tmp}/exit-profile.XXXXXX")
trap 'rm -f "$data"' EXIT
rc=0
perf record -q -a -o "$data" -e kvm:kvm_exit -e kvm:kvm_pio -e kvm:kvm_userspace_exit \
	-e kvm:kvm_mmio -- "$@" || rc=$?
echo "# exits by reason"
perf script -i "$data" -F event,trace 2>/dev/null | awk '
	/kvm:kvm_exit:/ { for (i = 1; i <= NF; i++) if ($i == "reason") { r[$(i + 1)]++; n++ } }
	END { for (k in r) printf "%8d  %s\n", r[k], k; printf "%8d  total\n", n }' | sort -rn
echo "# port I/O by port"
perf script -i "$data" -F event,trace 2>/dev/null | awk '
	/kvm:kvm_pio:/ { for (i = 1; i <= NF; i++) if ($i ~ /^pio_(read|write)$/) p[$i " " $(i + 2)]++ }
	END { for (k in p) printf "%8d  %s\n", p[k], k }' | sort -rn | head -n 25
exit "$rc"
