#!/bin/sh
# replay.sh DIR - run every fuzz target's replay binary in DIR (built with
# the sanitizers: make SANITIZE=1 unit-build) over its seed corpus
# (tests/fuzz/corpus/NAME) and the inputs that once crashed it
# (tests/fuzz/crashes/NAME). One line a target and
#   fuzz-replay: N passed, N failed
# (a target passes when every input ran without a crash or a report).
dir=${1:?usage: replay.sh DIR}
cd "$(dirname "$0")/../.." || exit 1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
passed=0
failed=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
for bin in "$dir"/replay_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/replay_}
	if "$bin" "tests/fuzz/corpus/$name" "tests/fuzz/crashes/$name" >"$log" 2>&1; then
		echo "ok - fuzz replay $name: $(tail -n 1 "$log")"
		passed=$((passed + 1))
	else
		tail -n 30 "$log"
		echo "not ok - fuzz replay $name"
		failed=$((failed + 1))
	fi
done
[ $((passed + failed)) -gt 0 ] || { echo "no replay binaries in $dir"; failed=1; }
echo "fuzz-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
