#!/usr/bin/env python3
"""mk-fuzz-seeds.py - write the seed corpus of the fuzz targets (tests/fuzz/corpus/NAME/).

Register targets take accesses as tests/fuzz/fuzz_io.h reads them: a control
byte (bit 0 write, bits 1-2 log2 of the size), an offset byte, and for a write
the value's bytes. Loader targets take files: small but well-formed images the
loaders accept, so that the fuzzer starts from inside the formats. Device
targets (PCI, virtio) take a header and a sequence of operations, as each
tests/fuzz/fuzz_NAME.c describes at its top; their seeds set the device up
and submit valid requests, so that the fuzzer starts deep.
Run from the top of the tree; it overwrites the seeds it writes.
"""
import os
import struct

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def w(off, val, size=1):
    code = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return bytes([1 | code << 1, off]) + val.to_bytes(size, "little")


def r(off, size=1):
    code = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return bytes([code << 1, off])


def save(name, seeds):
    d = os.path.join(TOP, "tests", "fuzz", "corpus", name)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(seeds):
        with open(os.path.join(d, "seed-%02d" % i), "wb") as f:
            f.write(data)


# 8250: divisor latch, interrupts, transmit, FIFO, loopback, status reads.
save("uart", [
    w(3, 0x80) + w(0, 1) + w(1, 0) + w(3, 0x03) + w(1, 0x0f) + w(0, 0x41) + r(2) + r(5),
    w(2, 0xc7) + w(4, 0x10) + w(0, 0x55) + r(0) + r(5) + r(6) + r(2),
    w(7, 0xa5) + r(7) + w(1, 0x02) + r(2) + w(0, 0x0a) + r(2),
    r(0, 4) + w(0, 0x12345678, 4) + r(5, 2),
])
# i8042: read and write the configuration byte, output port, reset pulse.
save("i8042", [
    w(0, 0x20) + r(0) + r(0),  # command 0x20 on the command port, data read
    w(0, 0x60) + w(0, 0x47) + r(0) + r(0),
    w(0, 0xd1) + w(0, 0xfe) + r(0) + r(0),
    w(0, 0xfe) + r(0),
    w(0, 0xaa) + r(0) + r(0) + w(0, 0xad) + w(0, 0xae),
])
# CMOS: every clock register, status registers A-D, NMI mask bit, RAM.
save("rtc", [
    b"".join(w(0, i) + r(1) for i in range(0, 14)),
    w(0, 0x8b) + w(1, 0x06) + w(0, 0x0b) + r(1) + w(0, 0x0a) + r(1),
    w(0, 0x30) + w(1, 0x55) + r(1) + w(0, 0x7f) + r(1) + w(0, 0xff) + r(1),
])
# ACPI PM: status and enable, control with SLP_EN and each SLP_TYP, reset.
save("acpi_pm", [
    r(0, 2) + r(2, 2) + w(0, 0xffff, 2) + w(2, 0x0100, 2) + r(4, 2),
    w(4, 0x0001, 2) + r(4, 2) + w(4, (5 << 10) | (1 << 13), 2),
    w(4, (1 << 10) | (1 << 13), 2) + w(8, 0x01) + r(8),
    r(0, 4) + w(0, 0xffffffff, 4) + r(12, 4),
])


def bzimage(setup_sects=1, version=0x020f, kernel=b"\xf4" * 4096, xload=0x1, loadflags=0x1):
    """A boot sector and setup header the loader accepts, then the 'kernel'."""
    setup = bytearray(512 * (setup_sects + 1))
    setup[0x1f1] = setup_sects
    syssize = (len(kernel) + 15) // 16
    struct.pack_into("<I", setup, 0x1f4, syssize)
    setup[0x1fe:0x200] = b"\x55\xaa"
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    setup[0x211] = loadflags
    struct.pack_into("<I", setup, 0x214, 0x100000)       # code32_start
    struct.pack_into("<I", setup, 0x22c, 0x7fffffff)     # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x200000)       # kernel_alignment
    setup[0x234] = 1                                     # relocatable
    struct.pack_into("<H", setup, 0x236, xload)          # xloadflags
    struct.pack_into("<I", setup, 0x238, 2048)           # cmdline_size
    struct.pack_into("<I", setup, 0x260, 0x400000)       # init_size
    return bytes(setup) + kernel


