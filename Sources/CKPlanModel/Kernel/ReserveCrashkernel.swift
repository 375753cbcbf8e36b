/// How each arm64 kernel version reserves the crash kernel once `crashkernel=` is parsed
/// (arch/arm64/mm/init.c `reserve_crashkernel` up to 6.6; kernel/crash_core.c (6.7, 6.8) and
/// kernel/crash_reserve.c (6.9+) `reserve_crashkernel_generic`). kernel-rules.md §4.
///
/// Every version difference is a field here, set in `rules(for:)` with its boundary.
public struct ReserveCrashkernelRules: Sendable, Equatable {
    /// `crash_size = PAGE_ALIGN(crash_size)`: 5.10 … 6.6; 6.7+ reserves the exact size.
    public var pageAlignsSize: Bool
    /// 5.10 only: `memblock_find_in_range` plus explicit fixed-base checks with their own
    /// messages (region is not memory / overlaps reserved memory / not 2MB aligned).
    public var fixedBaseChecks510: Bool
    /// Where `X,high` starts searching: 0 (5.19–6.4), 4 GiB (6.5, 6.6), the DMA limit (6.7+).
    /// nil: `,high` is not parsed on arm64 (5.10, 5.15).
    public var highSearchBase: HighSearchBase?
    /// 6.2+: a plain `X` that does not fit below the DMA limit retries in the high window with a
    /// 128 MiB low region. The retry starts at 0 on 6.2–6.4 and at the DMA limit from 6.5.
    public var plainFallback: PlainFallback?
    /// 6.5+: `X,high` that does not fit high retries in `[0, DMA limit)`; 6.12+ skips the retry
    /// when the two windows are the same (no DMA zones).
    public var highFallbackToLow: HighFallback?
    /// When a low region is made next to a high one.
    public var lowRegionCondition: LowRegionCondition
    /// 6.5+: a failing fixed base says "crashkernel reservation failed - memory is in use."
    public var fixedBaseInUseMessage: Bool
    /// `/sys/kernel/kexec_crash_size` counts crashk_low_res too (6.6+ trees; observed 6.12).
    public var crashSizeIncludesLow: Bool

    public enum HighSearchBase: String, Sendable, Equatable { case zero, fourGiB, dmaLimit }
    public enum PlainFallback: String, Sendable, Equatable { case fromZero, fromDMALimit }
    public enum HighFallback: String, Sendable, Equatable { case always, unlessWindowsEqual }
    public enum LowRegionCondition: String, Sendable, Equatable {
        /// No low region exists (5.10, 5.15).
        case never
        /// `crash_base >= CRASH_ADDR_LOW_MAX` (5.19–6.1, 6.5+).
        case baseAtOrAboveLimit
        /// `crash_base > CRASH_ADDR_LOW_MAX - crash_low_size` (6.2–6.4; unsigned: false when the
        /// low size exceeds the limit).
        case baseAboveLimitMinusLow
    }

    /// The bytes reserved for a requested size: `PAGE_ALIGN(size)` up to 6.6 (wrapping to 0 near
    /// 2^64 as the kernel's macro does), the exact size from 6.7.
    public func reservedSize(_ size: UInt64, pageSize: UInt64) -> UInt64 {
        guard pageAlignsSize else { return size }
        let (rounded, overflow) = size.addingReportingOverflow(pageSize - 1)
        return overflow ? 0 : rounded / pageSize * pageSize
    }

    public static func rules(for v: KernelVersion) -> ReserveCrashkernelRules {
        let from = { (major: Int, minor: Int) in v >= KernelVersion(major, minor) }
        return ReserveCrashkernelRules(
            pageAlignsSize: !from(6, 7),                                   // 6.7: generic code drops PAGE_ALIGN
            fixedBaseChecks510: !from(5, 11),                              // 5.15 uses memblock_phys_alloc_range
            highSearchBase: !from(5, 19) ? nil                             // 5.19: ,high on arm64
                : !from(6, 5) ? .zero                                      // 6.5: CRASH_HIGH_SEARCH_BASE = SZ_4G
                : !from(6, 7) ? .fourGiB : .dmaLimit,                      // 6.7: search_base = CRASH_ADDR_LOW_MAX
            plainFallback: !from(6, 2) ? nil : !from(6, 5) ? .fromZero : .fromDMALimit,
            highFallbackToLow: !from(6, 5) ? nil : !from(6, 12) ? .always : .unlessWindowsEqual,
            lowRegionCondition: !from(5, 19) ? .never
                : (from(6, 2) && !from(6, 5)) ? .baseAboveLimitMinusLow : .baseAtOrAboveLimit,
            fixedBaseInUseMessage: from(6, 5),
            crashSizeIncludesLow: from(6, 6))
    }
}

/// What the reservation did.
public struct CrashReservation: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable {
        case reserved, failed
        /// The kernel retries the same empty window forever (6.2+ with `LOW == HIGH`, i.e. no DMA
        /// zones, when the plain request fails): the boot hangs.
        case hangs
    }
    public var outcome: Outcome
    /// crashk_res, if reserved.
    public var main: PhysRange?
    /// crashk_low_res, if reserved.
    public var low: PhysRange?
    /// Kernel log lines, in order, without timestamps.
    public var dmesg: [String]
    /// Each window the kernel searched, in order, for `explain`.
    public var attempts: [Attempt]

    public init(outcome: Outcome, main: PhysRange?, low: PhysRange?, dmesg: [String], attempts: [Attempt]) {
        self.outcome = outcome
        self.main = main
        self.low = low
        self.dmesg = dmesg
        self.attempts = attempts
    }

    public struct Attempt: Sendable, Equatable {
        public var what: String
        public var size: UInt64
        public var window: PhysRange?
        public var result: PhysRange?
    }

    /// `/sys/kernel/kexec_crash_size`.
    public func kexecCrashSize(_ rules: ReserveCrashkernelRules) -> UInt64 {
        (main?.size ?? 0) &+ (rules.crashSizeIncludesLow ? (low?.size ?? 0) : 0)
    }
}

