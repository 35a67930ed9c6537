#!/usr/bin/env bash
# bench.sh - kvmini bench end to end on a real /dev/kvm (run through
# with-kvm): two measured repetitions and one warm-up per world with tiny
# sizes; the table, results.csv, results.json, runs.csv and ratios.svg must
# exist, every cpu and mem test must have a VM/native ratio, and every blk and
# net test too (on the scratch disk and tap tools/bench-inner.sh makes for
# `make bench`), the checksums
# must agree between the worlds, and the runs must be interleaved with the
# first world alternating. Also `kvmini native` and its error when
# kvmini-native is missing.
#
# Usage: O=build [BENCH_KEEP=DIR] tests/integration/bench.sh
#   BENCH_KEEP  copy the bench output files there (e.g. $L1RUN_OUT)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
O=${O:-build}
opts="mem.max=64K mem.bytes=512K mem.steps=20000 cpu.bytes=64K cpu.sieve=100000 cpu.mat=32 exits.iters=500"
opts="$opts blk.bytes=4M blk.ops=200 net.pings=200 net.window=16 net.frames=2000"
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$work/out

# --- kvmini native
if "$O/kvmini" native cpu cpu.bytes=4K cpu.sieve=1000 cpu.mat=8 >"$work/native.txt" 2>&1 &&
	grep -q '^DONE world=native status=ok' "$work/native.txt"; then
	pass "kvmini native runs kvmini-native next to it"
else
	fail "kvmini native" "$(tail -n 3 "$work/native.txt")"
fi
mkdir "$work/alone"
cp "$O/kvmini" "$work/alone/kvmini"
if ! "$work/alone/kvmini" native cpu >"$work/alone.txt" 2>&1 &&
	grep -q 'kvmini-native not found next to kvmini: run make native' "$work/alone.txt"; then
	pass "kvmini native without kvmini-native says what to do"
else
	fail "kvmini native, binary missing" "$(cat "$work/alone.txt")"
fi

# --- kvmini bench
bench() {
	# As `make bench` runs it: tools/bench-inner.sh makes the scratch disk
	# and the tap (host side 10.79.0.1, the net workload's default peer).
	BENCH_DISK_MB=16 timeout -k 5 160 "$here/../../tools/bench-inner.sh" "$O/kvmini" "$out" \
		cpu,mem,exits,blk,net --reps 2 --warmup 1 --timeout 60 --args "$opts" \
		>"$work/table.txt" 2>"$work/err.txt"
}
# No retry: a run that fails or hangs (kvmini bench stops a guest that
# outlives --timeout, status 8) fails the test with what it said.
bench
rc=$?
if [ "$rc" -eq 0 ]; then
	pass "kvmini bench --reps 2 --warmup 1 exits 0"
else
	fail "kvmini bench" "exit $rc"
	tail -n 20 "$work/err.txt" | sed 's/^/#   /'
fi
sed 's/^/# /' "$work/table.txt"

if grep -q '^workload  *test  *metric .*vm/native' "$work/table.txt" &&
	grep -q '^  paging    two-dimensional paging: ' "$work/table.txt"; then
	pass "table printed with its environment header"
else
	fail "table" "no header or no environment"
fi
if [ "${KVMINI_NESTED:-0}" = 1 ]; then
	if head -n 1 "$work/table.txt" | grep -q '^NESTED: these are not hardware numbers$'; then
		pass "nested run says so on the table's first line"
	else
		fail "nested warning" "KVMINI_NESTED=1 but no NESTED line"
	fi
fi
for f in results.csv results.json runs.csv ratios.svg; do
	if [ -s "$out/$f" ]; then
		pass "$f written"
	else
		fail "$f" "missing or empty"
	fi
done

if python3 -c 'import json' 2>/dev/null; then
	if python3 - "$out/results.json" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["environment"]["two_dimensional_paging"]
assert d["settings"]["reps"] == 2 and d["settings"]["warmup"] == 1
assert all(r["native"]["n"] == 2 and r["vm"]["n"] == 2 for r in d["results"]), "n != 2"
assert any(r["workload"] == "exits" for r in d["results"]), "no exits results"
EOF
		pass "results.json parses and holds n=2 per world"
	else
		fail "results.json" "does not parse or lacks fields"
	fi
elif grep -q '"results": \[' "$out/results.json" && tail -n 1 "$out/results.json" | grep -q '^}$'; then
	pass "results.json looks whole (no python3 to parse it)"
else
	fail "results.json" "no results array"
fi

# results.csv: column 4 unit, 23 ratio, 26 checksums.
ncpu=$(awk -F, 'NR > 1 && $1 == "cpu"' "$out/results.csv" | wc -l)
nmem=$(awk -F, 'NR > 1 && $1 == "mem"' "$out/results.csv" | wc -l)
noratio=$(awk -F, 'NR > 1 && ($1 == "cpu" || $1 == "mem") && $23 !~ /^[0-9.e+-]+$/ { print $1 "/" $2 }' \
	"$out/results.csv")
if [ "$ncpu" -ge 3 ] && [ "$nmem" -ge 12 ] && [ -z "$noratio" ]; then
	pass "every cpu ($ncpu) and mem ($nmem) test has a VM/native ratio"
else
	fail "ratios" "cpu $ncpu, mem $nmem tests; without a ratio: ${noratio:-none}"
fi
nio=$(awk -F, 'NR > 1 && ($1 == "blk" || $1 == "net") && $23 ~ /^[0-9.e+-]+$/' "$out/results.csv" | wc -l)
noio=$(awk -F, 'NR > 1 && ($1 == "blk" || $1 == "net") && $23 !~ /^[0-9.e+-]+$/ { print $1 "/" $2 }' \
	"$out/results.csv")
if [ "$nio" -ge 10 ] && [ -z "$noio" ]; then
	pass "blk and net ran in both worlds on the same disk file and tap ($nio tests with a ratio)"
else
	fail "blk/net in kvmini bench" "$nio with a ratio; without: ${noio:-none}"
	grep -E '^(blk|net) ' "$work/table.txt" | sed 's/^/#   /'
fi
mism=$(awk -F, 'NR > 1 && $26 == "mismatch" { print $1 "/" $2 }' "$out/results.csv")
if [ -z "$mism" ]; then
	pass "checksums agree between the worlds"
else
	fail "checksums" "differ for $mism"
fi
if grep -E '^exits +pio-read ' "$work/table.txt" | grep -q 'native-counterpart-of-pio'; then
	pass "exits rows name the native counterpart"
else
	fail "exits note" "no native counterpart in the pio-read row"
fi

# runs.csv: rep,warmup,slot,world,...: 3 repetitions, warm-up first, order alternating.
order=$(awk -F, 'NR > 1 && $5 == "cpu" && $6 == "sha256" { print $1 ":" $2 ":" $3 ":" $4 }' \
	"$out/runs.csv" | tr '\n' ' ')
if [ "$order" = "0:1:0:native 0:1:1:vm 1:0:0:vm 1:0:1:native 2:0:0:native 2:0:1:vm " ]; then
	pass "runs interleaved, first world alternating, warm-up recorded"
else
	fail "run order" "cpu/sha256 runs: $order"
fi

if grep -q '<svg' "$out/ratios.svg" && grep -q '</svg>' "$out/ratios.svg" &&
	grep -q 'sha256' "$out/ratios.svg"; then
	pass "ratios.svg is an SVG with the tests on it"
else
	fail "ratios.svg" "not an SVG chart of the tests"
fi
[ -n "${BENCH_KEEP:-}" ] && cp -r "$out/." "$BENCH_KEEP/"
summary bench
