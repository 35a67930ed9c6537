#!/bin/sh
# guest-powercut.sh - runs inside the Linux test guest for powercut.sh: writes
# 4 KiB block i of /dev/vda (a pattern naming i), waits until dd's fsync
# (a virtio-blk FLUSH) has completed, then says "flushed=i"; on and on until
# the power goes. Every block whose line the host saw must survive the cut.
say() { echo "KVMINI-GUEST: $*"; }
[ -b /dev/vda ] || { say "disk=missing"; exit 1; }
say "disk=present"
# A block: its 32-byte name line, then 127 filler lines of 32 bytes.
: >/tmp/fill
n=0
while [ "$n" -lt 127 ]; do echo 'KVMINI-POWERCUT filler 00000000' >>/tmp/fill; n=$((n + 1)); done
i=0
while [ "$i" -lt 4000 ]; do
	{ printf 'KVMINI-POWERCUT block %09d\n' "$i"; cat /tmp/fill; } >/tmp/block
	dd if=/tmp/block of=/dev/vda bs=4096 seek="$i" count=1 conv=fsync,notrunc 2>/dev/null ||
		{ say "write=failed at $i"; exit 1; }
	say "flushed=$i"
	i=$((i + 1))
done
say "done"
