/// A kernel build: the release and the configuration values that change a plan.
///
/// Named profiles are the Debian arm64 kernels ckplan is checked against (reference/cli-contract.md);
/// `upstream(_:)` gives an upstream release with upstream arm64 defaults, and `set(_:_:)` overrides
/// any configuration value (`--set CONFIG_NAME=VALUE`).
public struct KernelProfile: Sendable, Equatable {
    public var name: String
    public var version: KernelVersion
    public var config: KernelConfig
    /// The Image's symbol offsets (the booted image unless `--image`/`--image-size` replace it).
    public var image: KernelImageLayout

    public init(name: String, version: KernelVersion, config: KernelConfig, image: KernelImageLayout) {
        self.name = name
        self.version = version
        self.config = config
        self.image = image
    }

    /// `debian-6.1-arm64`: linux-image-6.1.0-56-arm64 (6.1.192), bookworm. 4K pages, VA/PA 48,
    /// 4 levels, no KFENCE, no KEXEC_FILE (kernel-rules.md §1, Debian configs).
    public static let debian61 = KernelProfile(
        name: "debian-6.1-arm64", version: KernelVersion(6, 1, 192),
        config: KernelConfig(pageSize: 4096, vaBits: 48, paBits: 48, zoneDMA: true, zoneDMA32: true,
                             cmaSizeMBytes: 64, kfence: false, kfenceSampleInterval: 0,
                             rodataFullDefault: true, debugPagealloc: false, debugPageallocDefault: false,
                             kexecFile: false),
        // /proc/iomem of the observed boots: Kernel code 0x40210000-0x4185ffff, data to 0x4220ffff.
        image: KernelImageLayout(stext: 0x10000, initBegin: 0x1660000, end: 0x2010000, observed: true))

    /// `debian-6.12-arm64`: linux-image-6.12.107+deb13-arm64, trixie. 4K pages, VA/PA 52 (LPA2,
    /// 5 levels, when the CPU has it), KFENCE with sample interval 0.
    public static let debian612: KernelProfile = {
        var p = debian61
        p.name = "debian-6.12-arm64"
        p.version = KernelVersion(6, 12, 107)
        p.config.vaBits = 52
        p.config.paBits = 52
        p.config.kfence = true
        // Kernel code 0x40200000-0x41f1ffff, Kernel data to 0x426effff.
        p.image = KernelImageLayout(stext: 0x10000, initBegin: 0x1d20000, end: 0x24f0000, observed: true)
        return p
    }()

    /// `debian-6.12-arm64-16k`: the -arm64-16k flavour: 16K pages, VA/PA 52 (4 levels with LPA2).
    public static let debian612_16k: KernelProfile = {
        var p = debian612
        p.name = "debian-6.12-arm64-16k"
        p.config.pageSize = 16384
        // Kernel code 0x40200000-0x41f5ffff, Kernel data to 0x4279ffff.
        p.image = KernelImageLayout(stext: 0x10000, initBegin: 0x1d60000, end: 0x25a0000, observed: true)
        return p
    }()

    public static let named: [KernelProfile] = [debian61, debian612, debian612_16k]

    public static func named(_ name: String) -> KernelProfile? {
        named.first { $0.name == name }
    }

    /// The releases the rule tables cover, and how messages name them.
    public static let modelledReleases = KernelVersion(5, 10)..<KernelVersion(7, 2)
    public static let modelledReleasesText = "5.10 … 7.1"

    /// The profile for a running kernel's release (`uname -r`, /proc/sys/kernel/osrelease), and how
    /// it was chosen: Debian's `6.1.0-N-arm64` (bookworm) and `6.12.N+debN-arm64[-16k]` (trixie)
    /// map to their named builds; any other 5.10 … 7.1 release to upstream defaults.
    public static func forRelease(_ release: String) -> (profile: KernelProfile, how: String)? {
        guard let v = KernelVersion(parsing: release) else { return nil }
        let debian = release.hasSuffix("-arm64") || release.hasSuffix("-arm64-16k")
        if debian && v.series == "6.1" && release.hasPrefix("6.1.0-") {
            return (debian61, "Debian's build for the running release \(release)")
        }
        if debian && v.series == "6.12" && release.contains("+deb") {
            return (release.hasSuffix("-16k") ? debian612_16k : debian612, "Debian's build for the running release \(release)")
        }
        guard modelledReleases.contains(v) else { return nil }
        return (upstream(v), "upstream defaults for the running release \(release) (give --profile or --set for a distribution build)")
    }

    /// An upstream release with arch/arm64/configs/defconfig values: 4K pages, VA/PA 48, ZONE_DMA
    /// and ZONE_DMA32 (arm64 defaults), CONFIG_CMA_SIZE_MBYTES=32, KFENCE off, rodata=full by
    /// default (RODATA_FULL_DEFAULT_ENABLED defaults to y).
    public static func upstream(_ version: KernelVersion) -> KernelProfile {
        var p = debian61
        p.name = "linux-\(version.series)"
        p.version = version
        p.config.cmaSizeMBytes = 32
        // An upstream build's image size is not known: the Debian image of the nearest release.
        p.image = version < KernelVersion(6, 12) ? debian61.image : debian612.image
        p.image.observed = false
        return p
    }

