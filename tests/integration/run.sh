#!/usr/bin/env bash
# run.sh - the integration suite: prepares the guest images, checks that bad
# input gets a one-line error (no KVM needed, sanitizer build), then boots
# real Debian kernels under kvmini on /dev/kvm or in the nested-KVM runner.
#
# Usage: O=build tests/integration/run.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
. "$here/lib.sh"
export O=${O:-build}

set -e
"$top/tools/fetch-kernel.sh" cloud "$O/kernels" >/dev/null
"$top/tools/fetch-kernel.sh" generic "$O/kernels" >/dev/null
"$top/tools/mkinitramfs-guest.sh" "$O/guest-initramfs.cpio.gz"
"$top/tools/mkinitramfs-guest.sh" --script "$here/guest-blk.sh" \
	--modules "$O/kernels/cloud/root" "$(cat "$O/kernels/cloud/version")" virtio_pci virtio_blk \
	"$O/guest-blk.cpio.gz"
"$top/tools/mkinitramfs-guest.sh" --script "$here/guest-net.sh" \
	--modules "$O/kernels/cloud/root" "$(cat "$O/kernels/cloud/version")" virtio_pci virtio_net \
	"$O/guest-net.cpio.gz"
"$top/tools/mkinitramfs-guest.sh" --script "$here/guest-hold.sh" \
	--modules "$O/kernels/cloud/root" "$(cat "$O/kernels/cloud/version")" virtio_pci virtio_blk virtio_net \
	"$O/guest-hold.cpio.gz"
"$top/tools/mkinitramfs-guest.sh" --script "$here/guest-powercut.sh" \
	--modules "$O/kernels/cloud/root" "$(cat "$O/kernels/cloud/version")" virtio_pci virtio_blk \
	"$O/guest-powercut.cpio.gz"
make --no-print-directory -s guest native
set +e

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-it.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
san=$O/san/kvmini
kernel=$O/kernels/cloud/vmlinuz
initrd=$O/guest-initramfs.cpio.gz
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# bad_input NAME STATUS EXPECTED_REGEX ARGS...: kvmini must exit with STATUS
# (2 usage, 4 refused input, 6 host-side failure) and exactly one line on
# stderr that matches, and no sanitizer report.
bad_input() {
	local name=$1 status=$2 want=$3 rc lines
	shift 3
	"$san" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne "$status" ]; then
		fail "bad input: $name" "exit status $rc, expected $status"
		sed 's/^/#   /' "$tmp/err" | head -n 20
	elif [ "$lines" -ne 1 ]; then
		fail "bad input: $name" "$lines lines on stderr"
		sed 's/^/#   /' "$tmp/err" | head -n 20
	elif ! grep -Eq -- "$want" "$tmp/err"; then
		fail "bad input: $name" "message '$(cat "$tmp/err")' does not match /$want/"
	else
		pass "bad input: $name -> status $rc, $(cat "$tmp/err")"
	fi
}

printf 'this is not a kernel\n' >"$tmp/text"
head -c "$(( $(stat -L -c %s "$kernel") / 2 ))" "$kernel" >"$tmp/half"
head -c 4M /dev/urandom >"$tmp/garbage"
head -c 300M /dev/zero >"$tmp/bigrd"
: >"$tmp/empty"

bad_input "missing kernel" 4 "cannot open kernel.*No such file" run --kernel "$tmp/nonexistent"
bad_input "no --kernel" 2 "needs --kernel" run
bad_input "text file as kernel" 4 "not a kernel kvmini can boot" run --kernel "$tmp/text"
bad_input "random bytes as kernel" 4 "not a kernel kvmini can boot" run --kernel "$tmp/garbage"
bad_input "empty kernel" 4 "is empty" run --kernel "$tmp/empty"
bad_input "directory as kernel" 4 "not a regular file" run --kernel "$tmp"
bad_input "bzImage cut in half" 4 "truncated" run --kernel "$tmp/half"
bad_input "initrd larger than RAM" 4 "initrd .* does not fit" run --kernel "$kernel" --initrd "$tmp/bigrd" --mem 256M
bad_input "missing initrd" 4 "cannot open initrd" run --kernel "$kernel" --initrd "$tmp/nonexistent"
bad_input "--mem 1M" 4 "too small" run --kernel "$kernel" --mem 1M
bad_input "--mem 20M" 4 "too small for this kernel" run --kernel "$kernel" --mem 20M
bad_input "--mem garbage" 2 "not a size" run --kernel "$kernel" --mem lots
bad_input "--cpus 0" 2 "--cpus '0' must be" run --kernel "$kernel" --cpus 0
bad_input "--cpus 1000" 2 "--cpus '1000' must be" run --kernel "$kernel" --cpus 1000
bad_input "no /dev/kvm" 6 "does not exist: this machine has no KVM" run --kernel "$kernel" --initrd "$initrd" --kvm "$tmp/nonexistent"
bad_input "--net without tap=" 2 "--net 'vhost=on': expected tap=NAME" run --kernel "$kernel" --net vhost=on
bad_input "--net bad mac" 2 "expected tap=NAME" run --kernel "$kernel" --net tap=kv0,mac=01:02:03:04:05:06
bad_input "unknown option" 2 "unknown option .--bogus" run --kernel "$kernel" --bogus
bad_input "unknown command" 2 "unknown command" frobnicate
bad_input "--timeout 0" 2 "--timeout .0. must be a number of seconds" run --kernel "$kernel" --timeout 0
bad_input "bench: missing guest image" 4 "guest image .* not found" bench cpu --guest "$tmp/nonexistent" --reps 1
summary "bad-input" || bad_failed=1

# One L1 boot runs every KVM test (about 5 minutes here). kvm-suite.sh keeps
# its parts within 1500 s, so an L1 that outlives 1700 s is itself wedged:
# l1run then reports a HANG with the L1's CPUs and console (status 124),
# which fails the suite. Nothing is retried.
export L1RUN_TIMEOUT=${L1RUN_TIMEOUT:-1700}
echo "# booting Debian kernels ($(cat "$O/kernels/cloud/version"), $(cat "$O/kernels/generic/version"))"
"$top/tests/nested/with-kvm" -- "$here/kvm-suite.sh" | tee "$tmp/boot.log"
boot_rc=${PIPESTATUS[0]}

# The power cut needs an L1 of its own, killed from here.
echo "# power cut: flushed writes on an L1 disk with cache=none, the L1 killed"
"$here/powercut.sh"
[ $? -eq 0 ] || boot_rc=1
[ "${bad_failed:-0}" -eq 0 ] && [ "$boot_rc" -eq 0 ]