# The first byte splits the rest into kernel and initrd (fuzz_bzimage.c).
save("bzimage", [
    b"\x00" + bzimage(),
    b"\x40" + bzimage(setup_sects=4) + b"initrd" * 100,
    b"\x00" + bzimage(version=0x020c),
    b"\x00" + bzimage(xload=0x3, kernel=b"\x90" * 20000),
])

MB_MAGIC = 0x1BADB002


def mb_header(flags, extra=b""):
    return struct.pack("<III", MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xffffffff) + extra


def elf32(paddr=0x100000, vaddr=None, body=None):
    vaddr = paddr if vaddr is None else vaddr
    body = body or (mb_header(0x3) + b"\xf4" * 64)
    ehsize, phsize = 52, 32
    off = ehsize + phsize
    eh = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, vaddr + 12, ehsize, 0, 0, ehsize, phsize, 1, 40, 0, 0)
    ph = struct.pack("<IIIIIIII", 1, off, vaddr, paddr, len(body), len(body) + 4096, 7, 4096)
    return eh + ph + body


def elf64(paddr=0x100000):
    body = mb_header(0x3) + b"\xf4" * 64
    ehsize, phsize = 64, 56
    off = ehsize + phsize
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, paddr + 12, ehsize, 0, 0, ehsize, phsize, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, off, paddr, paddr, len(body), len(body) + 4096, 4096)
    return eh + ph + body


def aout(load=0x100000):
    # header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr
    hdr_at = load
    fields = struct.pack("<IIIII", hdr_at, load, load + 0x100, load + 0x2000, load + 0x40)
    return mb_header(0x10003, fields) + b"\xf4" * (0x100 - 32)


save("multiboot", [
    elf32(),
    elf32(paddr=0x100000, vaddr=0xC0100000),
    elf64(),
    aout(),
    mb_header(0x0) + b"\x00" * 64,
])
# --- Device targets on guest RAM (tests/fuzz/fuzz_ring.h): a header, then
# ops, each an opcode byte and little-endian arguments. The shared ring ops
# come first (0-5); each target numbers its own from 6. The seeds set queues
# up and submit valid requests, then some that each check refuses.
R_WRITE, R_DESC, R_AVAIL, R_AVAIL_IDX, R_FLAGS, R_TDESC = range(6)
OWN = 6
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def r_write(off, data):
    return bytes([R_WRITE]) + struct.pack("<IB", off, len(data)) + data


def r_desc(q, idx, addr, ln, flags=0, nxt=0):
    return bytes([R_DESC, q]) + struct.pack("<HQIHH", idx, addr, ln, flags, nxt)


def r_avail(q, head):
    return bytes([R_AVAIL, q]) + struct.pack("<H", head)


def r_avail_idx(q, v):
    return bytes([R_AVAIL_IDX, q]) + struct.pack("<H", v)


def r_flags(q, used_event, v):
    return bytes([R_FLAGS, q, 1 if used_event else 0]) + struct.pack("<H", v)


def r_tdesc(off, idx, addr, ln, flags=0, nxt=0):
    return bytes([R_TDESC]) + struct.pack("<IBQIHH", off, idx, addr, ln, flags, nxt)


def ops(names):
    return {n: OWN + i for i, n in enumerate(names.split())}


# virtq: size:u16 flags:u8 pad:u8 [desc avail used: u64 each if flags & 4].
VQ = ops("POP PUSH UNPOP COPY NOTIFY CHAIN INIT")
BUF = 0x20000   # the buffer area (fuzz_ring.h FZ_BUF_BASE)


def vq_hdr(size, flags=3, rings=None):
    h = struct.pack("<HBB", size, flags | (4 if rings else 0), 0)
    return h + (struct.pack("<QQQ", *rings) if rings else b"")


def vq_chain(segs, indirect=False, nested=False):
    ctl = (len(segs) - 1) | (0x20 if indirect else 0) | (0x40 if nested else 0)
    return bytes([VQ["CHAIN"], ctl]) + b"".join(
        struct.pack("<H", n | (0x8000 if w else 0)) for n, w in segs)


def vq_copy(off, ln, sel):
    return bytes([VQ["COPY"]]) + struct.pack("<IIB", off, ln, sel)


