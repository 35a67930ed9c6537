#!/usr/bin/env python3
"""net-peer.py - the host end of net.sh's transfer, run on the KVM host.

Listens on ADDR (the tap's own address) port 5001, reads everything the guest
sends and hashes it; then on port 5002 sends MB MiB of its own and closes.
Between the start of the first transfer and the end of the second it counts
the tap's packets (/sys/class/net/TAP/statistics) and, with perf,
kvm:kvm_userspace_exit and kvm:kvm_exit events (system-wide: the only VM
running is the one under test) and the system calls of kvmini's threads.
Prints key=value lines on stdout.
"""
import argparse
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def tap_counters(tap):
    base = f"/sys/class/net/{tap}/statistics/"
    out = {}
    for k in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes"):
        with open(base + k) as f:
            out[k] = int(f.read())
    return out


def listener(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    return s


def kvmini_pid():
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() == "kvmini":
                        return int(d)
            except OSError:
                pass
    return None


def start_perf(path, target, events):
    perf = shutil.which("perf")
    if not perf:
        return None
    if not os.path.isdir("/sys/kernel/tracing/events/kvm"):
        subprocess.call(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                        stderr=subprocess.DEVNULL)
    cmd = [perf, "stat", "-x,", "-o", path] + target
    for e in events:
        cmd += ["-e", e]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p


def stop_perf(p, path):
    """Counts by event name from perf stat -x, output; {} without perf."""
    out = {}
    if p is None:
        return out
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    with open(path) as f:
        for line in f:
            fields = line.strip().split(",")
            if len(fields) > 2 and fields[0].isdigit():
                out[fields[2]] = int(fields[0])
    os.unlink(path)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--tap", required=True)
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()

    block = os.urandom((1 << 20) - 8)
    data = b"".join(b"%08d" % (i + 1) + block for i in range(a.mb))
    rx_l, tx_l = listener(a.addr, 5001), listener(a.addr, 5002)
    for s in (rx_l, tx_l):
        s.settimeout(a.timeout)
    print("ready", flush=True)

    c, _ = rx_l.accept()
    c.settimeout(a.timeout)
    # System-wide exits (the only VM is the one under test) and the
    # system calls of kvmini's threads (the userspace data path's work).
    perf_out = [tempfile.mktemp(prefix="net-peer-perf.") for _ in range(2)]
    pid = kvmini_pid()
    perfs = [start_perf(perf_out[0], ["-a"], ["kvm:kvm_userspace_exit", "kvm:kvm_exit"]),
             start_perf(perf_out[1], ["-p", str(pid)], ["raw_syscalls:sys_enter"])
             if pid else None]
    time.sleep(3)  # let perf open its counters before the window starts
    before = tap_counters(a.tap)
    t0 = time.monotonic()
    h, n = hashlib.sha256(), 0
    while True:
        buf = c.recv(1 << 20)
        if not buf:
            break
        h.update(buf)
        n += len(buf)
    c.close()
    t1 = time.monotonic()

    c, _ = tx_l.accept()
    c.settimeout(a.timeout)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass
    c.close()
    t2 = time.monotonic()
    after = tap_counters(a.tap)
    counts = {}
    for p, path in zip(perfs, perf_out):
        counts.update(stop_perf(p, path))
    exits = counts.get("kvm:kvm_userspace_exit")

    packets = (after["rx_packets"] - before["rx_packets"] +
               after["tx_packets"] - before["tx_packets"])
    print(f"recv_bytes={n}")
    print(f"recv_sha256={h.hexdigest()}")
    print(f"sent_bytes={len(data)}")
    print(f"sent_sha256={hashlib.sha256(data).hexdigest()}")
    print(f"packets={packets}")
    print(f"tap_rx_packets={after['rx_packets'] - before['rx_packets']}")
    print(f"tap_tx_packets={after['tx_packets'] - before['tx_packets']}")
    print(f"exits={exits if exits is not None else 'n/a'}")
    print(f"kvm_exits={counts.get('kvm:kvm_exit', 'n/a')}")
    print(f"kvmini_syscalls={counts.get('raw_syscalls:sys_enter', 'n/a')}")
    print(f"guest_to_host_s={t1 - t0:.2f}")
    print(f"host_to_guest_s={t2 - t1:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
