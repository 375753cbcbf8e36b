#!/usr/bin/env python3
"""ckplan kernel-observation harness.

Boots Debian's real arm64 kernels under qemu-system-aarch64 (TCG) with a tiny busybox initramfs,
walks the live linear map over QEMU's gdbstub, and records what the kernel did in
Scenarios/<name>/observed/ (observation.json, console.log, guest.dtb, guest.dts).

    observe.py <scenario> [<scenario> ...]   (re)observe scenarios from scenarios.json
    observe.py --all                          every scenario, one boot at a time
    observe.py --check <scenario>             re-run one and diff against the committed observation
    observe.py --list                         list the scenarios

Caches (.debs, extracted kernels, initramfs, DTBs) live in $CKOBS_CACHE (default /work/obs-cache),
never in the repository. See README.md.
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gdbwalk  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CACHE = os.environ.get("CKOBS_CACHE", "/work/obs-cache")
HARNESS_VERSION = "1.0"
SCHEMA = "ckplan/observation/1"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
MIRROR = os.environ.get("CKOBS_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("CKOBS_SECURITY_MIRROR", "http://deb.debian.org/debian-security")

CPU_MODEL = "max,pauth-impdef=on"
MACHINE = "virt,dtb-randomness=off"
SMP = 2
BASE_CMDLINE = "console=ttyAMA0 nokaslr"
DEFAULT_TIMEOUT = 300

FLAVOURS = {
    "debian-6.1-arm64": {
        "package": "linux-image-6.1.0-56-arm64-unsigned",
        "family": r"^linux-image-6\.1\.0-[0-9]+-arm64-unsigned$",
    },
    "debian-6.12-arm64": {
        "package": "linux-image-6.12.107+deb13-arm64-unsigned",
        "family": r"^linux-image-6\.12\.[0-9]+\+deb13-arm64-unsigned$",
    },
    "debian-6.12-arm64-16k": {
        "package": "linux-image-6.12.107+deb13-arm64-16k-unsigned",
        "family": r"^linux-image-6\.12\.[0-9]+\+deb13-arm64-16k-unsigned$",
    },
}
BUSYBOX_PKG = "busybox-static"

HOST_TOOLS = {"qemu-system-aarch64": "qemu-system-arm", "dtc": "device-tree-compiler", "dpkg-deb": "dpkg"}


def log(msg):
    print(f"[observe {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ sizes
def parse_size(v):
    if isinstance(v, int):
        return v
    s = str(v).strip()
    m = re.fullmatch(r"(0x[0-9a-fA-F]+|\d+)([KMGT]?)", s)
    if not m:
        raise ValueError(f"bad size {v!r}")
    n = int(m.group(1), 0)
    return n << {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2)]


def qemu_mem_arg(v):
    n = parse_size(v)
    if n % (1 << 30) == 0:
        return f"{n >> 30}G"
    return f"{n >> 20}M"


def align_up(x, a):
    return (x + a - 1) // a * a


# ------------------------------------------------------------------------------ host tools
def ensure_host_tools():
    missing = [pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None]
    if missing:
        log(f"installing host packages: {' '.join(missing)}")
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


# ------------------------------------------------------------------------------ private apt root
def apt_root():
    return os.path.join(CACHE, "aptroot")


def apt_opts():
    r = apt_root()
    return [
        "-o", f"Dir={r}", "-o", f"Dir::Etc={r}/etc/apt", "-o", f"Dir::Etc::sourcelist={r}/etc/apt/sources.list",
        "-o", f"Dir::Etc::sourceparts={r}/etc/apt/sources.list.d",
        "-o", f"Dir::Etc::preferencesparts={r}/etc/apt/preferences.d",
        "-o", f"Dir::State={r}/var/lib/apt", "-o", f"Dir::State::status={r}/var/lib/dpkg/status",
        "-o", f"Dir::Cache={r}/var/cache/apt", "-o", "APT::Architecture=arm64",
        "-o", "APT::Architectures=arm64", "-o", "Debug::NoLocking=1",
        "-o", "APT::Sandbox::User=root",
    ]


def ensure_apt_root():
    r = apt_root()
    lists = os.path.join(r, "var/lib/apt/lists")
    for d in ["etc/apt/sources.list.d", "etc/apt/preferences.d", "var/lib/dpkg",
              "var/cache/apt/archives/partial", "var/lib/apt/lists/partial"]:
        os.makedirs(os.path.join(r, d), exist_ok=True)
    status = os.path.join(r, "var/lib/dpkg/status")
    if not os.path.exists(status):
        open(status, "w").close()
    src = os.path.join(r, "etc/apt/sources.list")
    want = (
        f"deb [signed-by={KEYRING}] {MIRROR} bookworm main\n"
        f"deb [signed-by={KEYRING}] {SECURITY_MIRROR} bookworm-security main\n"
        f"deb [signed-by={KEYRING}] {MIRROR} trixie main\n"
    )
    if not os.path.exists(src) or open(src).read() != want:
        with open(src, "w") as f:
            f.write(want)
    if not any(n.endswith("Packages") or "Packages" in n for n in os.listdir(lists)):
        log("private apt root: apt-get update")
        subprocess.run(["apt-get", *apt_opts(), "update", "-q"], check=True)


_MEMO = None


def _memo():
    """apt-cache answers cached on disk, keyed by the package lists' mtime (apt-cache is slow here)."""
    global _MEMO
    lists = os.path.join(apt_root(), "var/lib/apt/lists")
    stamp = str(max((os.path.getmtime(os.path.join(lists, f)) for f in os.listdir(lists)), default=0))
    path = os.path.join(CACHE, "apt-memo.json")
    if _MEMO is None:
        try:
            _MEMO = json.load(open(path))
        except (OSError, ValueError):
            _MEMO = {}
        if _MEMO.get("stamp") != stamp:
            _MEMO = {"stamp": stamp}
    return _MEMO, path


def memoized(key, fn):
    memo, path = _memo()
    if key not in memo:
        memo[key] = fn()
        with open(path, "w") as f:
            json.dump(memo, f)
    return memo[key]


def apt_candidate(pkg, release=None):
    return memoized(f"candidate:{pkg}:{release}", lambda: _apt_candidate(pkg, release))


