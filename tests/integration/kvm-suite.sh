#!/usr/bin/env bash
# kvm-suite.sh - every integration test that needs /dev/kvm, in one go, so
# that one nested L1 boot serves them all. Each part prints its own closing
# line ("boot: N passed, N failed", ...) and how long it took. Every part has
# a time limit, cut to what is left of the whole budget (KVM_SUITE_BUDGET
# seconds, default 1500, which is below the L1 runner's limit), so a part that
# hangs is reported as a failure of that part and the others still run.
# Exit status: non-zero if any failed.
#
# Usage: O=build [KVM_SUITE_BUDGET=S] [KVM_SUITE_PARTS="boot net"] tests/integration/kvm-suite.sh
#   (KVM_SUITE_PARTS: run only these parts, for a quick look while working;
#   make test runs them all)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
budget=${KVM_SUITE_BUDGET:-1500}
rc=0
# part_failed PART WHY: the part's one failure and its closing line.
part_failed() {
	echo "not ok - $1: $2"
	echo "$1: 0 passed, 1 failed"
}
# part and its own limit in seconds (each takes a fraction of that normally:
# boot ~90 s, blk ~35 s, guest ~45 s, bench ~50 s, net ~80 s here).
for spec in boot:450 blk:420 guest:200 bench:360 net:500 sandbox:300 locks:200 multiboot:120; do
	part=${spec%%:*}
	limit=${spec#*:}
	case " ${KVM_SUITE_PARTS:-$part} " in *" $part "*) ;; *) continue ;; esac
	left=$((budget - SECONDS - 5))
	[ "$limit" -le "$left" ] || limit=$left
	echo "# == $part"
	if [ "$limit" -lt 30 ]; then
		part_failed "$part" "not run, the suite's ${budget} s are spent"
		rc=1
		continue
	fi
	start=$SECONDS
	timeout -k 10 "$limit" "$here/$part.sh"
	prc=$?
	if [ "$prc" -eq 124 ] || [ "$prc" -eq 137 ]; then
		part_failed "$part" "did not finish within $limit s (stopped)"
	fi
	[ "$prc" -eq 0 ] || rc=1
	echo "# $part took $((SECONDS - start)) s"
done
exit "$rc"