    /// Overrides one configuration value: `CONFIG_ARM64_16K_PAGES=y`, `CONFIG_ZONE_DMA=n`,
    /// `CONFIG_CMA_SIZE_MBYTES=128`, `CONFIG_ARM64_PA_BITS=52`, …
    public mutating func set(_ name: String, _ value: String) throws(ProfileError) {
        func number() throws(ProfileError) -> Int {
            guard let n = Int(value), n >= 0 else { throw ProfileError("\(name) needs a number, got `\(value)`") }
            return n
        }
        func bool() throws(ProfileError) -> Bool {
            switch value.lowercased() {
            case "y", "yes", "1", "true": return true
            case "n", "no", "0", "false": return false
            default: throw ProfileError("\(name) needs y or n, got `\(value)`")
            }
        }
        switch name {
        case "CONFIG_ARM64_4K_PAGES": if try bool() { config.pageSize = 4096 }
        case "CONFIG_ARM64_16K_PAGES": if try bool() { config.pageSize = 16384 }
        case "CONFIG_ARM64_64K_PAGES": if try bool() { config.pageSize = 65536 }
        case "CONFIG_ARM64_VA_BITS":
            let n = try number()
            guard [36, 39, 42, 47, 48, 52].contains(n) else { throw ProfileError("CONFIG_ARM64_VA_BITS must be 36, 39, 42, 47, 48 or 52") }
            config.vaBits = n
        case "CONFIG_ARM64_PA_BITS":
            let n = try number()
            guard [48, 52].contains(n) else { throw ProfileError("CONFIG_ARM64_PA_BITS must be 48 or 52") }
            config.paBits = n
        case "CONFIG_ZONE_DMA": config.zoneDMA = try bool()
        case "CONFIG_ZONE_DMA32": config.zoneDMA32 = try bool()
        case "CONFIG_CMA_SIZE_MBYTES": config.cmaSizeMBytes = try number()
        case "CONFIG_KFENCE": config.kfence = try bool()
        case "CONFIG_KFENCE_SAMPLE_INTERVAL": config.kfenceSampleInterval = try number()
        case "CONFIG_RODATA_FULL_DEFAULT_ENABLED": config.rodataFullDefault = try bool()
        case "CONFIG_DEBUG_PAGEALLOC": config.debugPagealloc = try bool()
        case "CONFIG_DEBUG_PAGEALLOC_ENABLE_DEFAULT": config.debugPageallocDefault = try bool()
        case "CONFIG_KEXEC_FILE": config.kexecFile = try bool()
        default:
            throw ProfileError("\(name) is not a configuration value ckplan models; known: \(KernelConfig.settable.joined(separator: ", "))")
        }
    }
}

/// The configuration values that change a plan (Kconfig names in comments).
public struct KernelConfig: Sendable, Equatable {
    /// CONFIG_ARM64_{4K,16K,64K}_PAGES.
    public var pageSize: UInt64
    /// CONFIG_ARM64_VA_BITS.
    public var vaBits: Int
    /// CONFIG_ARM64_PA_BITS: CRASH_ADDR_HIGH_MAX = PHYS_MASK + 1 = 2^paBits.
    public var paBits: Int
    /// CONFIG_ZONE_DMA / CONFIG_ZONE_DMA32: whether the reservation is deferred, and the DMA limit.
    public var zoneDMA: Bool
    public var zoneDMA32: Bool
    /// CONFIG_CMA_SIZE_MBYTES: the default CMA area (0 = none unless `cma=`).
    public var cmaSizeMBytes: Int
    /// CONFIG_KFENCE and CONFIG_KFENCE_SAMPLE_INTERVAL (`kfence.sample_interval=` overrides).
    public var kfence: Bool
    public var kfenceSampleInterval: Int
    /// CONFIG_RODATA_FULL_DEFAULT_ENABLED.
    public var rodataFullDefault: Bool
    /// CONFIG_DEBUG_PAGEALLOC and CONFIG_DEBUG_PAGEALLOC_ENABLE_DEFAULT.
    public var debugPagealloc: Bool
    public var debugPageallocDefault: Bool
    /// CONFIG_KEXEC_FILE.
    public var kexecFile: Bool

    public static let settable = [
        "CONFIG_ARM64_4K_PAGES", "CONFIG_ARM64_16K_PAGES", "CONFIG_ARM64_64K_PAGES", "CONFIG_ARM64_VA_BITS",
        "CONFIG_ARM64_PA_BITS", "CONFIG_ZONE_DMA", "CONFIG_ZONE_DMA32", "CONFIG_CMA_SIZE_MBYTES", "CONFIG_KFENCE",
        "CONFIG_KFENCE_SAMPLE_INTERVAL", "CONFIG_RODATA_FULL_DEFAULT_ENABLED", "CONFIG_DEBUG_PAGEALLOC",
        "CONFIG_DEBUG_PAGEALLOC_ENABLE_DEFAULT", "CONFIG_KEXEC_FILE",
    ]
}

public struct ProfileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
