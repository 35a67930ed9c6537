# lib.sh - shared helpers for the integration tests (sourced, not run).
#
# pass NAME / fail NAME WHY record one result; summary prints the closing
# line "integration: N passed, N failed" and returns non-zero on any failure.

npass=0
nfail=0
failed_names=()

pass() {
	npass=$((npass + 1))
	echo "ok - $1"
}

fail() {
	nfail=$((nfail + 1))
	failed_names+=("$1")
	echo "not ok - $1: $2"
}

summary() {
	local label=${1:-integration}
	if [ "$nfail" -gt 0 ]; then
		printf 'failed: %s\n' "${failed_names[@]}"
	fi
	echo "$label: $npass passed, $nfail failed"
	[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
}

# expect_line FILE REGEX: true when an output line matches REGEX.
expect_line() {
	grep -Eq -- "$2" "$1"
}

# guest_value FILE KEY: the value of "KVMINI-GUEST: KEY=VALUE" in FILE.
guest_value() {
	sed -n "s/^KVMINI-GUEST: $2=\(.*\)\r\{0,1\}\$/\1/p" "$1" | tr -d '\r' | head -n 1
}
