#!/usr/bin/env bash
# bench-boot-inner.sh - the part of bench-boot.sh that runs on the KVM host.
# Usage: O=build REPS=N tools/bench-boot-inner.sh OUTDIR
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib/inner.sh"
reps=${REPS:-5}
mem_mib=256
kernel=$O/kernels/cloud/vmlinuz
initrd=$O/guest-initramfs.cpio.gz
append="console=ttyS0 quiet tsc=reliable no_timer_check panic=-1 kvmini.action=poweroff-now"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Run a private copy, so that a rebuild of the tree cannot change the binary
# between runs.
cp "$O/kvmini" "$work/kvmini"
inner_need_kvm_tracing bench-boot

qemu_common=(-accel kvm -cpu host -m "$mem_mib" -smp 1 -nodefaults -no-user-config
	-display none -monitor none -serial stdio -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$append")
cmd_for() {
	case "$1" in
	kvmini) echo "$work/kvmini run --kernel $kernel --initrd $initrd --mem ${mem_mib}M --cpus 1 --cmdline '$append'" ;;
	qemu-microvm) echo "qemu-system-x86_64 -M microvm ${qemu_common[*]@Q}" ;;
	qemu-pc) echo "qemu-system-x86_64 -M pc ${qemu_common[*]@Q}" ;;
	esac
}

# RSS beyond guest RAM: total RSS minus the RSS of the guest RAM mapping (the
# largest mapping of at least the guest's size), sampled while the VMM runs.
sample_rss() {
	local pid=$1 best=0 v
	while kill -0 "$pid" 2>/dev/null; do
		v=$(awk -v min=$((mem_mib * 1024)) '
			/^[0-9a-f]+-[0-9a-f]+ / { cur = 0; next }
			/^Size:/ { size = $2; next }
			/^Rss:/ { total += $2; if (size >= min && $2 > guest) guest = $2 }
			END { print total - guest }' "/proc/$pid/smaps" 2>/dev/null || echo 0)
		[ "${v:-0}" -gt "$best" ] && best=$v
		sleep 0.2
	done
	echo "$best"
}

# One boot: wall seconds, kvm_exit and kvm_userspace_exit counts, extra RSS.
one() {
	local vmm=$1 i=$2 t0 t1 pid rss
	eval "set -- $(cmd_for "$vmm")"
	t0=$(date +%s.%N)
	perf stat -a -x, -e kvm:kvm_exit -e kvm:kvm_userspace_exit -o "$work/perf" \
		-- timeout 300 "$@" </dev/null >"$work/console" 2>"$work/err" &
	pid=$!
	# perf starts the VMM after a while: wait for it (for at most 30 s).
	local vpid= n
	for n in $(seq 150); do
		vpid=$(pgrep -n -f "^$1 " || true)
		[ -n "$vpid" ] || ! kill -0 "$pid" 2>/dev/null && break
		sleep 0.2
	done
	rss=0
	[ -n "$vpid" ] && rss=$(sample_rss "$vpid")
	wait "$pid" || { echo "bench-boot: $vmm run $i failed" >&2; tail -5 "$work/console" "$work/err" >&2; return 1; }
	t1=$(date +%s.%N)
	grep -q "KVMINI-GUEST: up" "$work/console" ||
		{ echo "bench-boot: $vmm run $i did not reach /init" >&2; tail -n 5 "$work/console" "$work/err" >&2; return 1; }
	local exits uexits
	exits=$(awk -F, '$3 == "kvm:kvm_exit" { print $1 }' "$work/perf")
	uexits=$(awk -F, '$3 == "kvm:kvm_userspace_exit" { print $1 }' "$work/perf")
	echo "$vmm,$i,$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'),$exits,$uexits,$rss"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "vmm,rep,wall_s,kvm_exits,userspace_exits,extra_rss_kib" >"$outdir/boot-runs.csv"
vmms=(kvmini qemu-microvm qemu-pc)
# A run that fails or hangs ends the benchmark: no run is retried.
run() {
	one "$@" || { echo "${0##*/}: $1 run $2 failed (see above); no retry" >&2; exit 1; }
}
echo "# warm-up (discarded)"
for v in "${vmms[@]}"; do run "$v" 0 >/dev/null; done
for ((i = 1; i <= reps; i++)); do
	for v in "${vmms[@]}"; do run "$v" "$i" >>"$outdir/boot-runs.csv"; done
done

echo "vmm,n,median_wall_s,ratio_to_kvmini,median_kvm_exits,median_userspace_exits,median_extra_rss_kib" >"$outdir/boot.csv"
base=
for v in "${vmms[@]}"; do
	col() { awk -F, -v v="$v" -v c="$1" 'NR > 1 && $1 == v { print $c }' "$outdir/boot-runs.csv" | median; }
	w=$(col 3); e=$(col 4); u=$(col 5); r=$(col 6)
	[ -z "$base" ] && base=$w
	printf '%s,%d,%.2f,%.2f,%d,%d,%d\n' "$v" "$reps" "$w" "$(awk -v a="$w" -v b="$base" 'BEGIN { print a / b }')" "$e" "$u" "$r" >>"$outdir/boot.csv"
done
nested=no
grep -qw hypervisor /proc/cpuinfo && nested="yes (KVM host is itself a VM)"
echo "# boot benchmark: $(cat "$O/kernels/cloud/version"), 1 vCPU, ${mem_mib} MiB, 'quiet'; KVM host $(uname -r), nested: $nested"
echo "# wall times in a nested host are not hardware times: compare the ratios"
awk -F, '{ printf "%-14s %3s %14s %16s %16s %22s %20s\n", $1, $2, $3, $4, $5, $6, $7 }' "$outdir/boot.csv"
