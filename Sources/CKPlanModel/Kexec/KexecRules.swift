/// A kexec-tools release ("2.0.29"), compared numerically.
public struct KexecToolsVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int
    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }
    /// "2.0.29", "1:2.0.29-2+b1" (a Debian version: epoch and revision are ignored).
    public init?(parsing text: some StringProtocol) {
        let text = String(text)
        let afterEpoch = text.split(separator: ":", maxSplits: 1).last.map(String.init) ?? text
        let upstream = afterEpoch.split(separator: "-", maxSplits: 1).first.map(String.init) ?? afterEpoch
        let parts = upstream.split(separator: ".").map { Int($0) }
        guard parts.count == 3, let a = parts[0], let b = parts[1], let c = parts[2] else { return nil }
        self.init(a, b, c)
    }
    public static func < (a: Self, b: Self) -> Bool { (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
    public var description: String { "\(major).\(minor).\(patch)" }

    /// Debian's: bullseye 2.0.20, bookworm 2.0.25, trixie 2.0.29 (the observed one), sid 2.0.32.
    public static let observed = KexecToolsVersion(2, 0, 29)
}

/// How a kexec-tools release places a kdump image through `kexec_load` on arm64
/// (kernel-rules.md §7.3). Every field names its source file and version boundary.
public struct KexecToolsRules: Sendable, Equatable {
    public var version: KexecToolsVersion
    /// `Crash kernel` ranges kept from /proc/iomem (`CRASH_MAX_RESERVED_RANGES`): 2 from 2.0.24
    /// ("arm64: kdump: Add support for crashkernel=X,high/low"), 1 before. Placement always uses
    /// the last one kept (`crash_reserved_mem[usablemem_rgns.size - 1]`, crashdump-arm64.c).
    public var maxCrashRanges: Int
    /// The purgatory segment: `bufsz` and its memory footprint (`bufsz + bss_pad + bsssz`,
    /// kexec/kexec-elf-rel.c `elf_rel_load`) before page rounding. A build constant: 0x3580 and
    /// a footprint that rounds to 0x4000 on 4K and 16K pages were observed with Debian's
    /// 1:2.0.29-2+b1 (X1). Other releases: not measured, the same is assumed.
    public var purgatoryBufsz: UInt64
    public var purgatoryFootprint: UInt64
    public var purgatoryMeasured: Bool
    /// 2.0.27+ ("kexec: make -a the default") try `kexec_file_load` first and fall back to
    /// `kexec_load` on ENOSYS/EINVAL/ENOEXEC/ENOTSUP (kexec/kexec.c `main`).
    public var triesFileLoadFirst: Bool

    /// ELF core header alignment (kexec/crashdump.h `ELF_CORE_HEADER_ALIGN`).
    public static let elfCoreHeaderAlign: UInt64 = 1024
    /// The DTB limit of booting.rst (kexec-arm64.c `arm64_load_other_segments`).
    public static let dtbLimit: UInt64 = 2 << 20
    /// Image + initrd must sit in one 1 GiB-aligned window of 32 GiB (same function).
    public static let window: UInt64 = 32 << 30
    public static let windowAlign: UInt64 = 1 << 30
    /// The Image's base alignment (`arm64_locate_kernel_segment`: `_ALIGN_UP(hole, MiB(2))`).
    public static let kernelAlign: UInt64 = 2 << 20

    public static func forVersion(_ v: KexecToolsVersion) -> KexecToolsRules {
        KexecToolsRules(version: v,
                        maxCrashRanges: v >= KexecToolsVersion(2, 0, 24) ? 2 : 1,
                        purgatoryBufsz: 0x3580, purgatoryFootprint: 0x4000,
                        purgatoryMeasured: v == .observed,
                        triesFileLoadFirst: v >= KexecToolsVersion(2, 0, 27))
    }
}

/// How a kernel release places a kdump image it loads itself (`kexec_file_load`; arm64
/// arch/arm64/kernel/kexec_image.c, machine_kexec_file.c, kernel/kexec_file.c; kernel-rules.md §7.4).
public struct KexecFileRules: Sendable, Equatable {
    /// arm64 kexec_file crash images exist from 5.10 ("arm64: kexec_file: add crash dump
    /// support"); before, `image_load` returns -EOPNOTSUPP for them.
    public var supportsCrash: Bool
    /// `locate_mem_hole_top_down` starts at `end - memsz` (one byte low) before 6.8
    /// ("kexec_file: fix incorrect temp_start value in locate_mem_hole_top_down()"), so a
    /// `memsz` that is a multiple of the alignment lands one alignment unit lower.
    public var topDownOneByteLow: Bool
    /// The ELF core header excludes `crashk_low_res` too from 5.19 (the low region is new then).
    public var elfHeadersExcludeLow: Bool
    /// 6.18: `struct kexec_buf kbuf;` left uninitialised in `image_load` may set `random` for the
    /// kernel segment (7.1 initialises it): placement there is not predictable.
    public var kernelStartMayBeRandom: Bool

    /// ELF core header: `SZ_64K` alignment (largest page size), top-down; size aligned to
    /// `ELF_CORE_HEADER_ALIGN` = 4096 (kernel/crash_core.c `crash_prepare_elf64_headers`).
    public static let elfHeaderAlign: UInt64 = 64 << 10
    public static let elfHeaderSizeAlign: UInt64 = 4096
    /// DTB: `SZ_2M` ("not across 2MB boundary"), top-down.
    public static let dtbAlign: UInt64 = 2 << 20

    public static func forVersion(_ v: KernelVersion) -> KexecFileRules {
        KexecFileRules(supportsCrash: v >= KernelVersion(5, 10),
                       topDownOneByteLow: v < KernelVersion(6, 8),
                       elfHeadersExcludeLow: v >= KernelVersion(5, 19),
                       kernelStartMayBeRandom: v >= KernelVersion(6, 18) && v < KernelVersion(7, 1))
    }
}

/// How arm64 relocates a normal (`kexec -l`) image at `kexec -e` (kernel-rules.md §7.6).
public struct KexecRelocationRules: Sendable, Equatable {
    /// 5.16+ (Pasha Tatashin, "arm64: MMU enabled kexec relocation", merged for 5.16): the copy
    /// runs with the MMU on through a `trans_pgd` copy of the linear map
    /// (arch/arm64/kernel/machine_kexec.c `machine_kexec_post_load`, relocate_kernel.S).
    /// Before: MMU and caches off (`cpu_soft_restart`), each page cleaned with `dc ivac`.
    public var mmuOn: Bool

    public static func forVersion(_ v: KernelVersion) -> KexecRelocationRules {
        KexecRelocationRules(mmuOn: v >= KernelVersion(5, 16))
    }
}
