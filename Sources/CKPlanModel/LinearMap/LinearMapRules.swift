/// How each arm64 kernel version decides the flags `map_mem()` (arch/arm64/mm/mmu.c) maps the
/// linear map with: whether every region is forced to pages, whether the KFENCE pool and the
/// crash region are mapped separately, and which symbol starts the kernel alias.
/// kernel-rules.md §6.1, §6.2, §6.4, §6.5; kernel-rules-observed.md L1–L10.
///
/// Every version difference is a field, set in `rules(for:)` with its boundary. Stable back-ports
/// are keyed by the first stable release known to carry them; where that release was not
/// identified, the boundary is the tree that was read and is said so.
public struct LinearMapRules: Sendable, Equatable {
    /// Which early handler(s) parse `rodata=` before `map_mem` runs.
    public var rodataParser: RodataParser
    /// The boot value of `rodata_full`.
    public var rodataFullDefault: RodataFullDefault
    /// What of rodata the force predicate tests.
    public var rodataTest: RodataTest
    /// What KFENCE does to the linear map.
    public var kfence: KFENCE
    /// 5.10–6.3: `early_param("crashkernel", enable_crash_mem_map)` sets `crash_mem_map`, which
    /// forces pages when the reservation is deferred and otherwise carves the crash region out and
    /// maps it with pages (mmu.c). Removed in 6.4 ("arm64: kdump: do not map crashkernel region
    /// specifically", Baoquan He).
    public var crashMemMap: Bool
    /// When the crash reservation is deferred to `bootmem_init` (kernel-rules.md §5.1).
    public var crashDeferral: CrashDeferral
    /// 6.18+: `force_pte_mapping()` keeps blocks under rodata=full / late KFENCE when the boot
    /// CPU has BBML2_NOABORT (arch/arm64/kernel/cpufeature.c allow-list); only debug_pagealloc
    /// still forces pages (kernel-rules.md §6.5).
    public var bbml2: Bool
    /// `is_realm_world()` (Arm CCA guest) forces pages: in the 6.18.15 and 7.1.13 trees, not in
    /// 6.12.107 (arch/arm64/mm/pageattr.c `can_set_direct_map`). 6.13–6.17 were not read.
    public var realmForcesPages: Bool
    /// The symbol the kernel alias `[kernel_start, __init_begin)` starts at.
    public var aliasStart: AliasStart
    /// The `kstrtobool()` the 5.x `rodata=` parser and `debug_pagealloc=` use (lib/kstrtox.c).
    public var kstrtobool: Kstrtobool
    /// Up to 6.8 `paging_init` maps the kernel image with `early_pgtable_alloc` too, so more table
    /// pages are taken than the linear map's (11 on Debian 6.1, kernel-rules-observed.md L9;
    /// not modelled here). From 6.9 the early `pi` code maps the image.
    public var mapsKernelImageInPagingInit: Bool

    public enum RodataParser: String, Sendable, Equatable {
        /// 5.10–5.19: arm64 `early_param("rodata", parse_rodata)` in mmu.c: a kstrtobool value
        /// sets `rodata_enabled` and clears `rodata_full`; "full" sets both; anything else returns
        /// -EINVAL ("Malformed early option 'rodata'") and changes nothing.
        case arm64Kstrtobool
        /// 6.0–6.5 (and 6.1 before the back-port): `arch_parse_debug_rodata` (asm/setup.h) takes
        /// "full" only (both true); the generic early `set_debug_rodata` (init/main.c) sets
        /// `rodata_enabled` for exactly "on"/"off", leaving `rodata_full` as it was, and warns
        /// "Invalid option string for rodata: '%s'" otherwise.
        case archFull
        /// 6.6–6.17 and 6.1.176: the arch parser takes "full" (both true), "off" (both false) and
        /// "on" (enabled, `rodata_full` **false**) — "arm64: mm: Fix "rodata=on" when
        /// CONFIG_RODATA_FULL_DEFAULT_ENABLED=y". Anything else warns.
        case archFullOnOff
        /// 6.18+: "on" (both true), "off" (both false), "noalias" (enabled, full false); "full"
        /// is no longer recognised and warns, changing nothing (kernel-rules.md §6.2 [H] for the
        /// exact release between 6.13 and 6.18).
        case archOnOffNoalias
    }

