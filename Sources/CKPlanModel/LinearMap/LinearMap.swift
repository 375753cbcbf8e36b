/// What `map_mem()` (arch/arm64/mm/mmu.c) is given: the memory to map, the pieces it maps
/// separately, whether the whole map is forced to pages, and the table geometry.
public struct LinearMapInput: Sendable, Equatable {
    /// `memblock.memory` minus NOMAP, one range per memblock region, as `for_each_mem_range`
    /// yields them (any order; they, and the carve-outs below, must not overlap each other
    /// except that each carve-out lies inside the regions, as in the kernel). Adjacent regions the caller keeps separate (different flags, or a NUMA node
    /// boundary when nids are already set, as on ACPI boots) are mapped by separate
    /// `__create_pgd_mapping` calls, so no block spans their boundary.
    public var mapped: [PhysRange]
    /// NOMAP regions (EFI runtime/reserved, DT `no-map`), only to name what cuts a block.
    public var nomap: [PhysRange]
    /// `[kernel_start, __init_begin)`: temporarily NOMAP while the regions are mapped, then
    /// mapped on its own with `NO_CONT_MAPPINGS` only — blocks allowed even when pages are forced.
    public var kernelAlias: PhysRange?
    /// The symbol `kernelAlias` starts at (`_stext` or `_text`), for the break reasons.
    public var kernelAliasStartSymbol: String
    /// The early KFENCE pool (6.1.176, 6.4+): carved out, then mapped `NO_BLOCK|NO_CONT`.
    public var kfencePool: PhysRange?
    /// `crashk_res` on the early reservation path (5.10–6.3 without DMA zones): carved out, then
    /// mapped `NO_BLOCK|NO_CONT`.
    public var crashEarly: PhysRange?
    /// `NO_BLOCK_MAPPINGS|NO_CONT_MAPPINGS` on every region (``LinearMapFlags/forcePages``).
    public var forcePages: Bool
    /// Why, for the report ("rodata=full", …).
    public var forceReason: String?
    public var geometry: LinearMapGeometry

    public init(mapped: [PhysRange], nomap: [PhysRange] = [], kernelAlias: PhysRange?, kernelAliasStartSymbol: String = "_stext",
                kfencePool: PhysRange? = nil, crashEarly: PhysRange? = nil, forcePages: Bool, forceReason: String? = nil,
                geometry: LinearMapGeometry) {
        self.mapped = mapped
        self.nomap = nomap
        self.kernelAlias = kernelAlias
        self.kernelAliasStartSymbol = kernelAliasStartSymbol
        self.kfencePool = kfencePool
        self.crashEarly = crashEarly
        self.forcePages = forcePages
        self.forceReason = forceReason
        self.geometry = geometry
    }

    /// Takes the force decision, its reason and the alias symbol from `flags`; the pool and the
    /// early crash region are passed only when `flags` says the kernel maps them separately.
    public init(mapped: [PhysRange], nomap: [PhysRange] = [], kernelImage: KernelImageSymbols?, kfencePool: PhysRange?,
                crashRegion: PhysRange?, flags: LinearMapFlags, geometry: LinearMapGeometry) {
        self.init(mapped: mapped, nomap: nomap, kernelAlias: kernelImage.flatMap { flags.kernelAlias(of: $0) },
                  kernelAliasStartSymbol: flags.aliasStart.rawValue,
                  kfencePool: flags.kfenceEarlyPool ? kfencePool : nil,
                  crashEarly: flags.crashRegionMappedSeparately ? crashRegion : nil,
                  forcePages: flags.forcePages, forceReason: flags.reason, geometry: geometry)
    }
}

/// The physical addresses of the kernel image symbols `map_mem` uses.
public struct KernelImageSymbols: Sendable, Equatable {
    /// `_text`: the image base (2 MiB aligned by the boot protocol).
    public var text: UInt64
    /// `_stext - _text`: one 64 KiB `SEGMENT_ALIGN` segment (`.head.text`) in every version read.
    public var stextOffset: UInt64
    /// `__init_begin - _text` (64 KiB aligned).
    public var initBeginOffset: UInt64

