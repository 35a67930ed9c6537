#!/usr/bin/env bash
# multiboot.sh - a standard Multiboot 1 kernel, not kvmini's own guest,
# booted by kvmini on a real /dev/kvm (run through with-kvm; a part of
# kvm-suite.sh): tests/multiboot/mb32.elf, an ELF32 kernel linked in the
# higher half (VMA 0xC0100000, LMA 0x100000, no a.out kludge) that checks
# what it was handed (EAX, the entry address, mem_lower/mem_upper, the
# memory map, command line, loader name, modules and their bytes, a zeroed
# .bss), prints "MB32: ..." lines on COM1 and exits through isa-debug-exit
# (0: all checks passed, kvmini status 1; 1: one failed, status 3).
#   - under kvmini and the sanitizer build, with a command line and two
#     modules of known content: every line, status 1;
#   - under kvmini with no --initrd: no module at all (no device tree);
#   - under plain QEMU (TCG, its -kernel Multiboot loader): the same lines
#     but the loader name and the memory numbers, so the kernel is standard;
#   - a file that is neither a bzImage nor a Multiboot kernel: status 4 and
#     the message that lists the formats kvmini boots.
#
# Usage: O=build tests/integration/multiboot.sh
#   (after `make all` and `make SANITIZE=1 all`, and the kernel:
#   make build/tests/multiboot/mb32.elf, which `make test` builds)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
O=${O:-build}
img=$O/tests/multiboot/mb32.elf
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmini-mb.XXXXXX")
trap 'rm -rf "$work"' EXIT
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if [ ! -f "$img" ]; then
	fail "mb32.elf" "$img is missing (make $img)"
	summary multiboot
	exit
fi

# The image is what the test claims: ELF32, EM_386, one PT_LOAD with
# paddr 0x100000 and vaddr 0xC0100000, the entry a virtual address.
hdr=$(LC_ALL=C readelf -lhW "$img" 2>&1)
entry=$(sed -n 's/^ *Entry point address: *//p' <<<"$hdr")
if grep -q 'Class: *ELF32' <<<"$hdr" && grep -q 'Machine: *Intel 80386' <<<"$hdr" &&
	grep -Eq '^ *LOAD +0x[0-9a-f]+ 0xc0100000 0x00100000 ' <<<"$hdr" &&
	[ $((entry)) -ge $((0xc0100000)) ]; then
	pass "mb32.elf: ELF32, EM_386, PT_LOAD vaddr 0xc0100000 paddr 0x00100000, e_entry $entry (virtual)"
else
	fail "mb32.elf" "not the higher-half ELF32 image expected"
	head -n 30 <<<"$hdr" | sed 's/^/#   /'
fi

# Two modules of known content; the kernel prints each one's string, size,
# first bytes and POSIX cksum.
mod_a=$work/module-a.bin
mod_b=$work/module-b.bin
yes "MB32 module A 0123456789" | head -c 5000 >"$mod_a"
printf 'xyz' >"$mod_b"
ck_a=$(cksum <"$mod_a" | cut -d' ' -f1)
ck_b=$(cksum <"$mod_b" | cut -d' ' -f1)
mod_lines=("MB32: mods=2"
	"MB32: mod 0 string=$mod_a size=5000 first=4d423332 cksum=$ck_a"
	"MB32: mod 1 string=$mod_b size=3 first=78797a cksum=$ck_b")
common=("MB32: magic=ok" "MB32: entry=phys" "MB32: bss=zero" "MB32: result=pass")
# kvmini's map for --mem 128M: [0, 0x9fc00) RAM, [0x9fc00, 1 MiB)
# reserved, [1 MiB, 128 MiB) RAM.
kvmini_128=("MB32: mem_lower=639 mem_upper=130048" "MB32: mmap entries=3 ram_kib=130687"
	"MB32: loader=kvmini")

# check_lines NAME OUT LINE...: every LINE (a whole line; "~REGEX" for an
# extended regex) is in OUT and no "MB32: FAIL" line is.
check_lines() {
	local name=$1 out=$2 l missing=()
	shift 2
	tr -d '\r' <"$out" >"$out.txt"
	for l in "$@"; do
		if [ "${l:0:1}" = "~" ]; then
			grep -Eq -- "${l:1}" "$out.txt" || missing+=("/${l:1}/")
		else
			grep -Fxq -- "$l" "$out.txt" || missing+=("'$l'")
		fi
	done
	if ! grep -q '^MB32: ' "$out.txt"; then
		fail "$name" "no MB32 line on the console"
		tail -n 10 "$out.txt" | sed 's/^/#   /'
	elif [ "${#missing[@]}" -eq 0 ] && ! grep -q '^MB32: FAIL' "$out.txt"; then
		pass "$name: every line ($#), e.g. '$(grep -m1 '^MB32: mod 0 ' "$out.txt" || grep -m1 '^MB32: mods=' "$out.txt")'"
	else
		fail "$name" "missing: ${missing[*]:-none}; $(grep -c '^MB32: FAIL' "$out.txt") FAIL lines"
		grep '^MB32' "$out.txt" | sed 's/^/#   /'
	fi
}

# check_exit NAME RC ERR: a kvmini run ended with status 1 (the guest wrote
# 0 to isa-debug-exit) and no sanitizer report.
check_exit() {
	local name=$1 rc=$2 errf=$3
	if [ "$rc" -eq 1 ] && grep -q 'guest wrote 0 to isa-debug-exit' "$errf" &&
		! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$errf"; then
		pass "$name: exit status 1 (the kernel wrote 0 to isa-debug-exit)"
	else
		fail "$name" "exit status $rc, expected 1"
		tail -n 20 "$errf" | sed 's/^/#   /'
	fi
}