    public enum RodataFullDefault: String, Sendable, Equatable {
        /// `CONFIG_RODATA_FULL_DEFAULT_ENABLED`.
        case kconfig
        /// 6.18+: the option is gone and rodata=full is the default.
        case always
    }

    public enum RodataTest: String, Sendable, Equatable {
        /// `rodata_full` (5.10–6.1, 6.6+; from 6.6 `rodata_full` implies `rodata_enabled`).
        case full
        /// 6.2–6.5: `rodata_enabled && rodata_full` ("arm64: fix rodata=full").
        case enabledAndFull
    }

    public enum KFENCE: String, Sendable, Equatable {
        /// Before 5.12 arm64 has no KFENCE.
        case absent
        /// 5.12–6.3 (6.1 before the back-port): `IS_ENABLED(CONFIG_KFENCE)` forces pages.
        case forcesPagesWhenBuiltIn
        /// 6.4+ and 6.1.176: `arm64_kfence_alloc_pool()` takes the pool from memblock before the
        /// map is built and maps it `NO_BLOCK|NO_CONT`; pages are forced only when
        /// `kfence_early_init` is false: sample interval 0 at boot (Kconfig, or the early param
        /// `kfence.sample_interval`, parsed with `get_option`) or the allocation failed.
        case earlyPool
    }

    public enum CrashDeferral: String, Sendable, Equatable {
        /// Deferred iff ZONE_DMA or ZONE_DMA32 (031495635b46; 5.10.y, 5.15.167, 5.18–6.3).
        case dmaZones
        /// Always deferred (5.11–5.17 except 5.15.167+; from 6.4 the reservation is always late).
        case always
    }

    public enum AliasStart: String, Sendable, Equatable {
        /// `_text`: 5.10; again from 6.18 ("arm64: map [_text, _stext) virtual address range
        /// non-executable+read-only", 5973a62efa34), back-ported to 6.17.4 and 6.12.y.
        case text = "_text"
        /// `_stext = _text + 64 KiB`: 5.11 ("arm64: omit [_text, _stext) from permanent kernel
        /// mapping", e2a073dde921) to 6.17.
        case stext = "_stext"
    }

    public enum Kstrtobool: String, Sendable, Equatable {
        /// `y Y 1` / `n N 0` / `o[nN]` / `o[fF]` by first characters.
        case classic
        /// 5.19+ [H]: also `t T` / `f F` ("lib/kstrtox.c: add "false"/"true" support").
        case trueFalse
        /// 6.2+ [H]: also `e E` / `d D` ("kstrtox: add support for enable and disable").
        case enableDisable
    }

    public static func rules(for v: KernelVersion) -> LinearMapRules {
        let from = { (major: Int, minor: Int) in v >= KernelVersion(major, minor) }
        // Stable back-ports, keyed by the release known to carry them.
        // 6.1.176 (the tree read) has the rodata=on fix and the KFENCE early pool; 6.1.0 has
        // neither. The first 6.1.y with each was not identified.
        let backport61 = v.major == 6 && v.minor == 1 && v.patch >= 176
        // 5.15.167 has 031495635b46 (early reservation without DMA zones); 5.15.24 does not.
        let backport515 = v.major == 5 && v.minor == 15 && v.patch >= 167
        // 5973a62efa34 was queued for 6.17.4 and the 6.12.y release of the same day (17 Oct 2025,
        // linux-stable-rc linux-6.12.y); 6.12.54 is inferred from that date, 6.12.107 observed (L6).
        let textAliasBackport = (v.major == 6 && v.minor == 17 && v.patch >= 4) || (v.major == 6 && v.minor == 12 && v.patch >= 54)
        return LinearMapRules(
            rodataParser: !from(6, 0) ? .arm64Kstrtobool
                : backport61 ? .archFullOnOff
                : !from(6, 6) ? .archFull : !from(6, 18) ? .archFullOnOff : .archOnOffNoalias,
            rodataFullDefault: from(6, 18) ? .always : .kconfig,
            rodataTest: from(6, 2) && !from(6, 6) ? .enabledAndFull : .full,
            kfence: !from(5, 12) ? .absent : (backport61 || from(6, 4)) ? .earlyPool : .forcesPagesWhenBuiltIn,
            crashMemMap: !from(6, 4),
            crashDeferral: !from(5, 11) || backport515 || (from(5, 18) && !from(6, 4)) ? .dmaZones : .always,
            bbml2: from(6, 18),
            realmForcesPages: from(6, 18),
            aliasStart: !from(5, 11) || from(6, 18) || textAliasBackport ? .text : .stext,
            kstrtobool: !from(5, 19) ? .classic : !from(6, 2) ? .trueFalse : .enableDisable,
            mapsKernelImageInPagingInit: !from(6, 9))
    }