    public init(text: UInt64, stextOffset: UInt64 = 0x10000, initBeginOffset: UInt64) {
        self.text = text
        self.stextOffset = stextOffset
        self.initBeginOffset = initBeginOffset
    }

    /// Debian linux-image-6.1.0-56-arm64 (6.1.192): `__init_begin = _text + 0x1660000`,
    /// `_end = _text + 0x2010000` (observed: iomem "Kernel code" 0x40210000–0x4185ffff with the
    /// image at 0x40200000, kexec-tools memsz 0x2010000).
    public static func debian61(text: UInt64) -> KernelImageSymbols {
        KernelImageSymbols(text: text, initBeginOffset: 0x166_0000)
    }

    /// Debian linux-image-6.12.107+deb13-arm64: `__init_begin = _text + 0x1d20000`, `_end =
    /// _text + 0x24f0000` (observed: "Kernel code" 0x40200000–0x41f1ffff, memsz 0x24f0000).
    public static func debian612(text: UInt64) -> KernelImageSymbols {
        KernelImageSymbols(text: text, initBeginOffset: 0x1d2_0000)
    }

    /// Debian linux-image-6.12.107+deb13-arm64-16k: `__init_begin = _text + 0x1d60000` (observed:
    /// "Kernel code" 0x40200000–0x41f5ffff).
    public static func debian612_16k(text: UInt64) -> KernelImageSymbols {
        KernelImageSymbols(text: text, initBeginOffset: 0x1d6_0000)
    }
}

/// The boot-time linear map, computed arithmetically from the regions (never page by page), and
/// the same figures for the best layout the memory map allows.
public struct LinearMap: Sendable, Equatable {
    /// A maximal run of equal leaves: `[start, end)` by PA, merged across segments like the
    /// observation harness merges its walk.
    public struct Run: Hashable, Sendable, CustomStringConvertible {
        public var start: UInt64
        public var end: UInt64
        public var leafSize: UInt64
        public var contiguous: Bool

        public init(start: UInt64, end: UInt64, leafSize: UInt64, contiguous: Bool) {
            self.start = start
            self.end = end
            self.leafSize = leafSize
            self.contiguous = contiguous
        }

        public var size: UInt64 { end - start }
        public var description: String {
            "[\(Hex.short(start)), \(Hex.short(end))) \(ByteCount.human(leafSize))\(contiguous ? " CONT" : "")"
        }
    }

    /// A place where a larger mapping was possible by size but not used, and what caused it.
    public struct Break: Hashable, Sendable {
        public var at: UInt64
        public var reason: String
    }

    /// Page-table pages per level, with the kernel's names. Folded levels are 0.
    public struct TablePages: Hashable, Sendable {
        /// The top level: the static `swapper_pg_dir`, shared with the rest of the kernel, so
        /// always 1 and not allocated.
        public var pgd: UInt64 = 1
        public var p4d: UInt64 = 0
        public var pud: UInt64 = 0
        public var pmd: UInt64 = 0
        public var pte: UInt64 = 0
        /// What `early_pgtable_alloc` takes from memblock for the linear map: every level below
        /// the top, one `PAGE_SIZE` page each, top-down before the deferred crash reservation.
        /// (Up to 6.8 `paging_init` also maps the kernel image with `early_pgtable_alloc`; those
        /// pages are not counted here — 11 more on Debian 6.1, kernel-rules-observed.md L9.)
        public var allocated: UInt64 { p4d + pud + pmd + pte }

        public init(pgd: UInt64 = 1, p4d: UInt64 = 0, pud: UInt64 = 0, pmd: UInt64 = 0, pte: UInt64 = 0) {
            self.pgd = pgd
            self.p4d = p4d
            self.pud = pud
            self.pmd = pmd
            self.pte = pte
        }
    }

    /// How many leaf entries of one kind the map uses (TLB reach: a CONT group is one TLB entry).
    public struct LeafCount: Hashable, Sendable {
        public var leafSize: UInt64
        public var contiguous: Bool
        public var entries: UInt64
    }