def vq_push(n, ln):
    return bytes([VQ["PUSH"], n]) + struct.pack("<I", ln)


POP = bytes([VQ["POP"]])
notify_all = b"".join(bytes([VQ["NOTIFY"], i]) for i in range(5))
save("virtq", [
    # A request-like chain: read it, write it, describe it, push it, notify.
    vq_hdr(16) + vq_chain([(16, 0), (512, 1), (1, 1)]) + POP + vq_copy(0, 16, 0) +
    vq_copy(0, 600, 1) + vq_copy(4, 400, 0x0e) + vq_push(0, 513) + notify_all,
    # The same through an indirect table, two chains, one given back.
    vq_hdr(16) + vq_chain([(16, 0), (100, 0), (200, 1)], indirect=True) +
    vq_chain([(64, 1)]) + POP + POP + bytes([VQ["UNPOP"], 1]) + POP + vq_push(1, 64) +
    vq_push(0, 200) + notify_all,
    # A loop a -> b -> a.
    vq_hdr(8) + r_desc(0, 0, BUF, 16, F_NEXT, 1) + r_desc(0, 1, BUF + 16, 16, F_NEXT, 0) +
    r_avail(0, 0) + POP + POP,
    # An indirect table inside an indirect table.
    vq_hdr(8) + vq_chain([(16, 0), (16, 1)], nested=True) + POP,
    # Addresses near 2^64, a length that wraps, a buffer at the end of RAM.
    vq_hdr(8) + r_desc(0, 0, 0xfffffffffffffff0, 32) + r_avail(0, 0) + POP +
    bytes([VQ["INIT"]]) + struct.pack("<HB", 8, 3) + r_desc(0, 0, BUF, 0xffffffff) +
    r_avail(0, 0) + POP + bytes([VQ["INIT"]]) + struct.pack("<HB", 8, 3) +
    r_desc(0, 0, 0x3fff8, 16, F_WRITE) + r_avail(0, 0) + POP,
    # More descriptors than the queue: a chain of 8 on a ring of 4.
    vq_hdr(4) + vq_chain([(8, 0)] * 8) + POP,
    # A size that is no power of two, then a good one; rings at odd places.
    vq_hdr(12) + POP + bytes([VQ["INIT"]]) + struct.pack("<HB", 8, 1) + vq_chain([(8, 1)]) + POP,
    vq_hdr(8, rings=(0x1008, 0x2001, 0x3002)) + POP,
    vq_hdr(8, rings=(0x1000, 0x2000, 0x3ffff)) + POP,
    # EVENT_IDX: used_event crossed or not, avail_event after enable.
    vq_hdr(8, flags=1) + r_flags(0, True, 1) + vq_chain([(8, 1)]) + vq_chain([(8, 1)]) +
    POP + POP + vq_push(0, 8) + notify_all + vq_push(0, 8) + notify_all,
    # An indirect table with a loop, one past its end, an empty one.
    vq_hdr(8) + r_tdesc(BUF, 0, BUF + 0x100, 8, F_NEXT, 1) +
    r_tdesc(BUF, 1, BUF + 0x108, 8, F_NEXT, 0) + r_desc(0, 0, BUF, 32, F_INDIRECT) +
    r_avail(0, 0) + POP + bytes([VQ["INIT"]]) + struct.pack("<HB", 8, 3) +
    r_desc(0, 0, BUF, 0, F_INDIRECT) + r_avail(0, 0) + POP,
])

# pci: flags:u8 nfn:u8, per function bars[6] caps fl; then ops.
PCI = {n: i for i, n in enumerate(
    "PIO CF8 CFC CFGW CFGR PLACE CMD MMIO IOBAR SIZE REG UNREG ADD RESET".split())}


def pci_fn(bars, caps=0, fl=0):
    return bytes(bars + [0] * (6 - len(bars))) + bytes([caps, fl])


def p_size(slot, bar):
    return bytes([PCI["SIZE"], slot, bar])


def p_cmd(slot, v):
    return bytes([PCI["CMD"], slot]) + struct.pack("<H", v)


def p_place(slot, bar, v, hi=None):
    return bytes([PCI["PLACE"], slot, bar | (0x80 if hi is not None else 0)]) + \
        struct.pack("<HI", v, hi or 0)


