#!/usr/bin/env bash
# blk.sh - virtio-blk end to end on a real /dev/kvm (run through with-kvm):
# a stock Debian kernel with its own virtio modules gets an ext4 disk
# (read-write) and a raw disk (read-only), 4 vCPUs with one queue each, under
# the ASan/UBSan build of kvmini. Run 1
# writes files; on the host the image must pass e2fsck -fn and hold the same
# bytes; run 2 reads them back in the guest. The read-only disk refuses writes.
#
# Usage: O=build tests/integration/blk.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
O=${O:-build}
initrd=$O/guest-blk.cpio.gz
kernel=$O/kernels/cloud/vmlinuz
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-blk.XXXXXX")
trap 'rm -rf "$work"' EXIT
append="console=ttyS0 quiet tsc=reliable no_timer_check panic=-1 kvmini.action=test"

run_guest() {
	local phase=$1
	run_limited "${BOOT_TIMEOUT:-150}" "$work/$phase.out" "$work/$phase.err" -- \
		"$O/san/kvmini" run -v --stats --kernel "$kernel" \
		--initrd "$initrd" --mem 512M --cpus 4 \
		--disk "$work/rw.img" --disk "$work/ro.img,ro" \
		--cmdline "$append kvmini.phase=$phase"
}

show() {
	echo "# --- $1 console (tail) ---"; tail -n 30 "$work/$1.out" | sed 's/^/#   /'
	echo "# --- $1 stderr ---"; sed 's/^/#   /' "$work/$1.err"
}

mke2fs -q -t ext4 -F "$work/rw.img" 64M || { fail "mkfs" "mke2fs failed"; summary blk; exit 1; }
head -c 8M /dev/urandom >"$work/ro.img"
ro_sha=$(sha256sum <"$work/ro.img" | cut -d' ' -f1)

run_guest write; rc=$?
out=$work/write.out
if [ "$rc" -ne 0 ] || [ "$(guest_value "$out" test-exit)" != 0 ]; then
	fail "blk write run" "kvmini exit $rc, guest test exit '$(guest_value "$out" test-exit)'"
	show write
else
	pass "blk write run (4 vCPUs, 2 disks; $(grep -o 'userspace_exits=[0-9]*' "$work/write.err"), $(grep -o 'doorbell_exits=[0-9]*' "$work/write.err"), guest requests on vda: $(guest_value "$out" vda_requests))"
fi
[ "$(guest_value "$out" vda_queues)" = 4 ] && pass "multi-queue: vda has 4 queues" ||
	fail "multi-queue" "vda has '$(guest_value "$out" vda_queues)' queues, expected 4"
[ "$(guest_value "$out" vdb_ro)" = 1 ] && [ "$(guest_value "$out" ro_write)" = refused ] &&
	pass "read-only disk: guest sees ro=1 and its write is refused" ||
	fail "read-only disk" "ro=$(guest_value "$out" vdb_ro) write=$(guest_value "$out" ro_write)"
[ "$(guest_value "$out" vdb_sha256)" = "$ro_sha" ] && pass "read-only disk contents read back intact" ||
	fail "read-only disk contents" "guest read $(guest_value "$out" vdb_sha256), file is $ro_sha"
[ "$(sha256sum <"$work/ro.img" | cut -d' ' -f1)" = "$ro_sha" ] && pass "read-only image unchanged on the host" ||
	fail "read-only image" "changed on the host"

if e2fsck -fn "$work/rw.img" >"$work/fsck" 2>&1; then
	pass "host: e2fsck -fn passes on the image the guest wrote"
else
	fail "host: e2fsck" "$(tail -n 3 "$work/fsck" | tr '\n' ' ')"
fi
ok=1
for i in 1 2 3; do
	want=$(sed -n "s/^KVMINI-GUEST: sha256 f$i=\([0-9a-f]*\).*/\1/p" "$out")
	got=$(debugfs -R "cat /f$i" "$work/rw.img" 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ -n "$want" ] && [ "$want" = "$got" ] || { ok=0; fail "host: file f$i" "guest said ${want:-nothing}, image holds $got"; }
done
[ "$ok" = 1 ] && pass "host: the three files in the image match the guest's SHA-256"

run_guest read; rc=$?
ok=$([ "$rc" -eq 0 ] && [ "$(guest_value "$work/read.out" test-exit)" = 0 ] && echo 1 || echo 0)
for i in 1 2 3; do
	a=$(sed -n "s/^KVMINI-GUEST: sha256 f$i=\([0-9a-f]*\).*/\1/p" "$out")
	b=$(sed -n "s/^KVMINI-GUEST: sha256 f$i=\([0-9a-f]*\).*/\1/p" "$work/read.out")
	[ -n "$a" ] && [ "$a" = "$b" ] || ok=0
done
if [ "$ok" = 1 ]; then
	pass "second boot reads the same files back"
else
	fail "second boot" "kvmini exit $rc or hashes differ"
	show read
fi
summary blk
