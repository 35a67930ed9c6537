#!/usr/bin/env bash
# fetch-kernel.sh - fetch and unpack the current Debian kernel, without installing it.
#
# Usage: tools/fetch-kernel.sh FLAVOUR OUTDIR
#   FLAVOUR  generic (metapackage linux-image-amd64) or cloud (linux-image-cloud-amd64)
#   OUTDIR   cache directory; the result goes to OUTDIR/FLAVOUR/
#
# Finds the versioned kernel package behind the metapackage with `apt-cache depends`
# (the version is never hard-coded: it moves with Debian security updates), downloads
# its -unsigned variant with `apt-get download`, unpacks it with `dpkg -x` and runs
# `depmod` on the unpacked tree. Outputs:
#   OUTDIR/FLAVOUR/root/        the unpacked package (boot/, lib/modules/VER/ ...)
#   OUTDIR/FLAVOUR/vmlinuz      symlink to root/boot/vmlinuz-VER
#   OUTDIR/FLAVOUR/version      the kernel release string VER (as `uname -r` prints it)
#   OUTDIR/FLAVOUR/package      "PACKAGE VERSION" of the .deb that was unpacked
# Does nothing if OUTDIR/FLAVOUR already holds the current package. If apt knows no
# candidate (e.g. no package lists) but a cached kernel exists, that one is used with a
# warning. The last line printed on stdout is the absolute path of vmlinuz.
set -euo pipefail

die() { echo "fetch-kernel.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: fetch-kernel.sh generic|cloud OUTDIR"
flavour=$1
outdir=$2
case "$flavour" in
generic) meta=linux-image-amd64 ;;
cloud) meta=linux-image-cloud-amd64 ;;
*) die "unknown flavour '$flavour' (want generic or cloud)" ;;
esac

mkdir -p "$outdir/$flavour"
dest=$(cd "$outdir/$flavour" && pwd)

have_cache() {
	[ -s "$dest/version" ] && [ -e "$dest/vmlinuz" ] &&
		[ -d "$dest/root/lib/modules/$(cat "$dest/version")" ]
}

# Fast path: nothing can have changed if the cache is newer than apt's package lists.
newest_list=$(ls -t /var/lib/apt/lists/*Packages* /etc/apt/sources.list /etc/apt/sources.list.d/* \
	2>/dev/null | head -n 1 || true)
if have_cache && [ -n "$newest_list" ] && [ "$dest/package" -nt "$newest_list" ]; then
	echo "$dest/vmlinuz"
	exit 0
fi

# The versioned image package the metapackage depends on, e.g. linux-image-6.1.0-56-amd64.
pkg=$(apt-cache depends "$meta" 2>/dev/null |
	sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1 || true)
if [ -z "$pkg" ]; then
	if have_cache; then
		echo "fetch-kernel.sh: warning: apt does not know $meta; using cached kernel $(cat "$dest/version")" >&2
		echo "$dest/vmlinuz"
		exit 0
	fi
	die "apt-cache knows no versioned package behind $meta (run apt-get update?)"
fi
ver=${pkg#linux-image-}
unsigned="$pkg-unsigned"
pkgver=$(apt-cache policy "$unsigned" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1)
if [ -z "$pkgver" ] || [ "$pkgver" = "(none)" ]; then
	die "apt has no candidate for $unsigned"
fi

if have_cache && [ "$(cat "$dest/version")" = "$ver" ] &&
	[ "$(cat "$dest/package" 2>/dev/null)" = "$unsigned $pkgver" ]; then
	echo "$dest/vmlinuz"
	exit 0
fi

echo "fetch-kernel.sh: fetching $unsigned $pkgver" >&2
tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
chmod 755 "$tmp" # let apt's _apt user write the download
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && timeout 600 apt-get download -q "$unsigned=$pkgver" >&2) ||
	die "apt-get download $unsigned=$pkgver failed"
deb=$(ls "$tmp"/*.deb)
dpkg -x "$deb" "$tmp/root"
[ -f "$tmp/root/boot/vmlinuz-$ver" ] || die "$deb holds no boot/vmlinuz-$ver"
[ -d "$tmp/root/lib/modules/$ver" ] || die "$deb holds no lib/modules/$ver"
depmod -b "$tmp/root" "$ver"

rm -rf "$dest/root" "$dest/vmlinuz" "$dest/version" "$dest/package"
mv "$tmp/root" "$dest/root"
ln -s "root/boot/vmlinuz-$ver" "$dest/vmlinuz"
echo "$ver" >"$dest/version"
echo "$unsigned $pkgver" >"$dest/package"
echo "$dest/vmlinuz"
