#!/usr/bin/env python3
"""Writes synthetic /proc/iomem dumps for the benchmarks (nothing generated is committed).

usage: gen.py iomem TOTAL REGIONS OUT     one machine: REGIONS System RAM blocks over TOTAL bytes
                                          (e.g. 64G, 64T), each followed by a 2 MiB top-level
                                          `reserved` (no-map) hole, from 0x40000000; the kernel
                                          image nested in the first block as the kernel prints it
       gen.py batch COUNT DIR             COUNT small machines (1 to 32 banks, 1 to 64 GiB, a few
                                          no-map holes), varied deterministically, as DIR/NNNN.iomem
"""
import os, random, sys

MiB = 1 << 20
UNITS = {"K": 1 << 10, "M": MiB, "G": 1 << 30, "T": 1 << 40}


def size(text):
    return int(text[:-1]) * UNITS[text[-1].upper()] if text[-1].upper() in UNITS else int(text, 0)


def line(start, end, name, depth=0):
    return f"{'  ' * depth}{start:08x}-{end - 1:08x} : {name}\n"


def machine(blocks, image_at=None):
    """blocks: [(start, size, nomap)], sorted. The kernel image goes at the first RAM block + 2 MiB."""
    out = []
    placed = False
    for start, length, nomap in blocks:
        out.append(line(start, start + length, "reserved" if nomap else "System RAM"))
        if not nomap and not placed and length >= 32 * MiB:
            code = start + 2 * MiB
            out.append(line(code, code + 16 * MiB, "Kernel code", 1))
            out.append(line(code + 16 * MiB, code + 26 * MiB, "Kernel data", 1))
            placed = True
    return "".join(out)


def uniform(total, regions):
    hole = 2 * MiB
    stride = total // regions // (2 * MiB) * (2 * MiB)
    if stride <= hole:
        sys.exit(f"{regions} regions do not fit in {total} bytes with 2 MiB holes")
    base = 0x40000000
    blocks = []
    for i in range(regions):
        start = base + i * stride
        blocks.append((start, stride - hole, False))
        blocks.append((start + stride - hole, hole, True))
    return machine(blocks)


def varied(rng):
    banks = rng.choice([1, 1, 2, 2, 3, 4, 8, 16, 32])
    total = rng.choice([1, 2, 4, 6, 8, 12, 16, 32, 64]) << 30
    base = rng.choice([0x40000000, 0x80000000, 0x800000000 // 8, 0])
    per = max(64 * MiB, total // banks // (2 * MiB) * (2 * MiB))
    blocks, at = [], base
    for i in range(banks):
        blocks.append((at, per, False))
        at += per
        if rng.random() < 0.5:
            hole = rng.choice([2, 4, 16, 64]) * MiB
            blocks.append((at, hole, True))
            at += hole
        if rng.random() < 0.3:
            at += rng.choice([256, 1024, 4096]) * MiB
    return machine(blocks)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "iomem":
        text = uniform(size(sys.argv[2]), int(sys.argv[3]))
        with open(sys.argv[4], "w") as f:
            f.write(text)
    elif len(sys.argv) == 4 and sys.argv[1] == "batch":
        count, out = int(sys.argv[2]), sys.argv[3]
        os.makedirs(out, exist_ok=True)
        rng = random.Random(20261121)
        for i in range(count):
            with open(os.path.join(out, f"{i:04d}.iomem"), "w") as f:
                f.write(varied(rng))
    else:
        sys.exit(__doc__)


main()