def p_mmio(slot, off, ln=4, write=False, val=0, bar2=False, io=False):
    code = {1: 0, 2: 1, 4: 2, 8: 3}[ln]
    return bytes([PCI["IOBAR" if io else "MMIO"], slot | (0x80 if bar2 else 0)]) + \
        struct.pack("<IBQ", off, (code << 1) | int(write), val)


def p_cf8(slot, reg, fn=0):
    return bytes([PCI["CF8"], slot, fn, reg, 0])


def p_cfc(off=0, ln=4, write=False, val=0):
    code = {1: 0, 2: 1, 4: 2}[ln]
    return bytes([PCI["CFC"], off | (4 if write else 0) | (code << 3)]) + struct.pack("<I", val)


def p_cfgw(slot, off, ln, val):
    return bytes([PCI["CFGW"], slot, off, ln]) + struct.pack("<I", val)


# Window 0xc0000000: PLACE v puts a memory BAR at 0xc0000000 - 0x10000 + (v << 12).
TWO_FN = bytes([0x3c, 1]) + pci_fn([2, 0, 0x83], caps=0x0a | (8 << 2), fl=4) + \
    pci_fn([0, 0, 4, 0, 0x80], caps=1)
save("pci", [
    # Size every BAR, decode, access, move over a device, move back, the ports.
    TWO_FN + p_size(1, 0) + p_size(1, 2) + p_size(2, 2) + p_size(2, 4) + p_cmd(1, 3) +
    p_cmd(2, 3) + p_mmio(1, 0x10) + p_mmio(1, 0x3ffc, 4, True, 7) + p_mmio(1, 4, io=True) +
    p_place(1, 0, 0x110) + p_mmio(1, 0) + p_place(1, 0, 0x200) + p_mmio(1, 8, 8) +
    p_cf8(1, 0) + p_cfc() + p_cfc(2, 2) + p_cf8(1, 4) + p_cfc(0, 2, True, 0) +
    p_cf8(1, 4) + p_cfc(0, 2, True, 3) + bytes([PCI["RESET"], 4]),
    # Attach after adding; a function held back (decoding on) and added.
    bytes([0x1 | 0x80, 2]) + pci_fn([1]) + pci_fn([0x81, 0x82]) +
    pci_fn([3], fl=1) + bytes([PCI["ADD"]]) + p_mmio(3, 0) + p_cmd(3, 0),
    # Every slot filled: the function held back finds none.
    bytes([0x40 | 0x80, 1]) + pci_fn([1]) + pci_fn([2]) + bytes([PCI["ADD"]]) +
    bytes([PCI["CFGR"], 31, 0, 4]),
    # Never attached: registers only.
    bytes([0x2, 0]) + pci_fn([2, 0, 0x81]) + p_size(1, 0) + p_cmd(1, 3) +
    p_place(1, 0, 0x300) + p_cfgw(1, 0x3c, 1, 0x0b) + bytes([PCI["CFGR"], 1, 0, 4]),
    # A 64-bit BAR placed above 4 GiB (outside the window), then back.
    bytes([0x0, 0]) + pci_fn([5]) + p_cmd(1, 2) + p_place(1, 0, 0x20, hi=1) +
    p_mmio(1, 0) + p_place(1, 0, 0x20, hi=0) + p_mmio(1, 0),
    # The OS's sizing through 0xcf8/0xcfc with decoding on.
    TWO_FN + p_cmd(1, 3) + p_cf8(1, 0x10) + p_cfc(0, 4, True, 0xffffffff) + p_cfc() +
    p_cfc(0, 4, True, 0xc0000000) + p_cf8(1, 0x18) + p_cfc(0, 4, True, 0xffffffff) +
    p_cfc() + p_cfc(0, 4, True, 0x1000),
    # Non-PCI ranges come and go under a BAR's feet; odd config accesses.
    TWO_FN + bytes([PCI["REG"], 0]) + struct.pack("<IH", 0x210000, 0x1000) + p_cmd(1, 3) +
    p_place(1, 0, 0x220) + bytes([PCI["UNREG"], 0]) + p_place(1, 0, 0x221) +
    p_place(1, 0, 0x220) + p_cfgw(1, 0xfe, 4, 0) + p_cfgw(1, 0x12, 2, 0xffff) +
    bytes([PCI["CFGR"], 1, 0xff, 2]) + bytes([PCI["CFGR"], 5, 0, 4]),
])

