#!/usr/bin/env bash
# run-all.sh - the whole suite, as `make test` runs it: the layering
# check (tools/check-layers.sh), unit tests under
# ASan/UBSan, the native blk/net workloads on a file and a tap, the guest
# image under plain QEMU (TCG) against kvmini-native, then the
# integration tests (bad input, real guest boots).
# Prints every part's closing line and a total: "total: N passed, N failed".
#
# Usage: O=build tests/run-all.sh   (after `make all native guest` and `make SANITIZE=1 all unit-build`)
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
export O=${O:-build}
log=$(mktemp "${TMPDIR:-/tmp}/kvmini-test.XXXXXX")
trap 'rm -f "$log"' EXIT
rc=0

echo "== layers (includes point down; libkvmini.a exports kvmini_* only)"
tools/check-layers.sh "$O/libkvmini.a" | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
echo "== unit tests (ASan/UBSan)"
tests/unit/run.sh "$O/san/tests/unit" | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
echo "== fuzz inputs replayed (seed corpus and every stored crash; ASan/UBSan)"
tests/fuzz/replay.sh "$O/san/tests/fuzz" | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
echo "== native I/O (kvmini-native blk and net on a file and a tap; no KVM)"
tests/integration/native-io.sh | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
echo "== the guest image under plain QEMU (TCG, no KVM), checked against kvmini-native"
tests/guest/run-qemu.sh | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
echo "== integration tests"
tests/integration/run.sh | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1

# Sum the closing lines of the parts ("name: N passed, N failed"); a part's
# name counts once.
read -r pass fail < <(awk '/^[a-z-]+: [0-9]+ passed, [0-9]+ failed$/ { p[$1] = $2; f[$1] = $4 }
	END { for (k in p) { tp += p[k]; tf += f[k] }; print tp + 0, tf + 0 }' "$log")
[ "$fail" -eq 0 ] || rc=1
[ "$pass" -gt 0 ] || rc=1
echo "total: $pass passed, $fail failed"
exit "$rc"
