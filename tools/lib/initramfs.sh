# initramfs.sh - shell functions shared by the busybox initramfs builders.
#
# Usage (from bash, with `set -euo pipefail`):
#   . tools/lib/initramfs.sh
#   initramfs_stage_busybox STAGE          # busybox-static + applet links + base dirs
#   initramfs_module_paths ROOT VER MOD... # print module files (relative to ROOT),
#                                          # deps first, deduplicated; built-ins skipped
#   initramfs_add_modules STAGE ROOT VER MOD...
#                                          # copy them into STAGE and write
#                                          # STAGE/etc/modules.load (insmod order)
#   initramfs_inputs_hash FILE...          # sha256 over the contents of FILEs
#   initramfs_pack STAGE OUT.cpio.gz       # deterministic newc cpio, gzip -n
# Not executable on its own.

BUSYBOX=${BUSYBOX:-/bin/busybox}

initramfs_die() { echo "${0##*/}: $*" >&2; exit 1; }

initramfs_stage_busybox() {
	local stage=$1 applet
	[ -x "$BUSYBOX" ] || initramfs_die "$BUSYBOX missing (apt-get install busybox-static)"
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		initramfs_die "$BUSYBOX is dynamically linked; busybox-static is needed"
	fi
	mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,mnt,lib/modules}
	cp "$BUSYBOX" "$stage/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$stage/bin/$applet"
	done
}

initramfs_module_paths() {
	local root=$1 ver=$2 mod deps kind path rest
	shift 2
	for mod in "$@"; do
		# Lines are "insmod /ROOT/lib/modules/.../x.ko [opts]" or "builtin x".
		deps=$(modprobe -d "$root" -S "$ver" --show-depends "$mod" 2>&1) ||
			initramfs_die "module $mod: $deps"
		while read -r kind path rest; do
			case "$kind" in
			insmod) echo "${path#"$root"/}" ;;
			builtin) ;;
			*) initramfs_die "module $mod: unexpected modprobe output: $kind $path $rest" ;;
			esac
		done <<<"$deps"
	done | awk '!seen[$0]++'
}

initramfs_add_modules() {
	local stage=$1 root=$2 ver=$3 rel list
	shift 3
	list=$(initramfs_module_paths "$root" "$ver" "$@")
	: >"$stage/etc/modules.load"
	for rel in $list; do
		mkdir -p "$stage/$(dirname "$rel")"
		cp "$root/$rel" "$stage/$rel"
		echo "/$rel" >>"$stage/etc/modules.load"
	done
}

initramfs_inputs_hash() {
	local f
	for f in "$@"; do
		printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "${f##*/}"
	done | sha256sum | cut -d' ' -f1
}

initramfs_pack() {
	local stage=$1 out=$2 tmp
	tmp="$out.tmp.$$"
	chmod 755 "$stage"
	find "$stage" -exec touch -h -d @0 {} +
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -6 >"$tmp"
	mv -f "$tmp" "$out"
}