# virtio_pci: nq:u8 qmax:u8 offer:u64 flags:u8; ops.
VP = ops("BARW BARR CC MSIX CFGW CFGR MSIXCTL KICK COMPLETE MODE BREAK SETUP CHAIN MAP ISR")
EVENT_IDX, INDIRECT, VERSION_1 = 1 << 29, 1 << 28, 1 << 32


def vp_hdr(nq=2, qmax=4, offer=EVENT_IDX | INDIRECT, flags=0):
    return bytes([nq - 1, qmax]) + struct.pack("<QB", offer, flags)


def vp_setup(nq=2, msix=True, sizes=(4, 4, 4, 4), fmask=0xffffffffffffffff):
    return bytes([VP["SETUP"]]) + struct.pack("<QB", fmask, (nq - 1) | (4 if msix else 0)) + \
        bytes(sizes)


def vp_chain(q, rlen, wlen, ctl=1):
    return bytes([VP["CHAIN"], q]) + struct.pack("<HHB", rlen, wlen, ctl)


def vp_cc(field, v):
    return bytes([VP["CC"], field]) + struct.pack("<Q", v)


def vp_barw(off, v, ln=4, bus=False):
    code = {1: 0, 2: 1, 4: 2, 8: 3}[ln]
    return bytes([VP["BARW"]]) + struct.pack("<HBQ", off, code | (4 if bus else 0), v)


def vp_barr(off, ln=4, bus=False):
    code = {1: 0, 2: 1, 4: 2, 8: 3}[ln]
    return bytes([VP["BARR"]]) + struct.pack("<HB", off, code | (4 if bus else 0))


def vp_msix(v, field, val):
    return bytes([VP["MSIX"], v, field]) + struct.pack("<I", val)


def kick(q):
    return bytes([VP["KICK"], q])


CC_STATUS, CC_GFSELECT, CC_GF = 6, 2, 3
save("virtio_pci", [
    # A driver's set-up with MSI-X, a chain on each queue, kicks, the ISR.
    vp_hdr() + vp_setup() + vp_chain(0, 32, 64) + kick(0) + vp_chain(1, 16, 16, 8 | 2) +
    kick(1) + bytes([VP["ISR"]]) + vp_msix(1, 12, 1) + vp_chain(0, 8, 8) + kick(0) +
    vp_barr(0x5000, 8) + vp_msix(1, 12, 0),
    # Requests in flight through a reset, completed after it; set up again.
    vp_hdr() + vp_setup() + bytes([VP["MODE"], 1]) + vp_chain(0, 16, 16) + kick(0) +
    vp_cc(CC_STATUS, 0) + bytes([VP["COMPLETE"]]) + vp_setup() + vp_chain(0, 16, 16) +
    kick(0) + bytes([VP["COMPLETE"]]),
    # INTx: no MSI-X; the ISR read drops the line.
    vp_hdr() + vp_setup(msix=False) + vp_chain(0, 8, 8) + kick(0) + bytes([VP["ISR"]]) +
    bytes([VP["BREAK"], 1]) + bytes([VP["ISR"]]),
    # BAR 0 decoded: the doorbells follow it; accesses through the bus.
    vp_hdr() + vp_setup() + bytes([VP["MAP"]]) + struct.pack("<HB", 0x10, 2) +
    vp_chain(0, 8, 8) + vp_barw(0x3000, 0, 2, bus=True) +
    bytes([VP["MAP"]]) + struct.pack("<HB", 0x20, 2) + vp_barr(0x14, 1, bus=True) +
    bytes([VP["MAP"]]) + struct.pack("<HB", 0x20, 0),
    # A driver without VERSION_1 and one with a feature not offered.
    vp_hdr() + vp_cc(CC_STATUS, 3) + vp_cc(CC_GFSELECT, 0) + vp_cc(CC_GF, INDIRECT) +
    vp_cc(CC_STATUS, 0xb) + vp_cc(CC_STATUS, 0) + vp_cc(CC_STATUS, 3) +
    vp_cc(CC_GFSELECT, 1) + vp_cc(CC_GF, 3) + vp_cc(CC_STATUS, 0xb) + bytes([VP["ISR"]]),
    # The largest transport: the last vector, masked, pending, then delivered.
    vp_hdr(nq=64, qmax=2) + bytes([VP["MSIXCTL"]]) + struct.pack("<H", 0x8000) +
    vp_msix(64, 0, 0xfee00000) + vp_msix(64, 8, 0x4f) + vp_cc(8, 63) + vp_cc(10, 64) +
    vp_barr(0x5008, 8) + vp_msix(64, 12, 0) + vp_barr(0x5008, 8),
    # Chains that break the queue (device mode 4): DEVICE_NEEDS_RESET, reset.
    vp_hdr() + vp_setup() + bytes([VP["MODE"], 4]) + vp_chain(0, 8, 8, 0x10 | 1) +
    kick(0) + vp_cc(CC_STATUS, 0) + vp_setup() + vp_chain(0, 8, 8) + kick(0),
    # Every register read, device config written, the function masked.
    vp_hdr() + b"".join(vp_barr(o, 1) for o in range(0, 0x38, 2)) + vp_barw(0x2000, 0x1234) +
    vp_barr(0x2000, 8) + vp_barr(0x4000) + bytes([VP["MSIXCTL"]]) + struct.pack("<H", 0xc000) +
    bytes([VP["CFGR"], 0x40, 3]) + vp_setup() + vp_chain(0, 8, 8) + kick(0) +
    bytes([VP["MSIXCTL"]]) + struct.pack("<H", 0x8000),
])

