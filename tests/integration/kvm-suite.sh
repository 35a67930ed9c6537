#!/usr/bin/env bash
# kvm-suite.sh - every integration test that needs /dev/kvm, in one go, so
# that one nested L1 boot serves them all. Each part prints its own closing
# line ("boot: N passed, N failed", ...). Exit status: non-zero if any failed.
#
# Usage: O=build tests/integration/kvm-suite.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rc=0
for part in boot blk guest bench net; do
	echo "# == $part"
	"$here/$part.sh" || rc=1
done
exit "$rc"