    /// One layout's figures.
    public struct Layout: Hashable, Sendable {
        public var runs: [Run]
        public var tablePages: TablePages
        public var leafEntries: [LeafCount]
        /// `tablePages.allocated × PAGE_SIZE`.
        public var tablePageBytes: UInt64
    }

    /// What the map was built from.
    public var input: LinearMapInput
    public var geometry: LinearMapGeometry { input.geometry }
    /// What the kernel builds.
    public var layout: Layout
    /// The best layout the memory map allows: every region with blocks and CONT, no forcing and
    /// no alias, KFENCE or crash carve-outs. `layout` minus `best` is the cost.
    public var best: Layout
    /// The `__map_memblock` calls, with what bounds each (the breaks are derived from them).
    var segments: [LinearMapSegment]
    /// Why every region was mapped with pages, if it was.
    public var forcedReason: String? { input.forcePages ? (input.forceReason ?? "forced") : nil }

    /// Sorted by address; reasons at the same address are joined with "; ". Worded on demand
    /// (one description per region boundary: only the JSON report and `explain` ask).
    public var breaks: [Break] { BreakFinder(geometry: geometry, segments: segments).breaks() }

    public var runs: [Run] { layout.runs }
    public var tablePages: TablePages { layout.tablePages }
    public var leafEntries: [LeafCount] { layout.leafEntries }

    /// Builds the map in O(regions · log regions): each segment decomposes into at most nine
    /// arithmetic pieces, and table pages are counted as distinct table spans.
    public static func build(_ input: LinearMapInput) -> LinearMap {
        let g = input.geometry
        let segments = Segmenter(input).segments()
        let actual = layout(segments.map { ($0.range, $0.mode) }, geometry: g)
        let ideal = layout(input.mapped.map { (pageAligned($0, g), Mode.blocks) }, geometry: g)
        return LinearMap(input: input, layout: actual, best: ideal, segments: segments)
    }

    /// The flags `__create_pgd_mapping` gets.
    enum Mode: Sendable {
        /// 0 (or just `NO_EXEC_MAPPINGS`): blocks and CONT.
        case blocks
        /// `NO_CONT_MAPPINGS`: blocks, no CONT (the kernel alias).
        case noContiguous
        /// `NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS`.
        case pages
    }

    /// `phys &= PAGE_MASK; end = PAGE_ALIGN(virt + size)` in `__create_pgd_mapping`.
    static func pageAligned(_ r: PhysRange, _ g: LinearMapGeometry) -> PhysRange {
        let start = r.start / g.pageSize * g.pageSize
        let (rounded, overflow) = r.end.addingReportingOverflow(g.pageSize - 1)
        let end = overflow ? UInt64.max / g.pageSize * g.pageSize : rounded / g.pageSize * g.pageSize
        return PhysRange(start: start, end: max(start, end))!
    }

    /// The units a mode allows, largest first, restricted to those VA/PA congruence allows.
    static func units(_ mode: Mode, _ g: LinearMapGeometry) -> [LinearMapGeometry.Unit] {
        g.units.filter { unit in
            guard g.isUsable(unit) else { return false }
            switch mode {
            case .blocks: return true
            case .noContiguous: return !unit.contiguous
            case .pages: return unit == g.page
            }
        }
    }

    /// `units(_:_:)` of each mode, computed once for a geometry.
    struct UnitTable {
        let blocks: [LinearMapGeometry.Unit]
        let noContiguous: [LinearMapGeometry.Unit]
        let pages: [LinearMapGeometry.Unit]

        init(_ g: LinearMapGeometry) {
            blocks = LinearMap.units(.blocks, g)
            noContiguous = LinearMap.units(.noContiguous, g)
            pages = LinearMap.units(.pages, g)
        }

        subscript(mode: Mode) -> [LinearMapGeometry.Unit] {
            switch mode {
            case .blocks: blocks
            case .noContiguous: noContiguous
            case .pages: pages
            }
        }
    }