    /// Whether the crash reservation runs late, in `bootmem_init`, for this configuration.
    public func reservationDeferred(_ config: KernelConfig) -> Bool {
        switch crashDeferral {
        case .always: true
        case .dmaZones: config.zoneDMA || config.zoneDMA32
        }
    }

    /// The flags `map_mem` computes for `config` and the boot facts.
    public func flags(config: KernelConfig, facts: LinearMapFacts) -> LinearMapFlags {
        var f = LinearMapFlags(aliasStart: aliasStart)
        let line = facts.commandLine

        // rodata: every `rodata` early parameter in command-line order (do_early_param calls the
        // handler once per occurrence; a rejected value leaves the variables as they were).
        var enabled = true
        var full = rodataFullDefault == .always || config.rodataFullDefault
        var fullSource = rodataFullDefault == .always ? "rodata=full (the default from 6.18)"
            : "rodata=full (CONFIG_RODATA_FULL_DEFAULT_ENABLED)"
        for value in line.rodata {
            let text = value.map { String(decoding: $0, as: UTF8.self) }
            switch parseRodata(value) {
            case .set(let e, let newFull):
                enabled = e
                if let newFull {
                    full = newFull
                    fullSource = "rodata=\(text ?? "")"
                }
            case .malformed:
                f.messages.append("Malformed early option 'rodata'")
            case .invalid:
                f.messages.append("Invalid option string for rodata: '\(text ?? "(null)")'")
            }
        }
        f.rodataEnabled = enabled
        f.rodataFull = full
        let rodataForces = rodataTest == .full ? full : (enabled && full)

        // debug_pagealloc_enabled(): CONFIG_DEBUG_PAGEALLOC and the early bool
        // `_debug_pagealloc_enabled_early` (default DEBUG_PAGEALLOC_ENABLE_DEFAULT), which each
        // valid `debug_pagealloc=` overwrites (mm/page_alloc.c, mm/debug_page_alloc.c).
        var debug = config.debugPageallocDefault
        for value in line.debugPagealloc {
            if let b = parseBool(value) { debug = b }
        }
        f.debugPagealloc = config.debugPagealloc && debug

        // KFENCE.
        var kfenceForces: String? = nil
        switch kfence {
        case .absent:
            break
        case .forcesPagesWhenBuiltIn:
            if config.kfence { kfenceForces = "CONFIG_KFENCE (no early KFENCE pool before 6.4)" }
        case .earlyPool:
            guard config.kfence else { break }
            var earlyInit = config.kfenceSampleInterval != 0
            var source = "CONFIG_KFENCE_SAMPLE_INTERVAL=\(config.kfenceSampleInterval)"
            for value in line.kfenceSampleInterval {
                if let n = Self.getOption(value) {
                    earlyInit = n != 0
                    source = "kfence.sample_interval=\(String(decoding: value ?? [], as: UTF8.self))"
                }
            }
            if !earlyInit {
                kfenceForces = "KFENCE sample interval 0 at boot (\(source)): late pool"
            } else if facts.kfencePoolAllocationFailed {
                kfenceForces = "KFENCE early pool allocation failed (\"failed to allocate kfence pool\")"
            } else {
                f.kfenceEarlyPool = true
            }
        }

        // crash_mem_map.
        var crashForces: String? = nil
        if crashMemMap && line.crashkernel {
            if facts.crashReservationDeferred ?? reservationDeferred(config) {
                crashForces = "crashkernel= on the command line while the crash reservation is deferred (ZONE_DMA/ZONE_DMA32, 5.10–6.3 crash_mem_map)"
            } else {
                f.crashRegionMappedSeparately = true
            }
        }

        let realm = realmForcesPages && facts.realmWorld ? "Arm CCA realm guest" : nil
        var candidates: [String] = []
        if rodataForces { candidates.append(fullSource) }
        if let kfenceForces { candidates.append(kfenceForces) }
        if let realm { candidates.append(realm) }
        if bbml2 && facts.bbml2NoAbort {
            // force_pte_mapping(): only debug_pagealloc is left; the map keeps its blocks and
            // linear_map_requires_bbml2 is set when can_set_direct_map() would have forced pages.
            f.linearMapRequiresBBML2 = !f.debugPagealloc && !candidates.isEmpty
            candidates = []
        }
        if f.debugPagealloc { candidates.insert("debug_pagealloc", at: 0) }
        if let crashForces { candidates.append(crashForces) }
        f.reasons = candidates
        f.forcePages = !candidates.isEmpty
        return f
    }

