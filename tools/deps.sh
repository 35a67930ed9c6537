#!/usr/bin/env bash
# deps.sh - install the Debian packages kvmini needs to build, test and benchmark.
#
# Usage: tools/deps.sh
#
# Idempotent: checks each package with `dpkg -s`; only if something is missing does
# it run `apt-get update` and `apt-get install -y --no-install-recommends` for the
# missing ones. Prints one line saying what it installs (or that nothing is needed).
# Needs root (or sudo) only when something has to be installed.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config libfdt-dev liburing-dev libcap-ng-dev libseccomp-dev libcriterion-dev
	clang-14 libclang-rt-14-dev
	qemu-system-x86 busybox-static cpio kmod e2fsprogs linux-perf xz-utils
	iproute2 python3 iperf3 gdb
	gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "deps.sh: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	SUDO=(sudo)
fi

echo "deps.sh: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
