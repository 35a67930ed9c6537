#!/usr/bin/env python3
# kvm-anchor.py - holds one idle KVM VM open for as long as it runs, so that
# VMs coming and going in the nested L1 do not patch L1's kernel text.
#
# Why: every new vCPU starts with its local APIC software-disabled, which KVM
# counts in a static key (apic_sw_disabled); the count going 0 -> 1 when a VM
# starts and back to 0 a second after its guest enables the APIC makes the L1
# kernel rewrite its own code (text_poke with int3, on every CPU). Under QEMU
# TCG that has been seen to wedge the L1 (both CPUs stuck in __schedule and
# the int3 entry) or stall a vCPU, at roughly one in ten short VM runs. A vCPU
# here that is created and never run keeps the count above zero, so the key
# never flips. kvmini itself does not need this; only the emulated L1 does.
#
# Usage: kvm-anchor.py [/dev/kvm]   (runs until killed; l1run starts it)
import fcntl
import os
import signal
import sys

KVM_CREATE_VM = 0xAE01
KVM_CREATE_IRQCHIP = 0xAE60
KVM_CREATE_VCPU = 0xAE41

path = sys.argv[1] if len(sys.argv) > 1 else "/dev/kvm"
try:
    kvm = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
    fcntl.ioctl(vm, KVM_CREATE_IRQCHIP, 0)
    vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
except OSError as e:
    print(f"kvm-anchor: {path}: {e}", file=sys.stderr)
    sys.exit(1)
while True:
    signal.pause()
