#!/bin/sh
# guest-blk.sh - runs inside the Linux test guest (busybox sh) for blk.sh.
# Disks: /dev/vda an ext4 image (read-write), /dev/vdb a read-only raw image.
# kvmini.phase=write creates files and prints their SHA-256; phase=read only
# prints them. Results go out as "KVMINI-GUEST: key=value" lines.
phase=$(sed -n 's/.*kvmini\.phase=\([a-z]*\).*/\1/p' /proc/cmdline)
say() { echo "KVMINI-GUEST: $*"; }

[ -b /dev/vda ] && [ -b /dev/vdb ] || { say "disks=missing"; ls /sys/block; exit 1; }
say "disks=present"
say "vda_queues=$(ls /sys/block/vda/mq | wc -l)"
say "vdb_ro=$(cat /sys/block/vdb/ro)"
say "vda_sectors=$(cat /sys/block/vda/size)"
mount -t ext4 /dev/vda /mnt || { say "mount=failed"; exit 1; }
if [ "$phase" = write ]; then
	i=1
	for kib in 4 1024 16384; do
		dd if=/dev/urandom of=/mnt/f$i bs=1024 count=$kib 2>/dev/null || exit 1
		i=$((i + 1))
	done
	mkdir -p /mnt/dir && echo "hello from the guest" >/mnt/dir/note
fi
for i in 1 2 3; do
	say "sha256 f$i=$(sha256sum /mnt/f$i | cut -d' ' -f1)"
done
sync
umount /mnt || exit 1
# The read-only disk: the kernel must see it read-only and refuse a write.
if dd if=/dev/zero of=/dev/vdb bs=4096 count=1 2>/dev/null; then
	say "ro_write=accepted"
else
	say "ro_write=refused"
fi
say "vdb_sha256=$(dd if=/dev/vdb bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)"
set -- $(cat /sys/block/vda/stat)
say "vda_requests=$(($1 + $5))"
exit 0