    /// The leaves one `__create_pgd_mapping` call makes, as at most 2·(units−1)+1 pieces.
    ///
    /// The walk is greedy from the top level and every unit boundary is a multiple of the next
    /// smaller one, so a unit of size S covers exactly the whole S-aligned chunks inside the
    /// segment that no larger unit covers: the S-core `[roundup(start, S), rounddown(end, S))`
    /// minus the next larger non-empty core. Cores are nested, so each difference is at most a
    /// head and a tail.
    static func decompose(_ segment: PhysRange, _ mode: Mode, _ g: LinearMapGeometry) -> [Run] {
        decompose(segment, units: units(mode, g), g)
    }

    static func decompose(_ segment: PhysRange, units: [LinearMapGeometry.Unit], _ g: LinearMapGeometry) -> [Run] {
        var pieces: [Run] = []
        decompose(segment, units: units, g, into: &pieces)
        return pieces
    }

    /// Appends the pieces to `pieces` (largest unit first), without an array per segment.
    static func decompose(_ segment: PhysRange, units: [LinearMapGeometry.Unit], _ g: LinearMapGeometry,
                          into pieces: inout [Run]) {
        var inner: (lo: UInt64, hi: UInt64)? = nil
        func add(_ s: UInt64, _ e: UInt64, _ unit: LinearMapGeometry.Unit) {
            if s < e { pieces.append(Run(start: s, end: e, leafSize: unit.leafSize, contiguous: unit.contiguous)) }
        }
        for unit in units {
            let lo: UInt64, hi = segment.end / unit.size * unit.size
            if unit == g.page {
                lo = segment.start
            } else {
                let (up, overflow) = segment.start.addingReportingOverflow(unit.size - 1)
                guard !overflow else { continue }
                lo = up / unit.size * unit.size
            }
            guard lo < hi else { continue }
            if let i = inner {
                add(lo, i.lo, unit)
                add(i.hi, hi, unit)
            } else {
                add(lo, hi, unit)
            }
            inner = (lo, hi)
        }
    }

    /// Runs, table pages and leaf counts for segments mapped into one page table.
    static func layout(_ segments: [(PhysRange, Mode)], geometry g: LinearMapGeometry) -> Layout {
        let table = UnitTable(g)
        var pieces: [Run] = []
        pieces.reserveCapacity(segments.count * 3)
        for (range, mode) in segments {
            // Each segment's pieces in address order, so the whole is nearly sorted already.
            let from = pieces.count
            decompose(range, units: table[mode], g, into: &pieces)
            pieces[from...].sort { $0.start < $1.start }
        }
        pieces.sort { $0.start < $1.start }
        var runs: [Run] = []
        // At most five kinds of leaf: a list, not a dictionary.
        var counts: [LeafCount] = []
        for p in pieces {
            if let i = counts.firstIndex(where: { $0.leafSize == p.leafSize && $0.contiguous == p.contiguous }) {
                counts[i].entries += p.size / p.leafSize
            } else {
                counts.append(LeafCount(leafSize: p.leafSize, contiguous: p.contiguous, entries: p.size / p.leafSize))
            }
            if var last = runs.last, last.end == p.start, last.leafSize == p.leafSize, last.contiguous == p.contiguous {
                last.end = p.end
                runs[runs.count - 1] = last
            } else {
                runs.append(p)
            }
        }
        let leaves = counts.sorted { ($0.leafSize, $0.contiguous ? 1 : 0) > ($1.leafSize, $1.contiguous ? 1 : 0) }
        let tables = countTables(pieces, g)
        return Layout(runs: runs, tablePages: tables, leafEntries: leaves, tablePageBytes: tables.allocated * g.pageSize)
    }

