#!/usr/bin/env python3
"""Builds the seed corpus of one fuzz target from the project's own data (nothing is copied into git).

usage: seeds.py TARGET OUTDIR    TARGET is dtb, iomem, cmdline, plan or memblock

dtb:     Tests/Data/{shared/dtb,embedded,malformed}/*.dtb and Scenarios/*/observed/guest.dtb
         (the latter re-emitted by dtc without QEMU's 1 MiB padding)
iomem:   Tests/Data/shared/iomem/*.txt and Tests/Data/malformed/*.iomem
cmdline: every command line in Tests/Data/shared/cmdlines/crashkernel-cmdlines.json and in
         Scenarios/*/observed/observation.json, behind FuzzCmdline's 9-byte header
         (version index, System RAM little-endian)
plan:    (cmdline, machine) pairs in FuzzPlan's format: 2-byte little-endian command-line length,
         the command line, a flags byte, a choice byte (profile and report), then a DTB or
         /proc/iomem text; each of the twelve choices comes up about equally often
"""
import glob, json, os, struct, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def files(*patterns):
    out = []
    for p in patterns:
        out += sorted(glob.glob(os.path.join(ROOT, p)))
    return out


def compact(path):
    """A QEMU guest.dtb is padded to 1 MiB (totalsize 0x100000); dtc re-emits it without the padding,
    which makes each execution ~100 times cheaper. Falls back to the file as is without dtc."""
    data = open(path, "rb").read()
    if len(data) <= 256 << 10:
        return data
    try:
        return subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dtb", path], check=True,
                              capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return data


def cmdlines():
    lines = []
    with open(os.path.join(ROOT, "Tests/Data/shared/cmdlines/crashkernel-cmdlines.json")) as f:
        for entry in json.load(f):
            lines += entry.get("crashkernel_lines", [])
    for obs in files("Scenarios/*/observed/observation.json"):
        with open(obs) as f:
            data = json.load(f)
        def walk(v):
            if isinstance(v, dict):
                for k, x in v.items():
                    if k == "cmdline" and isinstance(x, str):
                        lines.append(x)
                    else:
                        walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(data)
    lines += ["", "crashkernel=", "crashkernel=0", "crashkernel=1G-:0", "crashkernel=512M,high crashkernel=0,low",
              "crashkernel=0x40000000@0x80000000", "\"crashkernel=256M\" -- crashkernel=1G"]
    seen, out = set(), []
    for l in lines:
        if l not in seen:
            seen.add(l)
            out.append(l)
    return out


def main():
    target, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    def put(name, data):
        nonlocal n
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        n += 1
    if target == "dtb":
        for p in files("Tests/Data/shared/dtb/*.dtb", "Tests/Data/embedded/*.dtb", "Tests/Data/malformed/*.dtb"):
            put(os.path.basename(p), open(p, "rb").read())
        for p in files("Scenarios/*/observed/guest.dtb"):
            put(p.split(os.sep)[-3] + ".dtb", compact(p))
    elif target == "iomem":
        for p in files("Tests/Data/shared/iomem/*.txt", "Tests/Data/malformed/*.iomem"):
            put(os.path.basename(p), open(p, "rb").read())
    elif target == "cmdline":
        rams = [2 << 30, 8 << 30, 64 << 30, 0, (1 << 64) - 1]
        for i, l in enumerate(cmdlines()):
            for j, ram in enumerate(rams[:3] if i % 4 else rams):
                put(f"cmdline-{i:03d}-{j}", bytes([(i + j) % 256]) + struct.pack("<Q", ram) + l.encode())
    elif target == "plan":
        lines = cmdlines()
        machines = files("Tests/Data/shared/dtb/*.dtb", "Tests/Data/embedded/*.dtb",
                         "Scenarios/*/observed/guest.dtb", "Tests/Data/shared/iomem/*.txt")
        for i, p in enumerate(machines):
            l = lines[i % len(lines)].encode()[:0xffff]
            name = (p.split(os.sep)[-3] if p.endswith("guest.dtb") else os.path.basename(p))
            flags = (i * 37) % 256 & ~0x0c   # kexec planned with kexec_load in every seed
            choice = i % 12
            put(f"plan-{i:03d}-{name}", struct.pack("<H", len(l)) + l + bytes([flags, choice]) + compact(p))
    elif target == "memblock":
        # add two regions of different flags, reserve across them, then carve and free.
        put("memblock-0", bytes([0, 0, 0, 40, 0, 0, 40, 64, 4, 4, 30, 50, 0, 2, 10, 20, 0x84, 4, 35, 45, 0, 5, 36, 38, 0]))
        put("memblock-1", bytes([1, 0, 10, 20, 8, 0, 20, 30, 16, 0, 30, 40, 9, 3, 15, 35, 8, 1, 18, 22, 0]))
    elif target == "saved":
        for p in files("Scenarios/*/expected/plan.json"):
            put(p.split(os.sep)[-3] + ".json", open(p, "rb").read())
        put("nested", b"[" * 70)
        put("numbers", b'{"a": 18446744073709551615, "b": -9223372036854775808, "c": 1e400, "d": "\\ud83d\\ude00"}')
    else:
        sys.exit(f"unknown target {target}")
    print(f"{n} seeds for {target} in {outdir}", file=sys.stderr)


main()
