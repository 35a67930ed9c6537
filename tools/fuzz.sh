#!/usr/bin/env bash
# fuzz.sh - run every libFuzzer target for FUZZ_S seconds (default 60), one
# after the other, each from a copy of its seed corpus (tests/fuzz/corpus/NAME;
# the inputs it finds stay in the copy, not in the tree). Prints a line per
# target: executions, executions per second, coverage (libFuzzer's "cov"
# edges and "ft" features) and whether it crashed; exits 1 if any did.
#
# Usage: FUZZ_S=60 tools/fuzz.sh FUZZ_DIR NAME...   (make fuzz)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=${1:?usage: tools/fuzz.sh FUZZ_DIR NAME...}
shift
secs=${FUZZ_S:-60}
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
bad=0
printf '%-12s %12s %10s %8s %8s  %s\n' target execs exec/s cov ft result
for name in "$@"; do
	bin=$dir/fuzz_$name
	work=$dir/run-$name
	rm -rf "$work" && mkdir -p "$work/corpus"
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/corpus/"
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$dir/crash-$name-" \
		"$work/corpus" >"$work/log" 2>&1 </dev/null
	rc=$?
	execs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$work/log")
	rate=$(awk '/stat::average_exec_per_sec:/ { print $2 }' "$work/log")
	last=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		result="CRASH (exit $rc): $(ls "$dir"/crash-"$name"-* 2>/dev/null | head -n 1); log $work/log"
		bad=1
	fi
	printf '%-12s %12s %10s %8s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit "$bad"
