#!/bin/sh
# guest-net.sh - runs inside the Linux test guest (busybox sh) for net.sh.
# The guest's virtio-net NIC (eth0) takes kvmini.ip=ADDR/24 and talks to the
# host side at kvmini.peer=ADDR: a ping, then kvmini.mb=N MiB sent to the
# peer's port 5001 and N MiB received from its port 5002, back to back and
# without console output in between (the host counts VM exits meanwhile);
# then the queue counts are reported and the driver is reloaded and pings again.
# Results go out as "KVMINI-GUEST: key=value" lines.
arg() { sed -n "s/.*kvmini\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
say() { echo "KVMINI-GUEST: $*"; }
ip=$(arg ip)
peer=$(arg peer)
mb=$(arg mb)

[ -d /sys/class/net/eth0 ] || { say "nic=missing"; ls /sys/class/net; exit 1; }
say "nic=present"
say "mac=$(cat /sys/class/net/eth0/address)"
say "virtio_features=$(cat /sys/class/net/eth0/device/features)"
ip link set lo up
if ! ip addr add "$ip/24" dev eth0 || ! ip link set eth0 up; then
	say "ifup=failed"; exit 1
fi
if ping -c 3 -W 5 "$peer" >/tmp/ping 2>&1; then
	say "ping=ok"
else
	say "ping=failed"; cat /tmp/ping; exit 1
fi

# N MiB: N blocks of 8 digits (the block number) + 1 MiB - 8 random bytes.
dd if=/dev/urandom of=/tmp/rnd bs=1048568 count=1 2>/dev/null
for i in $(seq "$mb"); do printf '%08d' "$i"; cat /tmp/rnd; done >/tmp/out.bin
rm -f /tmp/rnd
out_sha=$(sha256sum /tmp/out.bin | cut -d' ' -f1)

# The receiving nc must not see end of file on stdin (it would close the
# connection early): a FIFO held open for writing gives it none.
mkfifo /tmp/hold
exec 3<>/tmp/hold
ok=0
for _ in 1 2 3 4 5; do
	nc "$peer" 5001 </tmp/out.bin && ok=1 && break
	sleep 1
done
nc "$peer" 5002 <&3 >/tmp/in.bin
rc=$?
exec 3>&-
sleep 3   # let the host close its counting window before the console speaks

# Multiqueue: the queues the driver uses, and each queue's interrupts.
say "rx_queues=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"
say "tx_queues=$(ls -d /sys/class/net/eth0/queues/tx-* | wc -l)"
say "queue_irqs=$(awk 'NR == 1 { n = NF; next }
	$NF ~ /^virtio[0-9]+-(input|output)\.[0-9]+$/ {
		s = 0; for (i = 2; i <= n + 1; i++) s += $i
		printf "%s%s:%d", sep, $NF, s; sep = ","
	}' /proc/interrupts)"

# Driver reload: the device is reset and set up again (with vhost: the
# rings taken back and handed over anew). The NIC must work after it.
ko=$(grep '/virtio_net.ko' /etc/modules.load)
if rmmod virtio_net && insmod "$ko" && ip addr add "$ip/24" dev eth0 &&
	ip link set eth0 up && ping -c 2 -W 5 "$peer" >/tmp/ping 2>&1; then
	say "reload_ping=ok"
else
	say "reload_ping=failed"; cat /tmp/ping
fi
say "sent=$ok"
say "recv_rc=$rc"
say "out_sha256=$out_sha"
say "in_bytes=$(wc -c </tmp/in.bin)"
say "in_sha256=$(sha256sum /tmp/in.bin | cut -d' ' -f1)"
exit 0