    /// A table at a level exists for every distinct span of its parent entry that some leaf below
    /// it touches: PTE tables per PMD-entry span holding page leaves, PMD tables per PUD-entry
    /// span holding page or PMD leaves, PUD and P4D tables per span holding anything. Counted
    /// on linear offsets, in one pass over the sorted pieces, so adjacent segments share tables.
    static func countTables(_ pieces: [Run], _ g: LinearMapGeometry) -> TablePages {
        var spans = pieces.map { (g.linearOffset($0.start), g.linearOffset($0.end), $0.leafSize) }
        spans.sort { $0.0 < $1.0 }
        func distinct(shift: Int, where include: (UInt64) -> Bool) -> UInt64 {
            var count: UInt64 = 0
            var lastSlot: UInt64? = nil
            for (s, e, leaf) in spans where include(leaf) && s < e {
                var first = s >> UInt64(shift)
                let last = (e - 1) >> UInt64(shift)
                if let l = lastSlot, first <= l { first = l + 1 }
                if first <= last { count += last - first + 1 }
                lastSlot = max(lastSlot ?? 0, last)
            }
            return count
        }
        var t = TablePages()
        t.pte = distinct(shift: g.pmdShift) { $0 == g.pageSize }
        if g.levels >= 3 { t.pmd = distinct(shift: g.pudShift) { $0 < g.pudSize } }
        if g.levels >= 4 { t.pud = distinct(shift: g.p4dShift) { _ in true } }
        if g.levels >= 5 { t.p4d = distinct(shift: g.pgdShift) { _ in true } }
        return t
    }
}

/// One `__map_memblock` call, with what bounds it (for the break reasons).
struct LinearMapSegment: Sendable, Equatable {
    var range: PhysRange
    var mode: LinearMap.Mode
    var startCause: Bound
    var endCause: Bound
    /// Why `mode` is more restrictive than `.blocks`, if it is.
    var restriction: String?

    /// What ends a segment on one side, worded only when a break is described.
    enum Bound: Sendable, Equatable, CustomStringConvertible {
        case memoryStart(UInt64)
        case memoryEnd(UInt64)
        /// Two memblock regions that touch (mapped by separate calls).
        case regionBoundary(UInt64)
        case holeStart(PhysRange)
        case holeEnd(PhysRange)
        case nomapStart(PhysRange)
        case nomapEnd(PhysRange)
        /// A piece map_mem maps on its own (kernel alias, KFENCE pool, early crash region).
        case carveOutStart(String)
        case carveOutEnd(String)

        var description: String {
            switch self {
            case .memoryStart(let at): "start of memory at \(Hex.short(at))"
            case .memoryEnd(let at): "end of memory at \(Hex.short(at))"
            case .regionBoundary(let at): "memblock region boundary at \(Hex.short(at)) (separate regions are mapped separately)"
            case .holeStart(let hole): "start of the hole \(hole)"
            case .holeEnd(let hole): "end of the hole \(hole)"
            case .nomapStart(let r): "start of NOMAP \(r)"
            case .nomapEnd(let r): "end of NOMAP \(r)"
            case .carveOutStart(let name): "start of the \(name)"
            case .carveOutEnd(let name): "end of the \(name)"
            }
        }
    }
}

/// Splits the input into the segments `map_mem` maps, in the kernel's order: regions minus the
/// carve-outs, then the kernel alias, the early crash region, the KFENCE pool.
private struct Segmenter {
    let input: LinearMapInput
    let sorted: [PhysRange]
    let g: LinearMapGeometry
    /// NOMAP regions ordered by start and by end (ties in input order), so naming a boundary
    /// is a binary search.
    let nomapByStart: [PhysRange]
    let nomapByEnd: [PhysRange]

    init(_ input: LinearMapInput) {
        self.input = input
        self.g = input.geometry
        self.sorted = input.mapped.map { LinearMap.pageAligned($0, input.geometry) }.sorted()
        let nomap = input.nomap
        nomapByStart = nomap.indices.sorted { (nomap[$0].start, $0) < (nomap[$1].start, $1) }.map { nomap[$0] }
        nomapByEnd = nomap.indices.sorted { (nomap[$0].end, $0) < (nomap[$1].end, $1) }.map { nomap[$0] }
    }

