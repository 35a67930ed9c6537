#!/bin/sh
# guest-hold.sh - runs inside the Linux test guest for sandbox.sh: says which
# devices it has, then keeps the VM alive (and its disk and NIC in use) for
# kvmini.hold seconds (default 20) so that the host can look at kvmini's
# threads, and ends cleanly.
say() { echo "KVMINI-GUEST: $*"; }
hold=$(sed -n 's/.*kvmini\.hold=\([0-9]*\).*/\1/p' /proc/cmdline)
[ -b /dev/vda ] && say "disk=present" || say "disk=missing"
[ -d /sys/class/net/eth0 ] && say "nic=present" || say "nic=missing"
ip link set eth0 up 2>/dev/null
say "holding=${hold:-20}"
i=0
while [ "$i" -lt "${hold:-20}" ]; do
	dd if=/dev/vda of=/dev/null bs=4096 count=16 skip=$((i * 16)) 2>/dev/null
	sleep 1
	i=$((i + 1))
done
say "held"
exit 0