# virtio_blk: flags:u8 qsize:u8 drop:u8; ops.
BLK = ops("REQ KICK COMPLETE RESET START CONFIG")
T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WZ, T_UNKNOWN, T_RAW = range(8)


def b_req(q, t, sector, nsec=1, nseg=1, ctl=0, raw=None, dwz=None):
    b = bytes([BLK["REQ"], q, t]) + struct.pack("<IBBB", sector, nsec, nseg, ctl)
    if t == T_RAW:
        b += struct.pack("<I", raw)
    if t in (T_DISCARD, T_WZ):
        b += struct.pack("<III", *dwz)
    return b


def b_kick(q=0):
    return bytes([BLK["KICK"], q])


WAIT = bytes([BLK["COMPLETE"], 1])
save("virtio_blk", [
    # A valid write, read back, flush and GET_ID.
    bytes([0, 4, 0]) + b_req(0, T_OUT, 3, 2, 2) + b_kick() + WAIT + b_req(0, T_IN, 3, 2, 3) +
    b_req(0, T_FLUSH, 0) + b_kick() + WAIT + b_req(0, T_GET_ID, 0, 20) + b_kick(),
    # Discard, write-zeroes (and with unmap), read back through indirect tables.
    bytes([0, 4, 0]) + b_req(0, T_OUT, 8, 8) + b_kick() + WAIT +
    b_req(0, T_DISCARD, 0, dwz=(8, 8, 0)) + b_req(0, T_WZ, 0, dwz=(16, 8, 1)) +
    b_req(0, T_WZ, 0, dwz=(24, 8, 0)) + b_kick() + WAIT + b_req(0, T_IN, 8, 24, 4, 1) +
    b_kick() + WAIT,
    # The read-only disk: a write refused, a read done.
    bytes([1, 4, 0]) + b_req(0, T_OUT, 0) + b_req(0, T_IN, 0, 4) +
    b_req(0, T_DISCARD, 0, dwz=(0, 8, 0)) + b_kick() + WAIT,
    # More requests than slots: the queue waits for completions.
    bytes([0, 5, 0]) + b"".join(b_req(0, T_IN, i, 1) for i in range(12)) + b_kick() +
    bytes([BLK["COMPLETE"], 0]) + WAIT,
    # A reset with I/O in flight; the queue started again.
    bytes([0, 4, 0]) + b"".join(b_req(0, T_OUT, i * 2, 2) for i in range(4)) + b_kick() +
    bytes([BLK["RESET"]]) + bytes([BLK["START"], 0]) + b_req(0, T_IN, 0, 8) + b_kick() + WAIT,
    # Two queues, EVENT_IDX asking for an interrupt after the second entry.
    bytes([2, 4, 0]) + r_flags(0, True, 1) + b_req(0, T_IN, 0) + b_req(0, T_IN, 1) +
    b_req(1, T_OUT, 2) + b_kick(0) + b_kick(1) + WAIT + bytes([BLK["CONFIG"], 0, 3]),
    # Malformed: no status, a short header, wrong direction, odd length,
    # past the end, an unknown type, two discard segments, bad flags.
    bytes([0, 4, 0]) + b_req(0, T_IN, 0, 1, 1, 0x40) + b_req(0, T_IN, 0, 1, 1, 4) +
    b_req(0, T_OUT, 0, 1, 1, 8) + b_req(0, T_IN, 2, 4, 1, 0x80) + b_req(0, T_UNKNOWN, 0) +
    b_req(0, T_RAW, 0, raw=0xffffffff) + b_req(0, T_DISCARD, 0, ctl=4, dwz=(0, 1, 0)) +
    b_req(0, T_WZ, 0, dwz=(0, 1, 2)) + b_req(0, T_GET_ID, 0, 3, 1, 0x10) + b_kick() + WAIT +
    b_req(0, T_IN, 0, 1, 1, 0x20) + b_kick(),
    # Four queues, with EVENT_IDX and indirect descriptors turned off.
    bytes([6, 4, 3]) + b"".join(b_req(q, T_IN, q, 1, 2) + b_kick(q) for q in range(4)) + WAIT,
    # The disk on tmpfs: write-zeroes falls back to punching a hole.
    bytes([8, 4, 0]) + b_req(0, T_OUT, 0, 8) + b_kick() + WAIT +
    b_req(0, T_WZ, 0, dwz=(0, 8, 0)) + b_kick() + WAIT + b_req(0, T_IN, 0, 8) + b_kick() + WAIT,
])