    /// The first NOMAP region (in input order) whose `key` is `value`.
    private static func first(in ranges: [PhysRange], _ key: (PhysRange) -> UInt64, is value: UInt64) -> PhysRange? {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if key(ranges[mid]) < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && key(ranges[lo]) == value ? ranges[lo] : nil
    }

    var aliasName: String { "kernel alias [\(input.kernelAliasStartSymbol), __init_begin)" }

    func segments() -> [LinearMapSegment] {
        var cuts: [(PhysRange, String)] = []
        if let a = input.kernelAlias { cuts.append((LinearMap.pageAligned(a, g), aliasName)) }
        if let c = input.crashEarly { cuts.append((LinearMap.pageAligned(c, g), "crash region (early reservation)")) }
        if let k = input.kfencePool { cuts.append((LinearMap.pageAligned(k, g), "KFENCE pool")) }
        cuts.sort { $0.0 < $1.0 }
        let forced = input.forcePages ? "forced to pages by \(input.forceReason ?? "the force-pages flags")" : nil
        var result: [LinearMapSegment] = []
        for (index, region) in sorted.enumerated() {
            var start = region.start
            var startCause = regionStartCause(index)
            for (cut, name) in cuts where cut.overlaps(region) && !cut.isEmpty {
                if cut.start > start {
                    result.append(LinearMapSegment(range: PhysRange(start: start, end: cut.start)!, mode: forced == nil ? .blocks : .pages,
                                                   startCause: startCause, endCause: .carveOutStart(name), restriction: forced))
                }
                start = max(start, cut.end)
                startCause = .carveOutEnd(name)
            }
            if start < region.end {
                result.append(LinearMapSegment(range: PhysRange(start: start, end: region.end)!, mode: forced == nil ? .blocks : .pages,
                                               startCause: startCause, endCause: regionEndCause(index), restriction: forced))
            }
        }
        for (cut, name) in cuts where !cut.isEmpty {
            let isAlias = name == aliasName
            result.append(LinearMapSegment(range: cut, mode: isAlias ? .noContiguous : .pages,
                                           startCause: .carveOutStart(name), endCause: .carveOutEnd(name),
                                           restriction: isAlias ? "the \(name) is mapped with NO_CONT_MAPPINGS"
                                                                : "the \(name) is mapped with NO_BLOCK_MAPPINGS|NO_CONT_MAPPINGS"))
        }
        return result
    }

    private func regionStartCause(_ i: Int) -> LinearMapSegment.Bound {
        let r = sorted[i]
        if let n = Segmenter.first(in: nomapByEnd, \.end, is: r.start) { return .nomapEnd(n) }
        guard i > 0 else { return .memoryStart(r.start) }
        let previous = sorted[i - 1]
        if previous.end == r.start { return .regionBoundary(r.start) }
        return PhysRange(start: previous.end, end: r.start).map { .holeEnd($0) } ?? .regionBoundary(r.start)
    }

    private func regionEndCause(_ i: Int) -> LinearMapSegment.Bound {
        let r = sorted[i]
        if let n = Segmenter.first(in: nomapByStart, \.start, is: r.end) { return .nomapStart(n) }
        guard i + 1 < sorted.count else { return .memoryEnd(r.end) }
        let next = sorted[i + 1]
        if next.start == r.end { return .regionBoundary(r.end) }
        return PhysRange(start: r.end, end: next.start).map { .holeStart($0) } ?? .regionBoundary(r.end)
    }
}

/// Finds where a larger mapping was possible by size but not used.
///
/// * At each end of every segment: the largest unit that fits in the segment by size, against
///   the unit alignment actually allows there (computed without forced pages, so forcing is
///   reported once, separately) — the cause is what bounds the segment.
/// * Once per segment whose flags (forced pages, NO_CONT alias, KFENCE pool, crash region)
///   shrink its largest unit.
/// * Once when a unit is unusable everywhere because `memstart_addr` is not aligned to it.
private struct BreakFinder {
    let geometry: LinearMapGeometry
    let segments: [LinearMapSegment]

