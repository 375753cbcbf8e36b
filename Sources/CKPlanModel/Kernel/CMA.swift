/// The default CMA area, which every distro kernel reserves just before the deferred crash
/// reservation — so a plain `crashkernel=X` normally ends where it begins
/// (kernel/dma/contiguous.c `dma_contiguous_reserve`, mm/cma.c `cma_declare_contiguous_nid`).
/// kernel-rules.md §5.5; observed in kernel-rules-observed.md C1–C4.
public struct CMARules: Sendable, Equatable {
    /// How the alignment is derived.
    public enum Alignment: String, Sendable, Equatable {
        /// ≤ 5.17: `PAGE_SIZE << max(MAX_ORDER - 1, pageblock_order)`: 4 MiB (4K), 32 MiB (16K),
        /// 512 MiB (64K).
        case maxOrder
        /// 5.18+: `CMA_MIN_ALIGNMENT_BYTES = PAGE_SIZE * pageblock_nr_pages`: 2 MiB (4K),
        /// 32 MiB (16K), 512 MiB (64K).
        case pageblock
    }
    /// When the bottom-up attempt from 4 GiB is made.
    public enum BottomUp: String, Sendable, Equatable {
        /// 5.10: never; top-down in `[base, limit)` only.
        case never
        /// 5.15 … 6.12: if `memblock_end_of_DRAM() >= 4G + size`.
        case whenDRAMEndsAbove4GPlusSize
        /// 6.18+ (`cma_alloc_mem`): if `limit >= 4G + size`.
        case whenLimitIsAbove4GPlusSize
    }

    public var alignment: Alignment
    public var bottomUp: BottomUp
    /// "cma: Reserved N MiB at ADDR on node -1": observed on 6.12.107; 6.1.192 (observed) and
    /// 6.18.15 (read) print no node. A patch added the node and the multi-range CMA rework removed
    /// it; the releases in between other than 6.12 are unverified [U] and assumed without it.
    public var messageHasNode: Bool

    public static func rules(for v: KernelVersion) -> CMARules {
        CMARules(
            alignment: v >= KernelVersion(5, 18) ? .pageblock : .maxOrder,        // "mm/cma: factor out minimum alignment requirement"
            bottomUp: v < KernelVersion(5, 11) ? .never                           // read in 5.10.262 vs 5.15
                : v < KernelVersion(6, 13) ? .whenDRAMEndsAbove4GPlusSize          // read in 6.12.107
                : .whenLimitIsAbove4GPlusSize,                                    // read in 6.18.15; first release [U]
            messageHasNode: v.major == 6 && v.minor == 12)
    }

    /// The alignment for a page size.
    public func alignmentBytes(pageSize: UInt64) -> UInt64 {
        switch (alignment, pageSize) {
        case (.maxOrder, 4096): 4 << 20
        case (.pageblock, 4096): 2 << 20
        case (_, 16384): 32 << 20
        default: 512 << 20   // 64K: PMD-sized pageblocks either way
        }
    }
}

/// `cma=size[@base[-limit]]` (kernel/dma/contiguous.c `early_cma`).
public struct CMACommandLine: Sendable, Equatable {
    public var size: UInt64
    public var base: UInt64
    public var limit: UInt64

    /// The last `cma=` parameter, as `early_cma` parses it (memparse, no further checks).
    public init?(_ commandLine: KernelCommandLine) {
        guard let p = commandLine.last(named: "cma"), let value = p.value else { return nil }
        let s = MemParse.memparse(value, from: 0)
        size = s.value
        base = 0
        limit = 0
        guard s.end < value.count, value[s.end] == UInt8(ascii: "@") else { return }
        let b = MemParse.memparse(value, from: s.end + 1)
        base = b.value
        if b.end < value.count, value[b.end] == UInt8(ascii: "-") {
            limit = MemParse.memparse(value, from: b.end + 1).value
        } else {
            limit = base &+ size
        }
    }
}

public enum DMAContiguous {
    /// What `dma_contiguous_reserve(arm64_dma_phys_limit)` did.
    public struct Result: Sendable, Equatable {
        public var area: PhysRange?
        public var dmesg: [String]
    }

    /// Reserves the default area in `memblock`.
    /// - Parameters:
    ///   - configMBytes: CONFIG_CMA_SIZE_MBYTES.
    ///   - cmdline: `cma=`, if given (size 0 disables the area).
    ///   - replacedByDT: a `/reserved-memory` node with `linux,cma-default` already became the
    ///     default area, so none is reserved here.
    public static func reserve(rules: CMARules, memblock: inout Memblock, dmaLimit: UInt64, configMBytes: Int,
                               cmdline: CMACommandLine?, replacedByDT: Bool) -> Result {
        let messageHasNode = rules.messageHasNode
        var result = Result(area: nil, dmesg: [])
        let requested: UInt64
        var base: UInt64 = 0
        var limit = dmaLimit
        var fixed = false
        if let c = cmdline {
            requested = c.size
            base = c.base
            if c.limit != 0 { limit = min(c.limit, dmaLimit) }   // min_not_zero(limit_cmdline, limit)
            fixed = c.base != 0 && c.base &+ c.size == c.limit
        } else {
            requested = UInt64(configMBytes) << 20
        }
        guard requested > 0, !replacedByDT, let dramEnd = memblock.endOfDRAM else { return result }
        let align = rules.alignmentBytes(pageSize: memblock.pageSize)
        func alignUp(_ v: UInt64) -> UInt64? {
            let (s, o) = v.addingReportingOverflow(align - 1)
            return o ? nil : s / align * align
        }
        guard let size = alignUp(requested), let alignedBase = alignUp(base) else { return result }
        base = alignedBase
        limit = limit / align * align
        if base == 0 { fixed = false }
        if limit == 0 || limit > dramEnd { limit = dramEnd }
        let failed = "cma: Failed to reserve \(requested >> 20) MiB\(messageHasNode ? " on node -1" : "")"
        guard base <= limit, limit - base >= size else {
            result.dmesg.append(failed)
            return result
        }
        var area: PhysRange?
        if fixed {
            if let r = PhysRange(base: base, size: size), !memblock.isReserved(r) {
                memblock.reserve(r)
                area = r
            }
        } else {
            let fourG: UInt64 = 1 << 32
            let tryBottomUp: Bool = switch rules.bottomUp {
            case .never: false
            case .whenDRAMEndsAbove4GPlusSize: dramEnd >= fourG + size
            case .whenLimitIsAbove4GPlusSize: limit >= fourG + size
            }
            if tryBottomUp, let a = memblock.findBottomUp(size: size, align: align, start: fourG, end: limit),
               let r = PhysRange(base: a, size: size) {
                memblock.reserve(r)
                area = r
            }
            if area == nil {
                area = memblock.allocTopDown(size: size, align: align, start: base, end: limit)
            }
        }
        guard let area else {
            result.dmesg.append(failed)
            return result
        }
        result.area = area
        result.dmesg.append("cma: Reserved \(size >> 20) MiB at 0x\(Hex.padded(area.start, width: 16))\(messageHasNode ? " on node -1" : "")")
        return result
    }
}