    enum RodataOutcome: Equatable {
        /// New `rodata_enabled`, and `rodata_full` if it changes.
        case set(Bool, Bool?)
        /// The handler returned an error: "Malformed early option 'rodata'".
        case malformed
        /// The generic handler warned "Invalid option string for rodata: '%s'".
        case invalid
    }

    /// One `rodata` early parameter through this version's handler(s).
    func parseRodata(_ value: [UInt8]?) -> RodataOutcome {
        let text = value.map { String(decoding: $0, as: UTF8.self) }
        switch rodataParser {
        case .arm64Kstrtobool:
            // A bare `rodata` passes NULL: kstrtobool fails and the C code then calls
            // strcmp(NULL, "full"); modelled as a rejected value.
            if let b = parseBool(value) { return .set(b, false) }
            return text == "full" ? .set(true, true) : .malformed
        case .archFull:
            switch text {
            case "full": return .set(true, true)
            case "on": return .set(true, nil)
            case "off": return .set(false, nil)
            default: return .invalid
            }
        case .archFullOnOff:
            switch text {
            case "full": return .set(true, true)
            case "on": return .set(true, false)
            case "off": return .set(false, false)
            default: return .invalid
            }
        case .archOnOffNoalias:
            switch text {
            case "on": return .set(true, true)
            case "off": return .set(false, false)
            case "noalias": return .set(true, false)
            default: return .invalid
            }
        }
    }

    /// `kstrtobool()` as this version has it; nil for -EINVAL (also for a NULL value).
    func parseBool(_ value: [UInt8]?) -> Bool? {
        guard let value else { return nil }
        func lower(_ c: UInt8) -> UInt8 { c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c }
        let c0 = lower(value.first ?? 0), c1 = lower(value.count > 1 ? value[1] : 0)
        switch Character(UnicodeScalar(c0)) {
        case "y", "1": return true
        case "n", "0": return false
        case "o": return c1 == UInt8(ascii: "n") ? true : c1 == UInt8(ascii: "f") ? false : nil
        case "t" where kstrtobool != .classic: return true
        case "f" where kstrtobool != .classic: return false
        case "e" where kstrtobool == .enableDisable: return true
        case "d" where kstrtobool == .enableDisable: return false
        default: return nil
        }
    }

    /// `get_option(&arg, &val)` (lib/cmdline.c) as `parse_kfence_early_init` uses it: nil when it
    /// returns 0 (no digits; `kfence_early_init` unchanged), else the value as the C `int`
    /// holds it — `simple_strtoull(…, 0)` (0x hex, leading-0 octal), negated after a `-`,
    /// truncated to 32 bits (so 4294967296 is 0).
    static func getOption(_ value: [UInt8]?) -> Int32? {
        guard let value, let first = value.first else { return nil }
        let negative = first == UInt8(ascii: "-")
        let start = negative ? 1 : 0
        let parsed = MemParse.strtoull(value, from: start)
        guard parsed.end != start else { return nil }
        let v = negative ? 0 &- parsed.value : parsed.value
        return Int32(truncatingIfNeeded: v)
    }
}