    func breaks() -> [LinearMap.Break] {
        let g = geometry
        let table = LinearMap.UnitTable(g)
        var found: [(UInt64, String)] = []
        for seg in segments where !seg.range.isEmpty {
            // Alignment alone: forced pages are reported once below, but the alias's NO_CONT is
            // how it is always mapped, so its ends are judged with it.
            let judged: LinearMap.Mode = seg.mode == .noContiguous ? .noContiguous : .blocks
            let free = LinearMap.decompose(seg.range, units: table[judged], g)
            guard let first = free.min(by: { $0.start < $1.start }), let last = free.max(by: { $0.start < $1.start }) else { continue }
            let possible = table[judged].first { $0.size <= seg.range.size } ?? g.page
            let firstUnit = unit(of: first), lastUnit = unit(of: last)
            if firstUnit.size < possible.size {
                found.append((seg.range.start, "\(seg.startCause): \(describe(firstUnit)) from \(Hex.short(first.start)) to \(Hex.short(first.end)), where \(article(possible)) needs \(ByteCount.human(possible.size)) alignment"))
            }
            if lastUnit.size < possible.size {
                found.append((seg.range.end, "\(seg.endCause): \(describe(lastUnit)) from \(Hex.short(last.start)) to \(Hex.short(last.end)), where \(article(possible)) needs \(ByteCount.human(possible.size)) alignment"))
            }
            if let restriction = seg.restriction {
                let largestFree = free.map(unit(of:)).max() ?? g.page
                let largestHere = LinearMap.decompose(seg.range, units: table[seg.mode], g).map(unit(of:)).max() ?? g.page
                if largestHere.size < largestFree.size {
                    found.append((seg.range.start, "\(restriction): \(seg.range) uses at most \(describe(largestHere)) where \(describe(largestFree)) fit"))
                }
            }
        }
        if let firstStart = segments.map(\.range.start).min(),
           let lost = g.units.first(where: { unit in !g.isUsable(unit) && segments.contains { $0.range.size >= unit.size } }) {
            found.append((firstStart, "memstart_addr \(Hex.short(g.memstartAddr)) is not \(ByteCount.human(lost.size)) aligned, so VA and PA never both align to \(article(lost))"))
        }
        // By address, reasons at one address in the order found, each once (a sort of the list
        // rather than a dictionary of arrays: a map of 100,000 regions has as many breaks).
        let order = found.indices.sorted { (found[$0].0, $0) < (found[$1].0, $1) }
        var breaks: [LinearMap.Break] = []
        var reasons: [String] = []
        for (n, i) in order.enumerated() {
            let (at, reason) = found[i]
            if !reasons.contains(reason) { reasons.append(reason) }
            if n + 1 == order.count || found[order[n + 1]].0 != at {
                breaks.append(LinearMap.Break(at: at, reason: reasons.joined(separator: "; ")))
                reasons.removeAll(keepingCapacity: true)
            }
        }
        return breaks
    }

    private func unit(of run: LinearMap.Run) -> LinearMapGeometry.Unit {
        let size = run.contiguous ? run.leafSize * (run.leafSize == geometry.pageSize ? geometry.contPTEs : geometry.contPMDs) : run.leafSize
        return LinearMapGeometry.Unit(leafSize: run.leafSize, contiguous: run.contiguous, size: size)
    }

    /// "2 MiB blocks", "4 KiB pages + CONT".
    func describe(_ u: LinearMapGeometry.Unit) -> String {
        "\(ByteCount.human(u.leafSize)) \(u.leafSize == geometry.pageSize ? "pages" : "blocks")\(u.contiguous ? " + CONT" : "")"
    }

    /// "a 1 GiB block", "a 32 MiB CONT group of 2 MiB blocks".
    func article(_ u: LinearMapGeometry.Unit) -> String {
        let kind = u.leafSize == geometry.pageSize ? "pages" : "blocks"
        return u.contiguous ? "a \(ByteCount.human(u.size)) CONT group of \(ByteCount.human(u.leafSize)) \(kind)"
                            : "a \(ByteCount.human(u.size)) \(kind == "pages" ? "page" : "block")"
    }
}