public enum ReserveCrashkernel {
    /// `CRASH_ALIGN`: "Current arm64 boot protocol requires 2MB alignment".
    public static let crashAlign: UInt64 = 2 << 20
    /// `DEFAULT_CRASH_KERNEL_LOW_SIZE` (arm64 never overrides it).
    public static let defaultLowSize: UInt64 = 128 << 20

    /// Runs the reservation on `memblock` (which it updates).
    /// - Parameters:
    ///   - lowMax: `CRASH_ADDR_LOW_MAX` = `arm64_dma_phys_limit`.
    ///   - highMax: `CRASH_ADDR_HIGH_MAX` = `PHYS_MASK + 1`.
    public static func run(_ request: CrashKernelRequest, rules: ReserveCrashkernelRules, memblock: inout Memblock,
                           lowMax: UInt64, highMax: UInt64) -> CrashReservation {
        var result = CrashReservation(outcome: .failed, main: nil, low: nil, dmesg: [], attempts: [])
        let size = rules.reservedSize(request.size, pageSize: memblock.pageSize)
        func alloc(_ what: String, _ size: UInt64, _ start: UInt64, _ end: UInt64) -> PhysRange? {
            let r = memblock.allocTopDown(size: size, align: crashAlign, start: start, end: end)
            result.attempts.append(.init(what: what, size: size, window: PhysRange(start: min(start, end), end: end), result: r))
            return r
        }
        let cannot = "cannot allocate crashkernel (size:\(Hex.short(size)))"

        // Fixed base: one exact window, never a fallback.
        if request.base != 0 {
            let base = request.base
            let (end, overflow) = base.addingReportingOverflow(size)
            if rules.fixedBaseChecks510 {
                guard !overflow, let range = PhysRange(start: base, end: end),
                      memblock.memory.contains(where: { $0.range.contains(range) }) else {
                    result.dmesg.append("cannot reserve crashkernel: region is not memory")
                    return result
                }
                if memblock.isReserved(range) {
                    result.dmesg.append("cannot reserve crashkernel: region overlaps reserved memory")
                    return result
                }
                if base % crashAlign != 0 {
                    result.dmesg.append("cannot reserve crashkernel: base address is not 2MB aligned")
                    return result
                }
                memblock.reserve(range)
                result.attempts.append(.init(what: "crashkernel at fixed base", size: size, window: range, result: range))
                result.main = range
            } else {
                guard !overflow, let r = alloc("crashkernel at fixed base", size, base, end) else {
                    result.dmesg.append(rules.fixedBaseInUseMessage ? "crashkernel reservation failed - memory is in use." : cannot)
                    return result
                }
                result.main = r
            }
        } else {
            var low = request.lowSize
            var main: PhysRange?
            if request.high, let base = rules.highSearchBase {
                let start: UInt64 = switch base {
                case .zero: 0
                case .fourGiB: 4 << 30
                case .dmaLimit: lowMax
                }
                main = alloc("crashkernel,high", size, start, highMax)
                if main == nil, let fallback = rules.highFallbackToLow, fallback == .always || lowMax != highMax {
                    main = alloc("crashkernel,high falling back below the DMA limit", size, 0, lowMax)
                    if main == nil && lowMax == highMax {
                        // 6.5–6.11: `crash_max == CRASH_ADDR_HIGH_MAX` still holds: `goto retry` forever.
                        result.outcome = .hangs
                        return result
                    }
                }
            } else {
                main = alloc("crashkernel", size, 0, lowMax)
                if main == nil, let fallback = rules.plainFallback {
                    if lowMax == highMax {
                        // `crash_max == CRASH_ADDR_LOW_MAX` stays true after the retry: `goto retry` forever.
                        result.outcome = .hangs
                        return result
                    }
                    low = defaultLowSize
                    main = alloc("crashkernel falling back above the DMA limit", size, fallback == .fromZero ? 0 : lowMax, highMax)
                }
            }
            guard let main else {
                result.dmesg.append(cannot)
                return result
            }
            result.main = main
            let needsLow: Bool = switch rules.lowRegionCondition {
            case .never: false
            case .baseAtOrAboveLimit: main.start >= lowMax
            case .baseAboveLimitMinusLow: lowMax >= low && main.start > lowMax - low
            }
            if needsLow && low != 0 {
                // reserve_crashkernel_low: the size is not page-aligned; top-down below the limit.
                guard let lowRange = alloc("crashkernel low", low, 0, lowMax) else {
                    result.dmesg.append("cannot allocate crashkernel low memory (size:\(Hex.short(low))).")
                    memblock.free(main)
                    result.main = nil
                    return result
                }
                result.low = lowRange
                result.dmesg.append("crashkernel low memory reserved: 0x\(Hex.padded(lowRange.start, width: 8)) - 0x\(Hex.padded(lowRange.end, width: 8)) (\(low >> 20) MB)")
            }
        }
        if let main = result.main {
            result.outcome = .reserved
            result.dmesg.append("crashkernel reserved: 0x\(Hex.padded(main.start, width: 16)) - 0x\(Hex.padded(main.end, width: 16)) (\(main.size >> 20) MB)")
        }
        return result
    }
}
