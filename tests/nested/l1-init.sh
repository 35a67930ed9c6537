#!/bin/busybox sh
# l1-init.sh - /init of the nested-KVM "L1" Linux booted by tests/nested/l1run.
#
# Not run by hand: tests/nested/mkinitramfs-l1.sh puts it into the L1 initramfs.
# It loads the modules listed in /etc/modules.load, mounts three 9p shares that
# l1run sets up:
#   ctl   the runner's control dir: l1.conf (sourced: L1RUN_TOKEN, L1RUN_OUT,
#         L1RUN_CWD, L1RUN_TMPFS) and job.sh (the command, run with bash)
#   host  the host's / (read-only), with a tmpfs-backed overlay on top
#   out   the runner's output dir, mounted at its host path L1RUN_OUT
# then chroots into the overlay and runs job.sh with stdout on ttyS0 and stderr on
# ttyS1. Everything printed on ttyS0 before "<token>-START" is boot noise; after the
# command, "<token>-EXIT <status>" is printed on ttyS0 and L1 powers off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
# ttyS1 carries only the command's stderr (and warnings): pass it on unchanged.
stty -F /dev/ttyS1 -onlcr

# Progress lines with the uptime go to the console log (kept by `l1run --log`).
step() { echo "l1run: L1: $(cut -d' ' -f1 /proc/uptime) s: $*"; }
warn() { echo "l1run: L1: $*" >/dev/ttyS1; }
fail() {
	echo "l1run: L1: $*"
	echo "l1run: L1: $*" >/dev/ttyS1
	poweroff -f
}

step "init started"
while read -r m; do
	insmod "$m" || echo "l1run: L1: insmod $m failed"
	step "${m##*/} loaded"
done </etc/modules.load

ninep="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /ctl /host /rw /newroot
mount -t 9p -o "$ninep" ctl /ctl || fail "cannot mount the control share"
. /ctl/l1.conf
mount -t 9p -o "ro,$ninep" host /host || fail "cannot mount the host share"
mount -t tmpfs -o mode=755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	fail "cannot mount the overlay over the host share"
step "overlay mounted"
r=/newroot
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t tmpfs -o mode=755 tmpfs $r/run
[ "$L1RUN_TMPFS" = 1 ] && mount -t tmpfs -o mode=1777 tmpfs $r/tmp
mkdir -p "$r$L1RUN_OUT"
mount -t 9p -o "$ninep" out "$r$L1RUN_OUT" || fail "cannot mount the output share"
mkdir -p $r/run/l1run
cp /ctl/job.sh $r/run/l1run/job.sh
hostname l1
ip link set lo up

step "chroot ready"
[ -c /dev/kvm ] || warn "warning: /dev/kvm is missing (kvm_amd did not load?)"
npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)
[ "$npt" = Y ] || warn "warning: kvm_amd npt='$npt' (nested paging is off)"

# Only emergencies on the console from now on; the command owns it.
echo 1 >/proc/sys/kernel/printk
stty -F /dev/ttyS0 -onlcr
echo "$L1RUN_TOKEN-START"
chroot $r /usr/bin/env -i /bin/bash /run/l1run/job.sh </dev/null >/dev/ttyS0 2>/dev/ttyS1
rc=$?
sync
echo "$L1RUN_TOKEN-EXIT $rc"
poweroff -f