# 1. kvmini and its sanitizer build: command line and two modules.
for bin in "$O/kvmini" "$O/san/kvmini"; do
	name=${bin#"$O"/}
	if [ ! -x "$bin" ]; then
		fail "$name" "$bin is missing"
		continue
	fi
	t0=$SECONDS
	ASAN_OPTIONS=detect_leaks=1:exitcode=99 run_limited 60 "$work/run.out" "$work/run.err" -- \
		"$bin" run -v --kernel "$img" --mem 128M --cmdline "hello multiboot" \
		--initrd "$mod_a" --initrd "$mod_b"
	rc=$?
	check_exit "$name, two modules" "$rc" "$work/run.err"
	check_lines "$name, two modules" "$work/run.out" "${common[@]}" "${mod_lines[@]}" \
		"${kvmini_128[@]}" "MB32: cmdline=hello multiboot"
	echo "# $name boot took $((SECONDS - t0)) s"
done

# 2. No --initrd: no module (other kernels get no device tree); the
# defaults: 256M of RAM ([1 MiB, 256 MiB) = 261120 KiB), the command line
# "console=ttyS0".
t0=$SECONDS
run_limited 60 "$work/none.out" "$work/none.err" -- "$O/kvmini" run -v --kernel "$img"
rc=$?
check_exit "kvmini, no --initrd" "$rc" "$work/none.err"
check_lines "kvmini, no --initrd" "$work/none.out" "${common[@]}" "MB32: mods=0" \
	"MB32: mem_lower=639 mem_upper=261120" "MB32: mmap entries=3 ram_kib=261759" \
	"MB32: loader=kvmini" "MB32: cmdline=console=ttyS0"
echo "# kvmini boot without modules took $((SECONDS - t0)) s"

# 3. The same kernel under QEMU's own Multiboot loader (TCG, the pc
# machine; hw/i386/multiboot.c builds the information): the same lines but
# the loader name and memory numbers; QEMU, as GRUB, puts the kernel's path
# before the command line. The firmware is qboot where installed: a third
# of SeaBIOS's time under nested TCG (~6 s instead of ~19 s).
if command -v qemu-system-x86_64 >/dev/null; then
	t0=$SECONDS
	fw=SeaBIOS
	bios=()
	for f in /usr/share/qemu/qboot.rom /usr/share/seabios/qboot.rom; do
		if [ -f "$f" ]; then
			fw=qboot
			bios=(-bios "$f")
			break
		fi
	done
	run_limited 60 "$work/qemu.out" "$work/qemu.err" -- qemu-system-x86_64 -accel tcg "${bios[@]}" \
		-m 128 -kernel "$img" -initrd "$mod_a,$mod_b" -append "hello multiboot" \
		-no-reboot -display none -monitor none -nodefaults -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
	rc=$?
	if [ "$rc" -eq 1 ]; then
		pass "QEMU (TCG, -kernel, $fw): exit status 1 (the kernel wrote 0 to isa-debug-exit)"
	else
		fail "QEMU (TCG, -kernel)" "exit status $rc, expected 1"
		tail -n 10 "$work/qemu.err" | sed 's/^/#   /'
	fi
	check_lines "QEMU (TCG, -kernel)" "$work/qemu.out" "${common[@]}" "${mod_lines[@]}" \
		"~^MB32: mem_lower=[0-9]+ mem_upper=[0-9]+$" "~^MB32: mmap entries=[0-9]+ ram_kib=[0-9]+$" \
		"~^MB32: loader=.+$" "~^MB32: cmdline=(.* )?hello multiboot$"
	echo "# QEMU ($fw) boot took $((SECONDS - t0)) s"
else
	fail "QEMU (TCG, -kernel)" "qemu-system-x86_64 is not installed"
fi

# 4. Neither a bzImage nor a Multiboot kernel: a text file and an ELF
# executable without a Multiboot header.
for i in 1 2 3 4 5 6 7 8 9 10; do echo "this is not a kernel, line $i"; done >"$work/not-a-kernel.txt"
cp /bin/true "$work/not-a-kernel.elf"
t0=$SECONDS
for f in "$work/not-a-kernel.txt" "$work/not-a-kernel.elf"; do
	ASAN_OPTIONS=detect_leaks=1:exitcode=99 run_limited 30 "$work/bad.out" "$work/bad.err" -- \
		"$O/san/kvmini" run --kernel "$f"
	rc=$?
	if [ "$rc" -eq 4 ] && [ "$(wc -l <"$work/bad.err")" -eq 1 ] &&
		grep -q "^kvmini: $f: not a kernel kvmini can boot: it takes a Linux bzImage (boot protocol 2.12+, 64-bit) or a Multiboot 1 kernel (ELF32, ELF64 or a.out kludge)$" "$work/bad.err"; then
		pass "${f##*/} refused: status 4, '$(sed "s|$f|FILE|" "$work/bad.err")'"
	else
		fail "${f##*/}" "exit status $rc (expected 4) or not the one formats line"
		sed 's/^/#   /' "$work/bad.err" | head -n 10
	fi
done
echo "# the two refusals took $((SECONDS - t0)) s"

summary multiboot
