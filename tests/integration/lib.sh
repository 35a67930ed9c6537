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

# thread_report PID: every thread of process PID: name, state, kernel wait
# channel, current system call, user/sys ticks, its kernel stack (root), and,
# where gdb is installed, every thread's user-space backtrace.
thread_report() {
	local pid=$1 t
	[ -d "/proc/$pid" ] || { echo "# (process $pid is gone)"; return 0; }
	echo "# threads of $(cat "/proc/$pid/comm" 2>/dev/null) $pid (name state wchan [syscall] utime/stime):"
	for t in /proc/"$pid"/task/*; do
		echo "#   $(cat "$t/comm" 2>/dev/null) $(awk '{ print $3 }' "$t/stat" 2>/dev/null)" \
			"$(cat "$t/wchan" 2>/dev/null) [$(cut -d' ' -f1 "$t/syscall" 2>/dev/null)]" \
			"$(awk '{ print $14 "/" $15 }' "$t/stat" 2>/dev/null)"
		sed 's/^/#       /' "$t/stack" 2>/dev/null | head -n 12
	done
	if command -v gdb >/dev/null; then
		echo "# user-space stacks (gdb):"
		timeout 60 gdb -p "$pid" -batch -nx -ex 'set pagination off' -ex 'thread apply all bt' \
			2>/dev/null | grep -E '^(Thread|#[0-9])' | sed 's/^/#   /' | head -n 120
	fi
}

# run_limited SECONDS OUT ERR -- COMMAND...: run COMMAND (a kvmini) in the
# background, stdin /dev/null, stdout to OUT (the guest's console), stderr
# to ERR; returns its status, or 124 if it is still running after SECONDS:
# then every thread's state and stack, the last console lines and stderr are
# printed, and it is killed. A hang is a failure with its evidence; inside
# the nested runner only, a hang is run once more, said as a RETRY line (the
# open nested stall, see below).
run_limited() {
	local limit=$1 console=$2 errf=$3 pid n
	shift 4
	"$@" </dev/null >"$console" 2>"$errf" &
	pid=$!
	for ((n = 0; n < limit * 4; n++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "# HANG: still running after ${limit}s: $*"
		thread_report "$pid"
		echo "# last console lines ($console):"
		tail -n 25 "$console" 2>/dev/null | sed 's/^/#   /'
		echo "# its stderr ($errf):"
		tail -n 10 "$errf" 2>/dev/null | sed 's/^/#   /'
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		# Inside the nested runner only: the guest stall of issue 12 (one vCPU
		# spinning in guest mode, the others halted, no kvmini thread blocked;
		# the dump above shows it) is not explained yet, so a hang there is run
		# once more, loudly, with this dump kept in the log. Never on hardware,
		# never twice, never for a run that failed.
		if [ "${KVMINI_NESTED:-0}" = 1 ] && [ -z "${RUN_LIMITED_AGAIN:-}" ]; then
			echo "# RETRY (nested runner, after a HANG; see the dump above): $*"
			RUN_LIMITED_AGAIN=1 run_limited "$limit" "$console" "$errf" -- "$@"
			return
		fi
		return 124
	fi
	wait "$pid"
}
