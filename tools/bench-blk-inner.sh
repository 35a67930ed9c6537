#!/usr/bin/env bash
# bench-blk-inner.sh - the part of bench-blk.sh that runs on the KVM host.
# Usage: O=build tools/bench-blk-inner.sh OUTDIR
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib/inner.sh"
kernel=$O/kernels/cloud/vmlinuz
initrd=$O/guest-blkbench.cpio.gz
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-blk.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$O/kvmini" "$work/kvmini"
disk=$work/disk.img
head -c 256M /dev/zero >"$disk"
append="console=ttyS0 quiet tsc=reliable no_timer_check panic=-1 kvmini.action=test"
inner_need_kvm_tracing bench-blk

# vm VMM TESTS NAME: boot the guest running TESTS; leaves NAME.console and
# NAME.perf (kvm_exit, kvm_userspace_exit counts over the whole run).
vm() {
	local vmm=$1 tests=$2 name=$3
	local cmd
	case "$vmm" in
	kvmini) cmd=("$work/kvmini" run --stats --kernel "$kernel" --initrd "$initrd" --mem 512M --cpus 1
		--disk "$disk" --cmdline "$append kvmini.bench=$tests") ;;
	qemu) cmd=(qemu-system-x86_64 -M pc -accel kvm -cpu host -m 512 -smp 1 -nodefaults
		-no-user-config -display none -monitor none -serial stdio -no-reboot
		-kernel "$kernel" -initrd "$initrd" -append "$append kvmini.bench=$tests"
		-drive "file=$disk,if=none,id=d0,format=raw,aio=io_uring,cache=writeback"
		-device virtio-blk-pci,drive=d0) ;;
	esac
	perf stat -a -x, -e kvm:kvm_exit -e kvm:kvm_userspace_exit -o "$work/$name.perf" \
		-- timeout 900 "${cmd[@]}" </dev/null >"$work/$name.console" 2>&1 || true
	grep -q "^BENCH done" "$work/$name.console" ||
		{ echo "bench-blk: $vmm ($tests) did not finish" >&2; tail -n 20 "$work/$name.console" >&2; return 1; }
}
count() { awk -F, -v e="$2" '$3 == e { print $1 }' "$work/$1.perf"; }

tests=$(grep -v '^#' tools/blkbench/tests.txt | awk '{ print $1 }' | paste -sd, -)
for vmm in kvmini qemu; do
	vm "$vmm" none "$vmm-base"
	vm "$vmm" "$tests" "$vmm-all"
	vm "$vmm" randread-4K-qd32 "$vmm-rr32"
done

echo "# native: the same blkbench on the same file, on the KVM host"
: >"$work/native.txt"
grep -v '^#' tools/blkbench/tests.txt | while read -r name mode bs qd n; do
	echo "BENCH test=$name $("$O/blkbench" "$disk" "$mode" "$bs" "$qd" "$n")" >>"$work/native.txt"
done

field() { sed -n "s/^BENCH test=$2 .*$3=\([0-9.]*\).*/\1/p" "$1" | head -n 1; }
csv=$outdir/blk.csv
echo "test,metric,kvmini,qemu,native,kvmini_over_qemu,kvmini_over_native,native_direct" >"$csv"
grep -v '^#' tools/blkbench/tests.txt | while read -r name mode bs qd n; do
	metric=mbps
	[ "$mode" = randread ] && metric=iops
	k=$(field "$work/kvmini-all.console" "$name" "$metric")
	q=$(field "$work/qemu-all.console" "$name" "$metric")
	nat=$(field "$work/native.txt" "$name" "$metric")
	d=$(field "$work/native.txt" "$name" direct)
	awk -v t="$name" -v m="$metric" -v k="$k" -v q="$q" -v n="$nat" -v d="$d" \
		'BEGIN { printf "%s,%s,%s,%s,%s,%.2f,%.2f,%s\n", t, m, k, q, n, (q ? k / q : 0), (n ? k / n : 0), d }' >>"$csv"
done

# Exits per request: (run with tests - run without) / requests the guest completed.
per_req() {
	local vmm=$1 run=$2 ev=$3 reqs
	reqs=$(sed -n 's/^BENCH test=[^ ]* requests=\([0-9]*\).*/\1/p' "$work/$vmm-$run.console" | awk '{ s += $1 } END { print s }')
	awk -v a="$(count "$vmm-$run" "$ev")" -v b="$(count "$vmm-base" "$ev")" -v r="$reqs" \
		'BEGIN { printf "%.4f", r ? (a - b) / r : -1 }'
}
exits=$outdir/blk-exits.csv
echo "vmm,run,requests,kvm_exits_per_request,userspace_exits_per_request" >"$exits"
for vmm in kvmini qemu; do
	for run in all rr32; do
		reqs=$(sed -n 's/^BENCH test=[^ ]* requests=\([0-9]*\).*/\1/p' "$work/$vmm-$run.console" | awk '{ s += $1 } END { print s }')
		echo "$vmm,$run,$reqs,$(per_req "$vmm" "$run" kvm:kvm_exit),$(per_req "$vmm" "$run" kvm:kvm_userspace_exit)" >>"$exits"
	done
done

nested=no
grep -qw hypervisor /proc/cpuinfo && nested="yes (the KVM host is itself a VM: not hardware numbers)"
echo "# block benchmark: $(cat "$O/kernels/cloud/version") guest, 1 vCPU, 256 MiB raw disk on the KVM host's $(df --output=fstype "$work" | tail -n 1); KVM host $(uname -r); nested: $nested"
echo "# MB/s for sequential 1 MiB, IOPS for random 4 KiB; native runs blkbench on the image file (direct=0: buffered, O_DIRECT refused there)"
awk -F, '{ printf "%-18s %-5s %10s %10s %10s %16s %18s %13s\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$csv"
echo "# exits per request (boot subtracted: same VM run without the benchmark); rr32 = randread-4K-qd32 alone"
awk -F, '{ printf "%-7s %-5s %9s %22s %28s\n", $1, $2, $3, $4, $5 }' "$exits"
for run in all rr32; do
	echo "# kvmini, run '$run': $(grep -o 'doorbell_exits=[0-9]*' "$work/kvmini-$run.console") (virtio kicks that reached userspace; 0 = every doorbell went through ioeventfd)"
done
