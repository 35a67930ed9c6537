#!/usr/bin/env bash
# check-layers.sh - the tree's layering, checked: cli -> vmm -> devices ->
# bios -> base, include/ from anywhere. Prints one "ok"/"not ok" line a
# rule and "layers: N passed, N failed"; exits 1 if any rule fails.
#
# Usage: tools/check-layers.sh [LIBKVMINI.a]
#   With the archive, also checks that it exports kvmini_* names only.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
# verdict HITS GOOD BAD: ok GOOD when HITS is empty, else not ok BAD and the hits.
verdict() {
	if [ -z "$1" ]; then
		ok "$2"
	else
		bad "$3"
		printf '    %s\n' "$1"
	fi
}

# The quoted includes of folder $1 that name a folder outside the allowed list.
# (Bare names are the folder's own headers or include/'s.)
check_folder() {
	local dir=$1 allowed=$2 hits
	hits=$(grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' "$dir"/*.[ch] 2>/dev/null |
		grep -Ev "#[[:space:]]*include[[:space:]]*\"($allowed)/" || true)
	verdict "$hits" "$dir/ includes only from: ${allowed//|/, }" \
		"$dir/ includes from a layer above it or beside it:"
}

check_folder base "base"
check_folder bios "bios|base"
check_folder devices "devices|bios|base"
check_folder vmm "vmm|devices|bios|base"

# cli/ sees the public API only: its own headers and kvmini.h, no paths.
hits=$(grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' cli/*.[ch] |
	grep -v '"[a-z_]*\.h"' || true)
own=$(grep -ho '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*\.h"' cli/*.[ch] |
	sed 's/.*"\(.*\)"/\1/' | sort -u)
for h in $own; do
	[ "$h" = kvmini.h ] || [ -f "cli/$h" ] || hits+=$'\n'"cli/: includes $h, which is neither cli's own nor kvmini.h"
done
verdict "$hits" "cli/ includes only its own headers and include/kvmini.h" \
	"cli/ reaches past the public API:"

# Device models make no KVM calls and do no host I/O of their own.
hits=$(grep -Hn 'linux/kvm\.h\|liburing\|ioctl(\|io_uring_' devices/*.[ch] |
	grep -Ev '^[^:]*:[0-9]+:[[:space:]]*(/?\*|//)' || true)
verdict "$hits" "devices/ has no KVM calls, ioctls or io_uring" \
	"devices/ talks to KVM or the host directly:"

# Library code returns errors; only the command exits.
hits=$(grep -Hn '\bexit(\|\babort()' vmm/*.c devices/*.c bios/*.c base/*.c || true)
verdict "$hits" "no exit() or abort() in library code" "library code ends the process:"

if [ $# -ge 1 ]; then
	lib=$1
	if [ ! -f "$lib" ]; then
		bad "$lib: no such archive (build it first)"
	else
		all=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[A-Z]/ { print $3 }')
		others=$(printf '%s\n' "$all" | grep -v '^kvmini_' | grep -v '^$' || true)
		n=$(printf '%s\n' "$all" | grep -c '^kvmini_' || true)
		if [ -z "$others" ] && [ "$n" -gt 0 ]; then
			ok "$lib exports $n symbols, all kvmini_*"
		else
			bad "$lib exports names outside kvmini_*: $(echo $others | head -c 400)"
		fi
	fi
fi

echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