# virtio_net: offloads:u8 qsize:u8 drop:u32 pairs:u8; ops (queue 0 rx, 1 tx).
NET = ops("TX RXBUF PKT KICK RX RESET START HOST CONFIG")
MRG_RXBUF = 1 << 15


def n_tx(ln, nseg=1, ctl=0, hdr=(0, 0, 0, 0)):
    return bytes([NET["TX"]]) + struct.pack("<HBB", ln, nseg, ctl) + bytes(hdr)


def n_rxbuf(ln, nseg=1, ctl=0):
    return bytes([NET["RXBUF"]]) + struct.pack("<HBB", ln // 2, nseg, ctl)


def n_pkt(ln, fill=0x77):
    return bytes([NET["PKT"]]) + struct.pack("<HB", ln // 2, fill)


RX = bytes([NET["RX"]])
save("virtio_net", [
    # Valid transmit frames: one piece, the header alone first, several.
    bytes([0x1f, 4]) + struct.pack("<I", 0) + bytes([0]) + n_tx(60) + n_tx(1500, 3, 2) +
    n_tx(100, 1, 1, (1, 1, 54, 0)) + bytes([NET["KICK"], 1]),
    # Receive into buffers, with MRG_RXBUF: a small and a big packet.
    bytes([0x1f, 4]) + struct.pack("<I", 0) + bytes([0]) + n_rxbuf(1526) + n_rxbuf(1526) +
    n_pkt(100) + RX + n_rxbuf(1024) + n_rxbuf(1024, 2) + n_rxbuf(1024, 1, 1) +
    n_rxbuf(1024) + n_pkt(4000, 0x33) + RX,
    # Without MRG_RXBUF: a packet bigger than a chain is dropped.
    bytes([0, 4]) + struct.pack("<I", MRG_RXBUF) + bytes([0]) + n_rxbuf(256) + n_rxbuf(2048) +
    n_pkt(1000) + n_pkt(200) + RX,
    # A starved ring: the packet waits for buffers and a kick.
    bytes([1, 4]) + struct.pack("<I", 0) + bytes([0]) + n_pkt(500) + RX + n_rxbuf(256) +
    n_rxbuf(256) + bytes([NET["KICK"], 0]),
    # The host end failing: sendv, recv, end of file, configure.
    bytes([1, 4]) + struct.pack("<I", 0) + bytes([0]) + bytes([NET["HOST"], 1]) + n_tx(60) +
    bytes([NET["KICK"], 1, NET["HOST"], 2]) + n_rxbuf(256) + RX + bytes([NET["HOST"], 4]) +
    RX + bytes([NET["HOST"], 8, NET["RESET"], NET["START"], 0, NET["HOST"], 0, NET["START"], 0]) +
    n_pkt(64) + n_rxbuf(256) + bytes([NET["KICK"], 0]),
    # Chains that break a queue, then a reset and a fresh start.
    bytes([1, 4]) + struct.pack("<I", 0) + bytes([0]) + n_rxbuf(256, 1, 2) + n_pkt(64) + RX +
    n_tx(60, 1, 8) + bytes([NET["KICK"], 1, NET["RESET"], NET["START"], 0, NET["START"], 1]) +
    n_tx(60) + bytes([NET["KICK"], 1]) + n_rxbuf(256) + n_pkt(64) + RX,
    # vmm/tap.c's back end on a socketpair: frames out, packets in, the far
    # end closing (end of file), and no longer reading.
    bytes([0x80, 4]) + struct.pack("<I", 0) + bytes([0]) + n_tx(60) + n_tx(1400, 4, 2) +
    bytes([NET["KICK"], 1]) + n_rxbuf(2048) + n_rxbuf(2048) + n_pkt(100) + n_pkt(3000, 0x31) +
    RX + n_rxbuf(256) + bytes([NET["HOST"], 5]) + RX + n_tx(60) + bytes([NET["KICK"], 1]),
    # Multiqueue features offered; EVENT_IDX asking after the second used entry.
    bytes([0x1f, 3]) + struct.pack("<I", 0) + bytes([3]) + r_flags(0, True, 1) +
    n_rxbuf(128) + n_rxbuf(128) + n_rxbuf(128) + n_pkt(64) + n_pkt(64) + n_pkt(64) + RX +
    bytes([NET["CONFIG"], 0, 3, NET["CONFIG"], 8, 1]),
])

# net_ctrl: max:u16 qsize:u8 flags:u8; ops.
CTRL = ops("CMD PAIRS KICK RESET START REFUSE")


def c_pairs(n, ctl=0):
    return bytes([CTRL["PAIRS"]]) + struct.pack("<HB", n, ctl)


def c_cmd(cls, cmd, data=b"", ctl=0):
    return bytes([CTRL["CMD"], cls, cmd, len(data), ctl]) + data


CKICK = bytes([CTRL["KICK"]])
save("net_ctrl", [
    # VQ_PAIRS_SET in range, as Linux lays it out.
    struct.pack("<HBB", 4, 4, 2) + c_pairs(2) + CKICK + c_pairs(4) + c_pairs(1) + CKICK,
    # Out of range, another class and command, short data.
    struct.pack("<HBB", 4, 4, 2) + c_pairs(0) + c_pairs(5) + c_cmd(4, 1, b"\x02\x00") +
    c_cmd(1, 0, b"\x01") + c_cmd(4, 0, b"\x02") + CKICK,
    # set_pairs refusing.
    struct.pack("<HBB", 8, 4, 2) + bytes([CTRL["REFUSE"], 1]) + c_pairs(2) + CKICK +
    bytes([CTRL["REFUSE"], 0]) + c_pairs(2) + CKICK,
    # Other layouts: one buffer, the header split, a 4-byte ack, indirect.
    struct.pack("<HBB", 4, 4, 2) + c_pairs(3, 2) + c_pairs(2, 4) + c_pairs(3, 8) +
    c_pairs(2, 1) + CKICK,
    # Chains that break the queue, a reset, a fresh start.
    struct.pack("<HBB", 4, 4, 2) + c_pairs(2, 0x10) + CKICK + c_pairs(2) + CKICK +
    bytes([CTRL["RESET"], CTRL["START"]]) + c_pairs(2, 0x20) + CKICK +
    bytes([CTRL["RESET"], CTRL["START"]]) + c_pairs(2, 0x40) + CKICK +
    bytes([CTRL["RESET"], CTRL["START"]]) + c_pairs(3) + CKICK,
    # The most pairs; no set_pairs callback; EVENT_IDX.
    struct.pack("<HBB", 0x8000, 4, 7) + r_flags(0, True, 1) + c_pairs(0x8000) +
    c_pairs(0x8001) + c_pairs(1) + CKICK,
    # max_pairs 0 is refused (the harness falls back to 1).
    struct.pack("<HBB", 0, 3, 0) + c_pairs(1) + c_pairs(2) + CKICK,
])
print("seeds written under tests/fuzz/corpus/")