def _apt_candidate(pkg, release=None):
    """Return the version apt would take (optionally from one release), or None."""
    out = subprocess.run(["apt-cache", *apt_opts(), "policy", pkg], capture_output=True, text=True).stdout
    if release is None:
        m = re.search(r"Candidate:\s*(\S+)", out)
        return None if not m or m.group(1) == "(none)" else m.group(1)
    out2 = subprocess.run(["apt-cache", *apt_opts(), "madison", pkg], capture_output=True, text=True).stdout
    for line in out2.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) >= 3 and f"{release}/" in parts[2]:
            return parts[1]
    return None


def fetch_deb(pkg, release=None):
    """Download pkg (arm64) into CACHE/debs with the private apt root; return (path, version, sha256)."""
    ensure_apt_root()
    debs = os.path.join(CACHE, "debs")
    os.makedirs(debs, exist_ok=True)
    ver = apt_candidate(pkg, release)
    if ver is None:
        # nearest available: the package family without the exact ABI name is not guessed here
        raise SystemExit(f"package {pkg} ({release or 'any'}) not available in the archive")
    fname_ver = ver.replace(":", "%3a")
    path = os.path.join(debs, f"{pkg}_{fname_ver}_arm64.deb")
    if not os.path.exists(path):
        log(f"downloading {pkg} {ver}")
        subprocess.run(["apt-get", *apt_opts(), "download", f"{pkg}={ver}"], cwd=debs, check=True)
    h = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return path, ver, h


def extract_deb(path):
    dest = os.path.join(CACHE, "x", os.path.basename(path)[:-4])
    if not os.path.isdir(dest):
        tmp = dest + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        subprocess.run(["dpkg-deb", "-x", path, tmp], check=True)
        os.rename(tmp, dest)
    return dest


def nearest_package(fl):
    """The exact package if the archive still has it, else the newest of the same family (recorded)."""
    ensure_apt_root()
    if apt_candidate(fl["package"]) is not None:
        return fl["package"]
    out = subprocess.run(["apt-cache", *apt_opts(), "search", "--names-only", fl["family"]],
                         capture_output=True, text=True).stdout
    names = sorted((l.split(" - ")[0] for l in out.splitlines()),
                   key=lambda n: [int(x) for x in re.findall(r"\d+", n)])
    if not names:
        raise SystemExit(f"neither {fl['package']} nor a package of its family is in the archive")
    log(f"{fl['package']} is no longer in the archive; using {names[-1]}")
    return names[-1]


