#!/bin/sh
# run.sh DIR - run every unit test binary in DIR, add up Criterion's
# per-binary "Synthesis" counts and print one summary line:
#   unit: N passed, N failed
# Exits non-zero if any test failed or crashed, if a binary ended without a
# summary, or if no test ran at all.

dir=${1:?usage: run.sh DIR}

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS

passed=0
failed=0
bins=0
bad=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT

for t in "$dir"/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	bins=$((bins + 1))
	"$t" --color=never >"$log" 2>&1
	rc=$?
	line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep 'Synthesis: Tested:' | tail -n 1)
	if [ -z "$line" ]; then
		cat "$log"
		echo "$(basename "$t"): no test summary (exit status $rc)"
		failed=$((failed + 1))
		bad=1
		continue
	fi
	p=$(printf '%s\n' "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(printf '%s\n' "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	c=$(printf '%s\n' "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
	p=${p:-0} f=${f:-0} c=${c:-0}
	# Criterion counts a crashed test as failing too; take the larger.
	[ "$c" -gt "$f" ] && f=$c
	# A sanitizer report at a test's exit (a leak, say) is only a warning
	# to Criterion, which still counts the test as passing.
	w=$(grep -c 'crashed during its setup or teardown' "$log")
	p=$((p - w))
	f=$((f + w))
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		cat "$log"
		bad=1
		# A non-zero exit with every test passing still counts as a failure.
		[ "$f" -eq 0 ] && f=1
	fi
	printf '%-24s %s\n' "$(basename "$t")" "$(printf '%s\n' "$line" | sed 's/.*Synthesis: //')"
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "unit: $passed passed, $failed failed"
[ "$bins" -gt 0 ] && [ "$passed" -gt 0 ] || exit 1
[ "$bad" -eq 0 ] && [ "$failed" -eq 0 ]
