"""GDB remote-serial-protocol client for QEMU's gdbstub and an arm64 TTBR1 page-table walker.

Speaks the protocol directly over a unix socket (no gdb needed). Used by observe.py to read
TTBR1_EL1 / TCR_EL1 / MAIR_EL1 of the stopped guest and to walk the live linear map with physical
memory reads (QEMU's `Qqemu.PhyMemMode:1`).

Written from the ARM architecture's description of VMSAv8-64 translation tables (descriptor bits:
valid/table/block, Contiguous = bit 52, AP[2] = bit 7, 52-bit OA with TCR_EL1.DS = 1 keeps OA[51:50] in
bits [9:8]) and the GDB remote protocol documentation.
"""

import math
import re
import socket
import struct
import time


class RSPError(Exception):
    pass


class RSP:
    def __init__(self, path, timeout=30.0):
        deadline = time.time() + timeout
        last = None
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                break
            except OSError as e:  # socket not there yet
                last = e
                s.close()
                if time.time() > deadline:
                    raise RSPError(f"cannot connect to gdbstub {path}: {last}")
                time.sleep(0.1)
        s.settimeout(timeout)
        self.sock = s
        self.buf = b""
        self.packet_size = 4096

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _read_byte(self):
        if not self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RSPError("gdbstub closed the connection")
            self.buf = chunk
        b = self.buf[:1]
        self.buf = self.buf[1:]
        return b

    def _send(self, payload: bytes):
        csum = sum(payload) & 0xFF
        pkt = b"$" + payload + b"#" + b"%02x" % csum
        for _ in range(5):
            self.sock.sendall(pkt)
            while True:
                c = self._read_byte()
                if c == b"+":
                    return
                if c == b"-":
                    break
                # anything else (e.g. a stray stop notification start) is ignored until ack
        raise RSPError("gdbstub did not acknowledge packet")

    def _recv(self) -> bytes:
        while True:
            c = self._read_byte()
            if c == b"$":
                break
        data = bytearray()
        while True:
            c = self._read_byte()
            if c == b"#":
                break
            data += c
        self._read_byte()
        self._read_byte()  # checksum (trusted: local socket)
        self.sock.sendall(b"+")
        # run-length decoding
        out = bytearray()
        i = 0
        while i < len(data):
            ch = data[i]
            if ch == 0x2A and out:  # '*'
                n = data[i + 1] - 29
                out += bytes([out[-1]]) * n
                i += 2
                continue
            out.append(ch)
            i += 1
        return bytes(out)

    def cmd(self, payload: str) -> bytes:
        self._send(payload.encode())
        return self._recv()

    # ------------------------------------------------------------------ helpers
    def handshake(self):
        r = self.cmd("qSupported:xmlRegisters=aarch64")
        m = re.search(rb"PacketSize=([0-9a-fA-F]+)", r)
        if m:
            self.packet_size = int(m.group(1), 16)
        self.cmd("?")
        return r

    def xfer(self, obj, annex):
        out = b""
        off = 0
        while True:
            r = self.cmd(f"qXfer:{obj}:read:{annex}:{off:x},{0xF00:x}")
            if not r or r[:1] not in (b"m", b"l"):
                raise RSPError(f"qXfer {annex} failed: {r[:40]!r}")
            chunk = _unescape(r[1:])
            out += chunk
            off += len(chunk)
            if r[:1] == b"l":
                return out

    def register_numbers(self):
        """Map register name -> number from the target description (target.xml and its includes)."""
        names = {}
        counter = [0]

        def load(annex):
            text = self.xfer("features", annex).decode()
            for m in re.finditer(r"<(?:xi:)?include\s+href=\"([^\"]+)\"|<reg\s([^>]*)>", text):
                if m.group(1):
                    load(m.group(1))
                    continue
                attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
                if "regnum" in attrs:
                    counter[0] = int(attrs["regnum"])
                names[attrs["name"]] = counter[0]
                counter[0] += 1

        load("target.xml")
        return names

    def read_register(self, num):
        r = self.cmd(f"p{num:x}")
        if r.startswith(b"E") or not r:
            raise RSPError(f"cannot read register {num}: {r!r}")
        return int.from_bytes(bytes.fromhex(r.decode()), "little")

    def phys_mode(self, on=True):
        r = self.cmd(f"Qqemu.PhyMemMode:{1 if on else 0}")
        if r != b"OK":
            raise RSPError(f"Qqemu.PhyMemMode not supported: {r!r}")

    def read_mem(self, addr, length):
        out = bytearray()
        step = max(256, min(2048, (self.packet_size - 32) // 2))
        while length > 0:
            n = min(step, length)
            r = self.cmd(f"m{addr:x},{n:x}")
            if r.startswith(b"E") or len(r) != 2 * n:
                raise RSPError(f"memory read at {addr:#x} failed: {r[:20]!r}")
            out += bytes.fromhex(r.decode())
            addr += n
            length -= n
        return bytes(out)

    def detach(self):
        try:
            self._send(b"D")
            self._recv()
        except (RSPError, OSError):
            pass


def _unescape(b: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(b):
        if b[i] == 0x7D:
            out.append(b[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(b[i])
            i += 1
    return bytes(out)


# ---------------------------------------------------------------------- page-table walk
CONT_BIT = 1 << 52
AP2_BIT = 1 << 7


def translation_params(tcr, ttbr1):
    tg1 = (tcr >> 30) & 3
    granule = {1: 16384, 2: 4096, 3: 65536}.get(tg1)
    if granule is None:
        raise RSPError(f"unexpected TCR_EL1.TG1={tg1}")
    t1sz = (tcr >> 16) & 0x3F
    va_bits = 64 - t1sz
    ds = (tcr >> 59) & 1
    pgshift = int(math.log2(granule))
    bpl = pgshift - 3
    levels = math.ceil((va_bits - pgshift) / bpl)
    start_level = 4 - levels
    base = ttbr1 & 0x0000FFFFFFFFFFC0
    if ds:
        base |= ((ttbr1 >> 2) & 0xF) << 48
    return {
        "granule": granule,
        "vaBits": va_bits,
        "t1sz": t1sz,
        "ds": ds,
        "pgshift": pgshift,
        "bitsPerLevel": bpl,
        "levels": levels,
        "startLevel": start_level,
        "tableBase": base,
    }


def _oa(desc, ds, shift):
    """Output (or next-table) address of a descriptor, aligned to 2^shift."""
    if ds:
        a = desc & ((1 << 50) - 1)
        a |= ((desc >> 8) & 3) << 50
    else:
        a = desc & 0x0000FFFFFFFFFFFF
    return a & ~((1 << shift) - 1)


def walk_linear_map(rsp, tcr, ttbr1):
    """Walk the lower half of the TTBR1 range (the linear map).

    Returns (params, runs, ro_runs, stats): runs = [(pa_start, pa_end, leaf_size, contiguous)] merged
    while VA and PA both continue with the same leaf size and Contiguous bit; ro_runs = PA ranges
    whose leaf descriptor has AP[2] = 1 (read-only)."""
    p = translation_params(tcr, ttbr1)
    granule, ds, pgshift, bpl = p["granule"], p["ds"], p["pgshift"], p["bitsPerLevel"]
    va_bits = p["vaBits"]
    region_base = (1 << 64) - (1 << va_bits)
    linear_end = region_base + (1 << (va_bits - 1))
    top_entries = 1 << (va_bits - pgshift - bpl * (p["levels"] - 1))

    runs = []
    ro = []
    stats = {"tablesRead": 0, "leaves": 0}
    cur = None  # [va_start, va_end, pa_start, pa_end, size, cont]
    cur_ro = None

    def emit(va, pa, size, cont, readonly):
        nonlocal cur, cur_ro
        stats["leaves"] += 1
        if cur and cur[1] == va and cur[3] == pa and cur[4] == size and cur[5] == cont:
            cur[1] += size
            cur[3] += size
        else:
            if cur:
                runs.append((cur[2], cur[3], cur[4], cur[5]))
            cur = [va, va + size, pa, pa + size, size, cont]
        if readonly:
            if cur_ro and cur_ro[1] == pa:
                cur_ro[1] += size
            else:
                if cur_ro:
                    ro.append(tuple(cur_ro))
                cur_ro = [pa, pa + size]

    def level_shift(level):
        return pgshift + bpl * (3 - level)

    def walk(table_pa, level, va_base, nentries):
        stats["tablesRead"] += 1
        raw = rsp.read_mem(table_pa, nentries * 8)
        shift = level_shift(level)
        for i, desc in enumerate(struct.unpack(f"<{nentries}Q", raw)):
            va = va_base + (i << shift)
            if va >= linear_end:
                return
            if not desc & 1:
                continue
            is_table = desc & 2
            if level < 3 and is_table:
                walk(_oa(desc, ds, pgshift), level + 1, va, granule // 8)
            elif level == 3 and is_table:
                emit(va, _oa(desc, ds, shift), 1 << shift, bool(desc & CONT_BIT), bool(desc & AP2_BIT))
            elif level < 3 and not is_table:
                emit(va, _oa(desc, ds, shift), 1 << shift, bool(desc & CONT_BIT), bool(desc & AP2_BIT))

    walk(p["tableBase"], p["startLevel"], region_base, top_entries)
    if cur:
        runs.append((cur[2], cur[3], cur[4], cur[5]))
    if cur_ro:
        ro.append(tuple(cur_ro))
    p["linearRegionVA"] = [region_base, linear_end]
    return p, runs, ro, stats