def kernel_image(flavour):
    """Return (raw Image path, package record)."""
    fl = FLAVOURS[flavour]
    pkg = nearest_package(fl)
    deb, ver, sha = fetch_deb(pkg)
    root = extract_deb(deb)
    cands = [f for f in os.listdir(os.path.join(root, "boot")) if f.startswith("vmlinuz-")]
    vmlinuz = os.path.join(root, "boot", cands[0])
    out = os.path.join(CACHE, "images", f"{flavour}_{ver}.Image")
    if not os.path.exists(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        data = open(vmlinuz, "rb").read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if data[56:60] != b"ARM\x64":
            raise SystemExit(f"{vmlinuz}: not a raw arm64 Image after decompression")
        with open(out + ".tmp", "wb") as f:
            f.write(data)
        os.rename(out + ".tmp", out)
    rec = {"name": pkg, "version": ver, "sha256": sha, "deb": os.path.basename(deb)}
    if pkg != fl["package"]:
        rec["substituteFor"] = fl["package"]
    return out, rec


# ------------------------------------------------------------------------------ initramfs (newc cpio)
def _cpio_entry(name, mode, data=b"", rdev=(0, 0), ino=None):
    ino[0] += 1
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join("%08x" % v for v in [
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0])
    out = hdr.encode() + name_b
    out += b"\0" * ((4 - len(out) % 4) % 4)
    out += data
    out += b"\0" * ((4 - len(data) % 4) % 4)
    return out


def build_cpio(entries):
    """entries: list of (name, kind, payload): kind in dir/file/exec/link/chr."""
    out = bytearray()
    ino = [1000]  # deterministic inode numbers: the same entries give the same bytes
    for name, kind, payload in entries:
        if kind == "dir":
            out += _cpio_entry(name, stat.S_IFDIR | 0o755, ino=ino)
        elif kind == "file":
            out += _cpio_entry(name, stat.S_IFREG | 0o644, payload, ino=ino)
        elif kind == "exec":
            out += _cpio_entry(name, stat.S_IFREG | 0o755, payload, ino=ino)
        elif kind == "link":
            out += _cpio_entry(name, stat.S_IFLNK | 0o777, payload.encode(), ino=ino)
        elif kind == "chr":
            out += _cpio_entry(name, stat.S_IFCHR | 0o600, b"", payload, ino=ino)
    out += _cpio_entry("TRAILER!!!", 0, ino=ino)
    out += b"\0" * ((512 - len(out) % 512) % 512)
    return bytes(out)


def busybox_binary():
    deb, ver, sha = fetch_deb(BUSYBOX_PKG, "bookworm")
    root = extract_deb(deb)
    return os.path.join(root, "bin/busybox"), {"name": BUSYBOX_PKG, "version": ver, "sha256": sha,
                                                "deb": os.path.basename(deb)}


def base_entries(busybox):
    init = open(os.path.join(HERE, "init.sh"), "rb").read()
    return [
        ("bin", "dir", None), ("sbin", "dir", None), ("dev", "dir", None), ("proc", "dir", None),
        ("sys", "dir", None), ("tmp", "dir", None), ("etc", "dir", None),
        ("dev/console", "chr", (5, 1)), ("dev/null", "chr", (1, 3)),
        ("bin/busybox", "exec", open(busybox, "rb").read()), ("bin/sh", "link", "busybox"),
        ("init", "exec", init),
    ]


def build_initramfs():
    """The plain observation initramfs; returns (path, packages)."""
    bb, bbpkg = busybox_binary()
    data = build_cpio(base_entries(bb))
    h = hashlib.sha256(data).hexdigest()[:16]
    path = os.path.join(CACHE, "initramfs", f"obs-{h}.cpio")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return path, [bbpkg]


def build_kexec_initramfs(image, payload_initrd, kexec_args):
    """Initramfs that also carries kexec-tools (+ its shared libraries and loader), the booted Image
    and the plain initramfs, and a /kexec/run.sh that runs `kexec -p -d`."""
    bb, bbpkg = busybox_binary()
    pkgs = [bbpkg]
    entries = base_entries(bb)
    seen_dirs = set(n for n, k, _ in entries if k == "dir")

    def add_dirs(p):
        parts = p.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in seen_dirs:
                seen_dirs.add(d)
                entries.append((d, "dir", None))

    roots = []
    for pkg in kexec_packages():
        deb, ver, sha = fetch_deb(pkg, KEXEC_RELEASE)
        roots.append(extract_deb(deb))
        pkgs.append({"name": pkg, "version": ver, "sha256": sha, "deb": os.path.basename(deb)})
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            filenames.sort()
            rel = os.path.relpath(dirpath, root)
            if rel.startswith(("usr/share", "etc", "usr/lib/systemd", "lib/systemd", "usr/lib/tmpfiles")):
                continue
            for fn in filenames:
                full = os.path.join(dirpath, fn)
                relf = os.path.normpath(os.path.join(rel, fn))
                if not (relf.startswith(("lib", "usr/lib", "sbin/kexec", "usr/sbin/kexec"))):
                    continue
                if relf.endswith((".a", ".h")) or "/gconv/" in relf:
                    continue
                add_dirs(relf)
                if os.path.islink(full):
                    entries.append((relf, "link", os.readlink(full)))
                else:
                    entries.append((relf, "exec", open(full, "rb").read()))
    # trixie's packages are merged-/usr: the program interpreter /lib/ld-linux-aarch64.so.1 needs /lib
    if not any(n == "lib" for n, _, _ in entries):
        entries.append(("lib", "link", "usr/lib"))
    add_dirs("kexec/x")
    entries.append(("kexec/Image", "file", open(image, "rb").read()))
    entries.append(("kexec/initrd", "file", open(payload_initrd, "rb").read()))
    kexec_bin = "/sbin/kexec" if any(n == "sbin/kexec" for n, _, _ in entries) else "/usr/sbin/kexec"
    script = (
        "#!/bin/sh\n"
        f"{kexec_bin} -p -d /kexec/Image --initrd=/kexec/initrd {kexec_args} 2>&1\n"
        "echo \"kexec-rc=$?\"\n"
        "echo \"kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)\"\n"
    )
    entries.append(("kexec/run.sh", "exec", script.encode()))
    data = build_cpio(entries)
    h = hashlib.sha256(data).hexdigest()[:16]
    path = os.path.join(CACHE, "initramfs", f"obs-kexec-{h}.cpio")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return path, pkgs


def kexec_packages():
    ensure_apt_root()
    return memoized("kexec-packages", _kexec_packages)


def _kexec_packages():
    """kexec-tools (trixie, KEXEC_RELEASE) and, transitively, the library packages it depends on
    (first alternative of each Depends; only lib*/zlib* packages are followed)."""
    ensure_apt_root()
    names = []
    todo = ["kexec-tools"]
    while todo:
        n = todo.pop(0)
        if n in names:
            continue
        names.append(n)
        out = subprocess.run(["apt-cache", *apt_opts(), "depends", "--no-recommends", "--no-suggests",
                              "--no-enhances", "--no-breaks", "--no-replaces", "--no-conflicts", n],
                             capture_output=True, text=True).stdout
        first = True
        for line in out.splitlines():
            m = re.match(r"\s*(\|?)(Pre)?Depends:\s*<?([^\s>]+)>?", line)
            if not m:
                first = True
                continue
            alt = m.group(1) == "|"
            dep = m.group(3).split(":")[0]
            if first and (dep.startswith("lib") or dep.startswith("zlib")) and dep not in names:
                todo.append(dep)
            first = not alt
    return names


KEXEC_RELEASE = "trixie"


# ------------------------------------------------------------------------------ DTB handling
def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def dump_qemu_dtb(mem, machine=MACHINE, cpu=CPU_MODEL, extra=()):
    """QEMU's own virt DTB for the same -M/-cpu/-smp/-m (and extra options such as -numa)."""
    os.makedirs(os.path.join(CACHE, "dtb"), exist_ok=True)
    key = hashlib.sha256(repr((machine, cpu, SMP, qemu_mem_arg(mem), list(extra))).encode()).hexdigest()[:12]
    path = os.path.join(CACHE, "dtb", f"qemu-virt-{qemu_mem_arg(mem)}-{key}.dtb")
    if not os.path.exists(path):
        run(["qemu-system-aarch64", "-M", f"{machine},dumpdtb={path}", "-cpu", cpu, "-smp", str(SMP),
             "-m", qemu_mem_arg(mem), "-nographic", "-nic", "none", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def dtb_to_dts(path):
    return run(["dtc", "-q", "-I", "dtb", "-O", "dts", path], capture_output=True, text=True).stdout


def cells(v):
    v = parse_size(v)
    return f"0x{v >> 32:x} 0x{v & 0xffffffff:x}"


def dts_edits(scen):
    """Return (memreserve lines, root-block body, words) for the scenario's DTB edits."""
    words = []
    body = []
    memres = []
    for start, size in scen.get("memreserve", []):
        memres.append(f"/memreserve/ 0x{parse_size(start):x} 0x{parse_size(size):x};")
        words.append(f"/memreserve/ 0x{parse_size(start):x} size 0x{parse_size(size):x}")
    rm = scen.get("reservedMemory", [])
    if rm:
        body.append("\treserved-memory {\n\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n\t\tranges;")
        for r in rm:
            lines = []
            desc = []
            if "reg" in r:
                s, sz = r["reg"]
                lines.append(f"reg = <{cells(s)} {cells(sz)}>;")
                desc.append(f"static reg 0x{parse_size(s):x} size 0x{parse_size(sz):x}")
            if "size" in r:
                lines.append(f"size = <{cells(r['size'])}>;")
                desc.append(f"dynamic size 0x{parse_size(r['size']):x}")
            if "alignment" in r:
                lines.append(f"alignment = <{cells(r['alignment'])}>;")
                desc.append(f"alignment 0x{parse_size(r['alignment']):x}")
            if "allocRanges" in r:
                lines.append("alloc-ranges = <" + " ".join(f"{cells(a)} {cells(b)}" for a, b in r["allocRanges"]) + ">;")
                desc.append("alloc-ranges " + ", ".join(
                    f"[0x{parse_size(a):x}, 0x{parse_size(a) + parse_size(b):x})" for a, b in r["allocRanges"]))
            if r.get("compatible"):
                lines.append(f"compatible = \"{r['compatible']}\";")
                desc.append(f"compatible {r['compatible']}")
            if r.get("noMap"):
                lines.append("no-map;")
                desc.append("no-map")
            if r.get("reusable"):
                lines.append("reusable;")
                desc.append("reusable")
            body.append(f"\t\t{r['name']} {{\n" + "".join(f"\t\t\t{l}\n" for l in lines) + "\t\t};")
            words.append(f"/reserved-memory/{r['name']}: " + ", ".join(desc))
        body.append("\t};")
    for d in scen.get("dmaRanges", []):
        ents = " ".join(f"{cells(c)} {cells(p)} {cells(s)}" for c, p, s in d["entries"])
        body.append(f"\t{d['node']} {{\n\t\tcompatible = \"simple-bus\";\n\t\t#address-cells = <2>;\n"
                    f"\t\t#size-cells = <2>;\n\t\tranges;\n\t\tdma-ranges = <{ents}>;\n\t}};")
        words.append(f"new simple-bus node /{d['node']} with dma-ranges " + ", ".join(
            f"bus 0x{parse_size(c):x} -> CPU 0x{parse_size(p):x} size 0x{parse_size(s):x}" for c, p, s in d["entries"]))
    return memres, body, words


def compose_dts(base_dts, memres, body, delete_memory=False, memory_banks=None, chosen=None):
    text = base_dts
    first, rest = text.split("\n", 1)
    assert first.strip() == "/dts-v1/;"
    extra = []
    if delete_memory:
        for name in re.findall(r"^\t(memory@[0-9a-fA-F]+) \{", text, re.M):
            extra.append(f"\t/delete-node/ {name};")
    if memory_banks:
        for s, sz in memory_banks:
            extra.append(f"\tmemory@{parse_size(s):x} {{\n\t\tdevice_type = \"memory\";\n"
                         f"\t\treg = <{cells(s)} {cells(sz)}>;\n\t}};")
    if chosen:
        lines = [f"\t\tbootargs = \"{chosen['bootargs']}\";"]
        if "initrd" in chosen:
            a, b = chosen["initrd"]
            lines.append(f"\t\tlinux,initrd-start = <{cells(a)}>;")
            lines.append(f"\t\tlinux,initrd-end = <{cells(b)}>;")
        extra.append("\tchosen {\n" + "\n".join(lines) + "\n\t};")
    extra += body
    out = first + "\n" + "".join(l + "\n" for l in memres) + rest
    if extra:
        out += "\n/ {\n" + "\n".join(extra) + "\n};\n"
    return out


def compile_dts(dts_text, path):
    with open(path + ".dts", "w") as f:
        f.write(dts_text)
    run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", path, path + ".dts"])
    return path


def boot_stub(dtb_addr, entry):
    """40-byte arm64 boot stub: x0 = DTB, x1..x3 = 0, branch to the Image (hand-encoded A64)."""
    insns = [
        0x580000C0,  # ldr x0, .+24   (dtb)
        0xAA1F03E1,  # mov x1, xzr
        0xAA1F03E2,  # mov x2, xzr
        0xAA1F03E3,  # mov x3, xzr
        0x58000084,  # ldr x4, .+16   (entry)
        0xD61F0080,  # br x4
    ]
    import struct
    return struct.pack("<6I", *insns) + struct.pack("<QQ", dtb_addr, entry)


# ------------------------------------------------------------------------------ QEMU run
RUNNING = []  # QemuRun objects whose QEMU may still be alive


def _on_signal(signum, frame):
    for q in list(RUNNING):
        if q.proc.poll() is None:
            q.proc.kill()  # QEMU's own PID
            q.proc.wait(timeout=10)
    sys.exit(128 + signum)


class QemuRun:
    def __init__(self, argv, console_path):
        self.argv = argv
        self.console = bytearray()
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        RUNNING.append(self)
        self.t0 = time.time()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            b = self.proc.stdout.read1(65536) if hasattr(self.proc.stdout, "read1") else self.proc.stdout.read(1)
            if not b:
                return
            with self.lock:
                self.console += b

    def text(self):
        with self.lock:
            return self.console.decode("utf-8", "replace").replace("\r", "")

    def wait_for(self, pattern, deadline):
        rx = re.compile(pattern)
        while time.time() < deadline:
            m = rx.search(self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                time.sleep(0.2)
                return rx.search(self.text())
            time.sleep(0.05)
        return None

    def send(self, s):
        try:
            self.proc.stdin.write(s.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def finish(self, deadline):
        try:
            self.proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            pass
        killed = False
        if self.proc.poll() is None:
            killed = True
            self.proc.kill()  # SIGKILL to QEMU's own PID
            self.proc.wait(timeout=10)
        self.reader.join(timeout=5)
        if self in RUNNING:
            RUNNING.remove(self)
        return killed


# ------------------------------------------------------------------------------ parsing
DMESG_RX = re.compile(
    r"crashkernel|crahskernel|[Cc]rash kernel|cma:|Zone ranges|^\s+(DMA|DMA32|Normal|Movable)\s|Movable zone|"
    r"Early memory node|^\s+node\s+\d+: \[mem|Memory:|kfence|Reserving|reserved mem|OF: fdt|Machine model|"
    r"NUMA|Initmem setup|On node \d+|Kernel command line|swiotlb|software IO TLB|memblock|LPA2|"
    r"Virtual kernel memory|percpu: Embedded|earlycon|Unknown kernel command line|Booting Linux|"
    r"NODE_DATA|Faking a node|[Vv]alue expected|unrecognized char|invalid size|kexec"
)
TS_RX = re.compile(r"^\[\s*\d+\.\d+\]\s?")


def blocks(text):
    out = {}
    for m in re.finditer(r"@@CKOBS:BEGIN ([\w.-]+)@@\n(.*?)@@CKOBS:END@@", text, re.S):
        out[m.group(1)] = m.group(2)
    return out


def parse_ranges(block):
    """debugfs memblock lines: '   0: 0x…..0x… [nid FLAGS]' (6.12 prints node and flags, 6.1 does not)."""
    out = []
    for m in re.finditer(r"0x([0-9a-fA-F]+)\.\.0x([0-9a-fA-F]+)(?:[ \t]+(-?\d+)[ \t]+(\S+))?", block or ""):
        r = {"start": int(m.group(1), 16), "end": int(m.group(2), 16) + 1}
        if m.group(3) is not None:
            r["nid"] = int(m.group(3))
            r["flags"] = m.group(4)
        out.append(r)
    return out


def parse_dmesg(block):
    lines = []
    for line in (block or "").splitlines():
        line = TS_RX.sub("", line)
        if DMESG_RX.search(line):
            lines.append(line.rstrip())
    return lines


def parse_zones(dmesg_lines):
    zones = {}
    in_zone = False
    for line in dmesg_lines:
        if line.startswith("Zone ranges"):
            in_zone = True
            continue
        if in_zone:
            m = re.match(r"\s+(\w+)\s+(empty|\[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\])", line)
            if m:
                zones[m.group(1)] = None if m.group(2) == "empty" else {
                    "start": int(m.group(3), 16), "end": int(m.group(4), 16) + 1}
                continue
            in_zone = False
    return zones


def parse_crash(dmesg_lines):
    res = {}
    for line in dmesg_lines:
        m = re.search(r"crashkernel reserved: 0x([0-9a-f]+) - 0x([0-9a-f]+) \((\d+) MB\)", line)
        if m:
            res["reserved"] = {"start": int(m.group(1), 16), "end": int(m.group(2), 16), "mb": int(m.group(3))}
        m = re.search(r"crashkernel low memory reserved: 0x([0-9a-f]+) - 0x([0-9a-f]+) \((\d+) MB\)", line)
        if m:
            res["low"] = {"start": int(m.group(1), 16), "end": int(m.group(2), 16), "mb": int(m.group(3))}
        m = re.search(r"cma: Reserved (\d+) MiB at 0x([0-9a-f]+)", line)
        if m:
            res["cma"] = {"start": int(m.group(2), 16), "end": int(m.group(2), 16) + (int(m.group(1)) << 20)}
    return res


def parse_iomem_crash(iomem_lines):
    out = []
    for line in iomem_lines:
        m = re.match(r"\s*([0-9a-f]+)-([0-9a-f]+) : Crash kernel", line)
        if m:
            out.append({"start": int(m.group(1), 16), "end": int(m.group(2), 16) + 1})
    return out


def parse_kexec_segments(lines):
    segs = {}
    entry = None
    for line in lines:
        m = re.match(r"segment\[(\d+)\]\.(bufsz|mem|memsz)\s*=\s*0x([0-9a-f]+)", line)
        if m:
            segs.setdefault(int(m.group(1)), {})[m.group(2)] = int(m.group(3), 16)
        m = re.match(r"kexec_load: entry = 0x([0-9a-f]+)", line)
        if m:
            entry = int(m.group(1), 16)
    out = {"entry": entry, "segments": [segs[i] for i in sorted(segs)]}
    for line in lines:
        m = re.match(r"kexec-rc=(\d+)", line)
        if m:
            out["rc"] = int(m.group(1))
        m = re.match(r"kexec_crash_loaded=(\d+)", line)
        if m:
            out["crashLoaded"] = int(m.group(1))
    return out


def size_name(n):
    for s, nm in [(1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")]:
        if n % s == 0:
            return f"{n // s}{nm}"
    return str(n)


def linear_map_notes(runs, granule, memory, ro):
    """Plain-words notes: page-only maps, page islands between blocks, unmapped gaps inside memblock.memory
    (no-map regions, KFENCE guard pages), read-only ranges."""
    notes = []
    if runs and not any(r["leafSize"] > granule for r in runs):
        notes.append(f"all leaves are {size_name(granule)} pages (no block mappings)")
    elif runs:
        for i, r in enumerate(runs):
            if r["leafSize"] == granule and 0 < i < len(runs) - 1 and runs[i - 1]["leafSize"] > granule \
                    and runs[i + 1]["leafSize"] > granule and runs[i - 1]["end"] == r["start"] \
                    and runs[i + 1]["start"] == r["end"]:
                notes.append(f"{size_name(granule)}-page island [{r['start']:#x}, {r['end']:#x}) between block mappings")
    gaps = []
    for a, b in zip(runs, runs[1:]):
        if a["end"] < b["start"]:
            gaps.append((a["end"], b["start"]))
    inside = [(g0, g1) for g0, g1 in gaps if any(m["start"] <= g0 and g1 <= m["end"] for m in memory)]
    single = [(g0, g1) for g0, g1 in inside if g1 - g0 == granule]
    other = [(g0, g1) for g0, g1 in inside if g1 - g0 != granule]
    for g0, g1 in other:
        notes.append(f"unmapped inside memblock.memory: [{g0:#x}, {g1:#x}) (no-map region, or runtime change)")
    if single:
        lo, hi = single[0][0], single[-1][1]
        notes.append(f"{len(single)} single unmapped {size_name(granule)} pages inside memblock.memory between "
                     f"{lo:#x} and {hi:#x}: runtime changes (KFENCE guard pages / pages taken out of the linear "
                     f"map), not part of the boot layout")
    for r in ro:
        notes.append(f"read-only (AP[2]=1) linear alias [{r['start']:#x}, {r['end']:#x}): kernel rodata alias or "
                     f"runtime read-only memory (e.g. BPF JIT)")
    return notes


# ------------------------------------------------------------------------------ JSON output
def dumps(obj, indent=0):
    sp = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        if all(not isinstance(v, (dict, list)) for v in obj.values()) and len(obj) <= 6:
            return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in obj.items()) + "}"
        items = [f"{sp}  {json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + f"\n{sp}}}"
    if isinstance(obj, list):
        if not obj:
            return "[]"
        if all(not isinstance(v, (dict, list)) for v in obj) and len(json.dumps(obj)) < 100:
            return json.dumps(obj)
        items = [f"{sp}  {dumps(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + f"\n{sp}]"
    return json.dumps(obj)


# ------------------------------------------------------------------------------ the observation
def load_scenarios():
    with open(os.path.join(HERE, "scenarios.json")) as f:
        data = json.load(f)
    return {s["name"]: s for s in data["scenarios"]}


def _harness_version():
    h = hashlib.sha256()
    for fn in ["observe.py", "gdbwalk.py", "init.sh"]:
        h.update(open(os.path.join(HERE, fn), "rb").read())
    return f"{HARNESS_VERSION}+{h.hexdigest()[:12]}"


HARNESS_FULL_VERSION = _harness_version()


def harness_version():
    return HARNESS_FULL_VERSION


def qemu_version():
    out = subprocess.run(["qemu-system-aarch64", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0].strip()


def observe(scen, outdir):
    name = scen["name"]
    flavour = scen["flavour"]
    timeout = scen.get("timeout", DEFAULT_TIMEOUT)
    mem = scen["memory"]
    boot = scen.get("boot", "direct")
    walk = scen.get("walk", True)
    ensure_host_tools()
    image, kpkg = kernel_image(flavour)
    initrd, ipkgs = build_initramfs()
    packages = [kpkg] + ipkgs
    kexec_args = scen.get("kexec")
    if kexec_args is not None:
        initrd, ipkgs = build_kexec_initramfs(image, initrd, kexec_args)
        packages = [kpkg] + ipkgs
    cmdline = BASE_CMDLINE + (" " + scen["cmdline"] if scen.get("cmdline") else "")
    work = tempfile.mkdtemp(prefix=f"ckobs-{name}-", dir=os.path.join(CACHE))
    stage = os.path.join(work, "out")
    try:
        try:
            doc = _observe(scen, stage, work, image, initrd, packages, cmdline)
        except BaseException:
            failed = os.path.join(CACHE, "failed")
            os.makedirs(failed, exist_ok=True)
            if os.path.exists(os.path.join(stage, "console.log")):
                shutil.copy(os.path.join(stage, "console.log"), os.path.join(failed, f"{name}.console.log"))
                log(f"{name}: console of the failed boot kept in {failed}/{name}.console.log")
            raise
        os.makedirs(outdir, exist_ok=True)
        for fn in ["observation.json", "console.log", "guest.dtb", "guest.dts"]:
            if os.path.exists(os.path.join(stage, fn)):
                shutil.copy(os.path.join(stage, fn), os.path.join(outdir, fn))
            elif os.path.exists(os.path.join(outdir, fn)):
                os.remove(os.path.join(outdir, fn))
        return doc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _observe(scen, outdir, work, image, initrd, packages, cmdline):
    name = scen["name"]
    flavour = scen["flavour"]
    timeout = scen.get("timeout", DEFAULT_TIMEOUT)
    mem = scen["memory"]
    boot = scen.get("boot", "direct")
    walk = scen.get("walk", True)
    os.makedirs(outdir, exist_ok=True)
    memres, body, words = dts_edits(scen)
    machine = MACHINE + ("," + scen["machineExtra"] if scen.get("machineExtra") else "")
    cpu = scen.get("cpu", CPU_MODEL)
    request = {"flavour": flavour, "boot": boot, "qemuMemory": qemu_mem_arg(mem), "cmdline": cmdline}
    argv = ["qemu-system-aarch64", "-M", machine, "-cpu", cpu, "-smp", str(SMP), "-m", qemu_mem_arg(mem),
            "-nographic", "-no-reboot", "-nic", "none", *scen.get("qemuExtra", [])]
    loader = None
    if boot == "direct":
        request["memoryLayout"] = {"ram": [{"start": 0x40000000, "end": 0x40000000 + parse_size(mem)}],
                                   "how": "QEMU virt direct boot: one /memory node covering -m at 0x40000000"}
        argv += ["-kernel", image, "-initrd", initrd, "-append", cmdline]
        if memres or body:
            base = dtb_to_dts(dump_qemu_dtb(mem, machine, cpu, scen.get("qemuExtra", [])))
            dtb = compile_dts(compose_dts(base, memres, body), os.path.join(work, "edited.dtb"))
            argv += ["-dtb", dtb]
            words.insert(0, "QEMU's own virt DTB (dumpdtb, same -M/-cpu/-smp/-m), edited with dtc, recompiled "
                            "unpadded and passed with -dtb (QEMU then rewrites /memory and /chosen)")
    elif boot == "custom":
        banks = [(parse_size(s), parse_size(sz)) for s, sz in scen["banks"]]
        b0, b0size = min(banks)
        img_size = os.path.getsize(image)
        initrd_size = os.path.getsize(initrd)
        image_at = b0 + 0x200000
        # QEMU itself puts its own (unused) DTB at 0x40000000 when there is no -kernel: keep the stub clear
        stub_at = image_at - 0x1000
        initrd_at = parse_size(scen["initrdAt"]) if "initrdAt" in scen else b0 + min(b0size // 2, 128 << 20)
        if initrd_at < image_at + img_size:
            initrd_at = align_up(image_at + img_size + (32 << 20), 2 << 20)
        dtb_at = align_up(initrd_at + initrd_size, 2 << 20)
        chosen = {"bootargs": cmdline, "initrd": (initrd_at, initrd_at + initrd_size)}
        base = dtb_to_dts(dump_qemu_dtb(mem, machine, cpu, scen.get("qemuExtra", [])))
        dts = compose_dts(base, memres, body, delete_memory=True, memory_banks=banks, chosen=chosen)
        dtb = compile_dts(dts, os.path.join(work, "custom.dtb"))
        stub = os.path.join(work, "stub.bin")
        with open(stub, "wb") as f:
            f.write(boot_stub(dtb_at, image_at))
        argv += ["-device", f"loader,file={image},addr={image_at:#x},force-raw=on",
                 "-device", f"loader,file={initrd},addr={initrd_at:#x},force-raw=on",
                 "-device", f"loader,file={dtb},addr={dtb_at:#x},force-raw=on",
                 "-device", f"loader,file={stub},addr={stub_at:#x},cpu-num=0,force-raw=on"]
        loader = {"stub": stub_at, "image": image_at, "initrd": initrd_at, "initrdEnd": initrd_at + initrd_size,
                  "dtb": dtb_at}
        request["memoryLayout"] = {
            "ram": [{"start": s, "end": s + sz} for s, sz in sorted(banks)],
            "how": "custom loader: QEMU's virt DTB with every /memory node replaced by these banks, /chosen "
                   "bootargs + linux,initrd-start/end set; Image, initrd, DTB and a 40-byte boot stub "
                   "(x0 = DTB, branch to Image) loaded with -device loader; the DTB reaches the kernel untouched",
            "loadAddresses": loader,
        }
        words.insert(0, "/memory replaced by the banks above; /chosen bootargs and initrd range set")
    else:
        raise SystemExit(f"unknown boot mode {boot}")
    sock = os.path.join(work, "gdb.sock")
    argv += ["-chardev", f"socket,id=gdb0,path={sock},server=on,wait=off", "-gdb", "chardev:gdb0"]
    request["dtbEdits"] = words
    if scen.get("qemuExtra"):
        request["qemuExtra"] = scen["qemuExtra"]
    if scen.get("cpu"):
        request["cpu"] = scen["cpu"]
    if scen.get("kexec") is not None:
        request["kexec"] = ("kexec -p -d /kexec/Image --initrd=/kexec/initrd " + scen["kexec"]).strip() + \
            "  (Image = the booted Image, initrd = the plain observation initramfs, both carried in this boot's initramfs)"
    if scen.get("purpose"):
        request["purpose"] = scen["purpose"]

    log(f"{name}: booting {flavour} -m {qemu_mem_arg(mem)} ({boot})")
    q = QemuRun(argv, os.path.join(outdir, "console.log"))
    deadline = q.t0 + timeout
    linear = None
    walk_info = {}
    ready_t = None
    try:
        m = q.wait_for(r"@@CKOBS:WALK-READY uptime=([\d.]+)@@", deadline)
        if not m:
            raise RuntimeError("guest never reached init (timeout or crash)")
        ready_t = time.time() - q.t0
        if walk:
            t = time.time()
            rsp = gdbwalk.RSP(sock, timeout=60)
            try:
                rsp.handshake()
                regs = rsp.register_numbers()
                vals = {n: rsp.read_register(regs[n]) for n in ["TTBR1_EL1", "TCR_EL1", "MAIR_EL1"]}
                rsp.phys_mode(True)
                params, runs, ro, stats = gdbwalk.walk_linear_map(rsp, vals["TCR_EL1"], vals["TTBR1_EL1"])
                rsp.phys_mode(False)
            finally:
                rsp.detach()
                rsp.close()
            runs_j = [{"start": a, "end": b, "leafSize": s, "contiguous": c} for a, b, s, c in runs]
            notes = []
            notes.append("live walk of the TTBR1 linear-map half over QEMU's gdbstub (physical reads), with the VM "
                         "stopped when /init printed its first line; runtime changes made before that (KFENCE "
                         "guard pages, read-only aliases) are included as they were")
            linear = {
                "runs": runs_j,
                "readOnly": [{"start": a, "end": b} for a, b in ro],
                "walkedAt": f"start of /init (guest uptime {m.group(1)} s), VM stopped by the gdbstub",
                "translation": {"granule": params["granule"], "vaBits": params["vaBits"], "levels": params["levels"],
                                "lpa2": bool(params["ds"]), "TTBR1_EL1": vals["TTBR1_EL1"],
                                "TCR_EL1": vals["TCR_EL1"], "MAIR_EL1": vals["MAIR_EL1"],
                                # virtual addresses exceed 2^63: hex strings, so Int64 decoders are not tripped
                                "linearRegionVA": [f"{v:#018x}" for v in params["linearRegionVA"]]},
                "notes": notes,
            }
            walk_info = {"walkSeconds": round(time.time() - t, 2), **stats}
            log(f"{name}: walked {stats['leaves']} leaves in {walk_info['walkSeconds']} s, {len(runs)} runs")
        q.send("go\n")
        if not q.wait_for(r"@@CKOBS:DONE@@", deadline):
            raise RuntimeError("guest did not finish its report before the timeout")
    finally:
        killed = q.finish(min(deadline, time.time() + 30))
        with open(os.path.join(outdir, "console.log"), "wb") as f:
            f.write(bytes(q.console))
    total = time.time() - q.t0
    text = q.text()
    bl = blocks(text)
    fdt = gzip.decompress(base64.b64decode("".join(bl["fdt.gz"].split()))) if bl.get("fdt.gz") else b""
    if fdt:
        with open(os.path.join(outdir, "guest.dtb"), "wb") as f:
            f.write(fdt)
        dts = run(["dtc", "-q", "-I", "dtb", "-O", "dts", os.path.join(outdir, "guest.dtb")],
                  capture_output=True, text=True).stdout
        with open(os.path.join(outdir, "guest.dts"), "w") as f:
            f.write(dts)
    dmesg = parse_dmesg(bl.get("dmesg"))
    iomem = [l for l in (bl.get("iomem") or "").splitlines() if l.strip()]
    observed = {
        "kernelVersion": (bl.get("version") or "").strip(),
        "cmdline": (bl.get("cmdline") or "").strip(),
        "dmesg": dmesg,
        "iomem": iomem,
        "memblock": {"memory": parse_ranges(bl.get("memblock-memory")),
                     "reserved": parse_ranges(bl.get("memblock-reserved"))},
        "kexecCrashSize": int(bl["kexec_crash_size"].strip()) if bl.get("kexec_crash_size", "").strip().isdigit() else None,
        "crash": parse_crash(dmesg),
        "iomemCrashKernel": parse_iomem_crash(iomem),
        "zones": parse_zones(dmesg),
    }
    mi = {}
    for line in (bl.get("meminfo") or "").splitlines():
        mm = re.match(r"(MemTotal|CmaTotal):\s+(\d+) kB", line)
        if mm:
            mi[mm.group(1)] = int(mm.group(2)) * 1024
    observed["meminfo"] = mi
    if linear:
        linear["notes"] = linear_map_notes(linear["runs"], linear["translation"]["granule"],
                                           observed["memblock"]["memory"], linear["readOnly"]) + linear["notes"]
        observed["linearMap"] = linear
    if "kexec" in bl:
        observed["kexecDebug"] = bl["kexec"].splitlines()
        observed["kexecSegments"] = parse_kexec_segments(observed["kexecDebug"])
        observed["iomemAfterKexec"] = [l for l in (bl.get("iomem-after-kexec") or "").splitlines() if l.strip()]
    prov = {
        "harness": "Tests/KernelObservation/observe.py",
        "harnessVersion": harness_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": f"{platform.node()} {platform.system()} {platform.release()} {platform.machine()}",
        "packages": packages,
        "qemu": qemu_version(),
        "qemuCommandLine": " ".join(shlex.quote(a) for a in argv),
        "cpuModel": cpu,
        "machine": machine,
        "smp": SMP,
        "timeoutSeconds": timeout,
        "bootWallSeconds": round(ready_t, 2) if ready_t else None,
        "totalWallSeconds": round(total, 2),
        "qemuKilled": killed,
        **({"walk": walk_info} if walk_info else {}),
    }
    doc = {"schema": SCHEMA, "name": name, "provenance": prov, "request": request, "observed": observed}
    with open(os.path.join(outdir, "observation.json"), "w") as f:
        f.write(dumps(doc) + "\n")
    log(f"{name}: done in {total:.1f} s (init reached after {ready_t:.1f} s)")
    return doc


# ------------------------------------------------------------------------------ check mode
IGNORED_PROV = {"date", "host", "bootWallSeconds", "totalWallSeconds", "walk", "harnessVersion"}



def strip_seeds(dts):
    return re.sub(r"^\s*(rng-seed|kaslr-seed) = .*$\n", "", dts, flags=re.M)


def diff(a, b, path=""):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'new' if k not in a else 'committed'}")
            else:
                out += diff(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
    elif a != b:
        sa, sb = json.dumps(a), json.dumps(b)
        out.append(f"{path}: committed {sa[:200]} != new {sb[:200]}")
    return out


def normalize_for_check(doc):
    """Split a document into (layout, runtime): layout must match exactly; runtime parts are only reported."""
    d = json.loads(json.dumps(doc))
    runtime = {}
    for k in IGNORED_PROV:
        d["provenance"].pop(k, None)
    # the per-boot temp dir (gdb socket, edited DTB, boot stub) differs per run
    d["provenance"]["qemuCommandLine"] = re.sub(r"/ckobs-[^/\s]*/", "/WORK/", d["provenance"].get("qemuCommandLine", ""))
    o = d["observed"]
    # 6.12 prints "Memory: …K available … K reserved" late enough that runtime allocations move it
    for i, line in enumerate(o.get("dmesg", [])):
        if line.startswith("Memory:"):
            runtime["Memory line"] = line
            o["dmesg"][i] = re.sub(r"\d+K/", "#K/", re.sub(r"\d+K reserved", "#K reserved", line))
    runtime["meminfo"] = o.pop("meminfo", None)
    # kexec -d prints user-space buffer addresses, which ASLR moves
    if "kexecDebug" in o:
        o["kexecDebug"] = [re.sub(r"^(kernel: |segment\[\d+\]\.buf\s+= )0x[0-9a-f]+", r"\g<1>0x#", l)
                           for l in o["kexecDebug"]]
    lm = o.get("linearMap")
    if lm:
        for k in ["walkedAt", "readOnly", "notes"]:
            runtime[k] = lm.pop(k, None)
        lm["translation"].pop("TTBR1_EL1", None)  # ASID bits
        pool = None
        for line in o.get("dmesg", []):
            m = re.search(r"kfence: initialized - using (\d+) bytes", line)
            if m:
                pool = int(m.group(1))
        if pool:
            g = lm["translation"]["granule"]
            tops = [m["end"] for m in o["memblock"]["memory"]]
            pools = [(t - pool, t) for t in tops]
            runtime["kfencePoolRuns"] = [r for r in lm["runs"] if any(a <= r["start"] and r["end"] <= b for a, b in pools)]
            runs = [r for r in lm["runs"] if not any(a <= r["start"] and r["end"] <= b for a, b in pools)]
            for a, b in pools:
                if any(a <= r["start"] < b for r in runtime["kfencePoolRuns"]):
                    runs.append({"start": a, "end": b, "leafSize": g, "contiguous": False, "kfencePool": True})
            lm["runs"] = sorted(runs, key=lambda r: r["start"])
    return d, runtime


def check(scen):
    committed_dir = os.path.join(REPO, "Scenarios", scen["name"], "observed")
    committed = json.load(open(os.path.join(committed_dir, "observation.json")))
    tmp = tempfile.mkdtemp(prefix="ckobs-check-", dir=CACHE)
    try:
        new = observe(scen, tmp)
        a, ra = normalize_for_check(committed)
        b, rb = normalize_for_check(new)
        problems = diff(a, b)
        info = [f"runtime (not compared): {p}" for p in diff(ra, rb)]
        da = os.path.join(committed_dir, "guest.dts")
        db = os.path.join(tmp, "guest.dts")
        if os.path.exists(da) and os.path.exists(db) and strip_seeds(open(da).read()) != strip_seeds(open(db).read()):
            problems.append("guest.dts differs (beyond rng-seed/kaslr-seed)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return problems, info


def summary(names):
    def rng(r):
        return f"{r['start']:#x}-{r['end']:#x}" if r else "-"
    for n in names:
        p = os.path.join(REPO, "Scenarios", n, "observed", "observation.json")
        if not os.path.exists(p):
            print(f"{n}: (not observed)")
            continue
        d = json.load(open(p))
        o = d["observed"]
        c = o.get("crash", {})
        msgs = [l for l in o["dmesg"] if re.search(r"crashkernel|crahskernel|expected after", l)
                and "command line" not in l and "reserved:" not in l and not l.startswith("memblock")]
        lm = o.get("linearMap", {})
        kinds = sorted({(r["leafSize"], r["contiguous"]) for r in lm.get("runs", [])})
        print(f"{n}: crash {rng(c.get('reserved'))} low {rng(c.get('low'))} cma {rng(c.get('cma'))} "
              f"size {o.get('kexecCrashSize')} DMA {rng((o.get('zones') or {}).get('DMA'))} "
              f"boot {d['provenance']['bootWallSeconds']}s total {d['provenance']['totalWallSeconds']}s "
              f"map {len(lm.get('runs', []))} runs {[(size_name(a), b) for a, b in kinds]} {msgs}")
    return 0


def main():
    import signal
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--summary", action="store_true", help="one line per committed observation")
    ap.add_argument("--skip-existing", action="store_true", help="with --all: skip scenarios already observed")
    args = ap.parse_args()
    scenarios = load_scenarios()
    if args.list:
        for n, s in scenarios.items():
            print(f"{n:40s} {s['flavour']:24s} {s['memory']:>6} {s.get('boot', 'direct'):7s} {s.get('cmdline', '')}")
        return 0
    if args.summary:
        return summary(args.names or list(scenarios))
    names = list(scenarios) if args.all else args.names
    if not names:
        ap.error("name a scenario or use --all")
    unknown = [n for n in names if n not in scenarios]
    if unknown:
        ap.error(f"unknown scenario(s): {', '.join(unknown)}")
    rc = 0
    for n in names:
        scen = scenarios[n]
        if args.check:
            problems, info = check(scen)
            if problems:
                rc = 1
                print(f"{n}: DIFFERS")
                for p in problems:
                    print("  " + p)
            else:
                print(f"{n}: same as committed")
            for p in info[:12]:
                print("  " + p[:300])
            if len(info) > 12:
                print(f"  … {len(info) - 12} more runtime differences")
            continue
        outdir = os.path.join(REPO, "Scenarios", n, "observed")
        if args.skip_existing and os.path.exists(os.path.join(outdir, "observation.json")):
            continue
        try:
            observe(scen, outdir)
        except Exception as e:  # keep going with the others
            rc = 1
            log(f"{n}: FAILED: {e}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