/// The command-line values `map_mem`'s flags depend on, each early parameter in order (`nil`
/// for a bare parameter without `=`), as `parse_early_param` → `do_early_param` sees them:
/// names compared with `parameq` (dashes and underscores equal), nothing after `--`.
public struct LinearMapCommandLine: Sendable, Equatable {
    public var rodata: [[UInt8]?]
    public var kfenceSampleInterval: [[UInt8]?]
    public var debugPagealloc: [[UInt8]?]
    /// Any parameter named `crashkernel` (`crash_mem_map`, kernel-rules.md §2.10).
    public var crashkernel: Bool

    public init(_ line: KernelCommandLine) {
        rodata = line.parameters(named: "rodata").map(\.value)
        kfenceSampleInterval = line.parameters(named: "kfence.sample_interval").map(\.value)
        debugPagealloc = line.parameters(named: "debug_pagealloc").map(\.value)
        crashkernel = line.hasCrashkernelEarlyParam
    }

    public init(_ text: String) {
        self.init(KernelCommandLine(text))
    }
}

/// Boot facts besides the command line.
public struct LinearMapFacts: Sendable, Equatable {
    public var commandLine: LinearMapCommandLine
    /// Whether the crash reservation is deferred; nil to derive it from the configuration.
    public var crashReservationDeferred: Bool?
    /// `memblock_phys_alloc(KFENCE_POOL_SIZE, PAGE_SIZE)` returned 0.
    public var kfencePoolAllocationFailed: Bool
    /// The boot CPU is on the BBML2_NOABORT allow-list (6.18+).
    public var bbml2NoAbort: Bool
    /// Running as an Arm CCA realm guest.
    public var realmWorld: Bool

    public init(commandLine: LinearMapCommandLine, crashReservationDeferred: Bool? = nil, kfencePoolAllocationFailed: Bool = false,
                bbml2NoAbort: Bool = false, realmWorld: Bool = false) {
        self.commandLine = commandLine
        self.crashReservationDeferred = crashReservationDeferred
        self.kfencePoolAllocationFailed = kfencePoolAllocationFailed
        self.bbml2NoAbort = bbml2NoAbort
        self.realmWorld = realmWorld
    }

    public init(_ commandLine: String) {
        self.init(commandLine: LinearMapCommandLine(commandLine))
    }
}

/// What `map_mem` decided.
public struct LinearMapFlags: Sendable, Equatable {
    /// `NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS` for every region.
    public var forcePages = false
    /// Every cause that forces pages, most basic first ("rodata=full
    /// (CONFIG_RODATA_FULL_DEFAULT_ENABLED)", "KFENCE sample interval 0 at boot …", …).
    public var reasons: [String] = []
    public var rodataEnabled = true
    public var rodataFull = false
    public var debugPagealloc = false
    /// The KFENCE pool is allocated early and mapped separately with pages.
    public var kfenceEarlyPool = false
    /// The crash region is carved out and mapped with pages (early reservation path).
    public var crashRegionMappedSeparately = false
    /// 6.18+: blocks kept thanks to BBML2; the map is split to pages later if a secondary CPU
    /// lacks the feature (not modelled: that is after boot).
    public var linearMapRequiresBBML2 = false
    public var aliasStart: LinearMapRules.AliasStart
    /// Kernel warnings from the parameters ("Invalid option string for rodata: 'x'").
    public var messages: [String] = []

    public init(aliasStart: LinearMapRules.AliasStart) {
        self.aliasStart = aliasStart
    }

    /// All reasons, joined.
    public var reason: String? { reasons.isEmpty ? nil : reasons.joined(separator: "; ") }

    /// `[kernel_start, __init_begin)` for an image.
    public func kernelAlias(of image: KernelImageSymbols) -> PhysRange? {
        let start = image.text + (aliasStart == .stext ? image.stextOffset : 0)
        return PhysRange(start: start, end: image.text + image.initBeginOffset)
    }
}
