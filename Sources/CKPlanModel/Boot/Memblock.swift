/// The kernel's boot-time memory allocator, as far as the crash reservation can see it
/// (mm/memblock.c). `memory` holds the RAM regions with their flags; `reserved` what has been
/// taken. Allocation is `memblock_phys_alloc_range`: top-down, inside one free range of one
/// memory region, never across a region boundary (regions differ in flags or node), never below
/// `PAGE_SIZE`.
public struct Memblock: Sendable, Equatable {
    /// A `memblock.memory` region.
    public struct Region: Sendable, Equatable {
        public var range: PhysRange
        public var flags: Flags
        /// NUMA node; nil until `arch_numa_init` assigns nodes (MAX_NUMNODES in the kernel).
        public var nid: UInt32?

        public init(range: PhysRange, flags: Flags = [], nid: UInt32? = nil) {
            self.range = range
            self.flags = flags
            self.nid = nid
        }
    }

    /// `enum memblock_flags` (include/linux/memblock.h), the ones that change placement.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// MEMBLOCK_HOTPLUG: skipped by allocations only with `movable_node`.
        public static let hotplug = Flags(rawValue: 1 << 0)
        /// MEMBLOCK_MIRROR.
        public static let mirror = Flags(rawValue: 1 << 1)
        /// MEMBLOCK_NOMAP: never allocated from, not in the linear map.
        public static let noMap = Flags(rawValue: 1 << 2)
    }

    public private(set) var memory: [Region] = []
    /// Sorted, non-overlapping, adjacent ranges merged (as memblock_merge_regions does for
    /// `reserved`, whose regions all carry the same flags).
    public private(set) var reserved: [PhysRange] = []
    /// The kernel's `PAGE_SIZE`: allocations never return an address below it.
    public let pageSize: UInt64
    /// `movable_node` on the command line: HOTPLUG memory is not allocated from.
    public var movableNode = false

    public init(pageSize: UInt64) {
        self.pageSize = pageSize
    }

    // MARK: - memory

    /// `memblock_add`: the new range is merged with contiguous regions of the same flags and
    /// node; an overlap with existing memory is folded in (memblock_add_range).
    ///
    /// `memory` is kept sorted, non-overlapping and merged, so only the regions the range
    /// overlaps and their two neighbours can change: the work is local (binary search plus the
    /// overlapped regions), not a pass over every region, which made adding N regions O(N²).
    public mutating func add(_ range: PhysRange, flags: Flags = [], nid: UInt32? = nil) {
        guard !range.isEmpty else { return }
        // Banks come in address order: a range at or above the top region only appends (or
        // extends the top region), as the general case below would, without its arrays.
        if let top = memory.last, range.start >= top.range.end {
            if top.range.end == range.start, top.flags == flags, top.nid == nid,
               let joined = PhysRange(start: top.range.start, end: range.end) {
                memory[memory.count - 1].range = joined
            } else {
                memory.append(Region(range: range, flags: flags, nid: nid))
            }
            return
        }
        let (lo, hi) = overlapping(range)
        // Cut out what is already present: the pieces are the gaps between those regions.
        var window: [Region] = []
        var cursor = range.start
        for existing in memory[lo..<hi] {
            if existing.range.start > cursor, let gap = PhysRange(start: cursor, end: existing.range.start) {
                window.append(Region(range: gap, flags: flags, nid: nid))
            }
            window.append(existing)
            cursor = max(cursor, existing.range.end)
        }
        if cursor < range.end, let tail = PhysRange(start: cursor, end: range.end) {
            window.append(Region(range: tail, flags: flags, nid: nid))
        }
        // Merge with the neighbours on either side (memblock_merge_regions); beyond them nothing changes.
        let from = max(lo - 1, 0), to = min(hi + 1, memory.count)
        window = Array(memory[from..<lo]) + window + Array(memory[hi..<to])
        memory.replaceSubrange(from..<to, with: Memblock.merged(window))
    }

    /// `memblock_remove`: the range leaves memory (regions are split at its edges). Only the
    /// regions it overlaps change, and removing leaves no two regions touching that did not
    /// touch before, so `memory` stays sorted and merged.
    public mutating func remove(_ range: PhysRange) {
        guard !range.isEmpty else { return }
        let (lo, hi) = overlapping(range)
        let pieces = memory[lo..<hi].flatMap { region in
            region.range.subtracting(range).map { Region(range: $0, flags: region.flags, nid: region.nid) }
        }
        memory.replaceSubrange(lo..<hi, with: pieces)
    }

    /// `memory[lo..<hi]`: the regions a non-empty range overlaps, by binary search (the regions
    /// are sorted and disjoint, so their ends are sorted as their starts are).
    private func overlapping(_ range: PhysRange) -> (lo: Int, hi: Int) {
        var lo = 0, upper = memory.count
        while lo < upper {
            let mid = lo + (upper - lo) / 2
            if memory[mid].range.end > range.start { upper = mid } else { lo = mid + 1 }
        }
        var hi = lo
        while hi < memory.count, memory[hi].range.start < range.end { hi += 1 }
        return (lo, hi)
    }

    /// Sets (or clears) flags on every part of memory inside `range`, splitting regions at its
    /// edges (`memblock_mark_nomap`, `memblock_clear_nomap`, `memblock_mark_hotplug`).
    public mutating func setFlags(_ flags: Flags, _ on: Bool, in range: PhysRange) {
        rewrite(range) { region, inside in
            var changed = region.flags
            if on { changed.formUnion(flags) } else { changed.subtract(flags) }
            return Region(range: inside, flags: changed, nid: region.nid)
        }
    }

    /// `memblock_set_node`: assigns a node to the memory inside `range`.
    public mutating func setNode(_ nid: UInt32, in range: PhysRange) {
        rewrite(range) { region, inside in Region(range: inside, flags: region.flags, nid: nid) }
    }

    /// Splits each region `range` overlaps at its edges and replaces the part inside it by
    /// `inside(region, part)`; then merges as memblock_merge_regions does. Only the regions it overlaps
    /// and their two neighbours can change (a DT with thousands of no-map nodes made a pass
    /// over all regions plus a sort per node: O(N²)).
    private mutating func rewrite(_ range: PhysRange, _ inside: (Region, PhysRange) -> Region) {
        guard !range.isEmpty else { return }
        let (lo, hi) = overlapping(range)
        guard lo < hi else { return }
        var window: [Region] = []
        for region in memory[lo..<hi] {
            guard let part = region.range.intersection(range) else {
                window.append(region)
                continue
            }
            window += region.range.subtracting(range).map { Region(range: $0, flags: region.flags, nid: region.nid) }
            window.append(inside(region, part))
        }
        window.sort { $0.range < $1.range }
        let from = max(lo - 1, 0), to = min(hi + 1, memory.count)
        memory.replaceSubrange(from..<to, with: Memblock.merged(Array(memory[from..<lo]) + window + Array(memory[hi..<to])))
    }

    /// `memblock_phys_mem_size()`: all memory, NOMAP included.
    public var physMemSize: UInt64 { memory.reduce(0) { $0 &+ $1.range.size } }
    /// `memblock_start_of_DRAM()`.
    public var startOfDRAM: UInt64? { memory.first?.range.start }
    /// `memblock_end_of_DRAM()`.
    public var endOfDRAM: UInt64? { memory.last?.range.end }

    /// Sorted regions with the empty ones dropped and contiguous ones of equal flags and node joined.
    private static func merged(_ sorted: [Region]) -> [Region] {
        var merged: [Region] = []
        merged.reserveCapacity(sorted.count)
        for r in sorted where !r.range.isEmpty {
            if let last = merged.last, last.range.end == r.range.start, last.flags == r.flags, last.nid == r.nid,
               let joined = PhysRange(start: last.range.start, end: r.range.end) {
                merged[merged.count - 1].range = joined
            } else {
                merged.append(r)
            }
        }
        return merged
    }

    // MARK: - reserved

    /// `memblock_reserve`: the range joins the reserved ranges it overlaps or touches.
    ///
    /// Local: a binary search for the first reserved range that reaches the new one, then the
    /// ranges that touch the growing union, in address order (as a pass over all of them with
    /// a sort afterwards found them; thousands of /memreserve/ entries made that O(N²)).
    public mutating func reserve(_ range: PhysRange) {
        guard !range.isEmpty else { return }
        var lo = 0, upper = reserved.count
        while lo < upper {
            let mid = lo + (upper - lo) / 2
            if reserved[mid].end >= range.start { upper = mid } else { lo = mid + 1 }
        }
        var union = range
        var hi = lo
        while hi < reserved.count, reserved[hi].start <= union.end {
            union = PhysRange(start: min(union.start, reserved[hi].start), end: max(union.end, reserved[hi].end)) ?? union
            hi += 1
        }
        reserved.replaceSubrange(lo..<hi, with: [union])
    }

    /// `memblock_phys_free` / `memblock_free`: the range is no longer reserved (only the
    /// reserved ranges it overlaps change). A size of 0 changes nothing (`memblock_isolate_range`
    /// returns at once, mm/memblock.c); an empty range inside a reserved one must not split it.
    public mutating func free(_ range: PhysRange) {
        guard !range.isEmpty else { return }
        var lo = 0, upper = reserved.count
        while lo < upper {
            let mid = lo + (upper - lo) / 2
            if reserved[mid].end > range.start { upper = mid } else { lo = mid + 1 }
        }
        var hi = lo
        while hi < reserved.count, reserved[hi].overlaps(range) { hi += 1 }
        reserved.replaceSubrange(lo..<hi, with: reserved[lo..<hi].flatMap { $0.subtracting(range) })
    }

    /// Whether any reserved range overlaps `range` (`memblock_is_region_reserved`).
    public func isReserved(_ range: PhysRange) -> Bool {
        Memblock.anyOverlaps(reserved, range) { $0 }
    }

    /// Whether any memory region overlaps `range` (NOMAP included).
    public func memoryOverlaps(_ range: PhysRange) -> Bool {
        Memblock.anyOverlaps(memory, range) { $0.range }
    }

    /// Whether one of `sorted` (ordered, non-overlapping) overlaps `range`, by binary search: only
    /// the first one that ends after `range.start` can.
    private static func anyOverlaps<T>(_ sorted: [T], _ range: PhysRange, _ key: (T) -> PhysRange) -> Bool {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if key(sorted[mid]).end > range.start { hi = mid } else { lo = mid + 1 }
        }
        return lo < sorted.count && key(sorted[lo]).overlaps(range)
    }

    // MARK: - allocation

    /// The free ranges the allocator walks, highest first (`for_each_free_mem_range_reverse`):
    /// each memory region that is not skipped, minus `reserved`.
    public func freeRanges() -> [Region] {
        var result: [Region] = []
        result.reserveCapacity(memory.count + reserved.count)
        forEachFreeRange(highestFirst: true) { result.append($0); return true }
        return result
    }

    /// Calls `body` with the free ranges `freeRanges()` lists, highest first or lowest first,
    /// until it returns false. Lazy, so an allocation that fits near the top (nearly all do)
    /// looks at a few regions, not at all of them: each region's reserved ranges are found by
    /// binary search (memory and `reserved` are each sorted and non-overlapping).
    ///
    /// `within` skips the regions that lie wholly outside it (found by binary search too).
    func forEachFreeRange(highestFirst: Bool, nid: UInt32? = nil, within: PhysRange? = nil, _ body: (Region) -> Bool) {
        var regions = memory.indices
        if let within {
            let (lo, hi) = overlapping(within)
            regions = lo..<hi
        }
        var pieces: [PhysRange] = []
        for index in regions.indices {
            let region = memory[highestFirst ? regions.upperBound - 1 - (index - regions.lowerBound) : index]
            if region.flags.contains(.noMap) { continue }
            if region.flags.contains(.hotplug) && movableNode { continue }
            if let nid, region.nid != nid { continue }
            // The region minus the reserved ranges that overlap it, lowest piece first.
            pieces.removeAll(keepingCapacity: true)
            var cursor = region.range.start
            var i = firstReserved(endingAfter: region.range.start)
            while i < reserved.count, reserved[i].start < region.range.end {
                let r = reserved[i]
                if r.start > cursor, let piece = PhysRange(start: cursor, end: r.start) { pieces.append(piece) }
                cursor = max(cursor, r.end)
                i += 1
            }
            if cursor < region.range.end, let piece = PhysRange(start: cursor, end: region.range.end) { pieces.append(piece) }
            if highestFirst { pieces.reverse() }
            for piece in pieces where !body(Region(range: piece, flags: region.flags, nid: region.nid)) { return }
        }
    }

    /// The index of the first reserved range that ends after `address` (`reserved.count` if none).
    private func firstReserved(endingAfter address: UInt64) -> Int {
        var lo = 0, hi = reserved.count
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if reserved[mid].end > address { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// `memblock_find_in_range_node` top-down: the highest `align`-aligned address `a` with
    /// `[a, a + size)` inside one free range and inside `[max(start, PAGE_SIZE), end)`.
    /// `nid` restricts the search to one node (memblock_alloc_try_nid's first attempt).
    public func findTopDown(size: UInt64, align: UInt64, start: UInt64, end: UInt64, nid: UInt32? = nil) -> UInt64? {
        let align = max(align, 1)
        var found: UInt64?
        forEachClampedFreeRange(start: start, end: end, nid: nid, highestFirst: true, prune: size > 0) { thisStart, thisEnd in
            guard thisEnd >= size else { return true }
            let candidate = (thisEnd - size) / align * align
            if candidate >= thisStart { found = candidate }
            return found == nil
        }
        return found
    }

    /// `memblock_find_in_range_node` bottom-up (used by the CMA area's first attempt above 4 GiB).
    public func findBottomUp(size: UInt64, align: UInt64, start: UInt64, end: UInt64) -> UInt64? {
        let align = max(align, 1)
        var found: UInt64?
        forEachClampedFreeRange(start: start, end: end, highestFirst: false, prune: size > 0) { thisStart, thisEnd in
            let (rounded, overflow) = thisStart.addingReportingOverflow(align - 1)
            if overflow { return true }
            let candidate = rounded / align * align
            if candidate < thisEnd, thisEnd - candidate >= size { found = candidate }
            return found == nil
        }
        return found
    }

    /// The free ranges, highest or lowest first, each clamped into `[max(start, PAGE_SIZE), end)`
    /// as `memblock_find_in_range_node` clamps them. `end` of 0 or 1 means "anywhere"
    /// (MEMBLOCK_ALLOC_ACCESSIBLE / _NOLEAKTRACE; arm64 never lowers memblock.current_limit).
    ///
    /// `prune` leaves out the regions wholly outside the window, whose ranges clamp to empty:
    /// only a request of size 0 can be satisfied by an empty range.
    private func forEachClampedFreeRange(start: UInt64, end: UInt64, nid: UInt32? = nil, highestFirst: Bool,
                                         prune: Bool, _ body: (UInt64, UInt64) -> Bool) {
        let end = end <= 1 ? UInt64.max : end
        let start = max(start, pageSize)
        let limit = max(start, end)
        let window = prune ? PhysRange(start: start, end: limit) : nil
        if prune && window?.isEmpty != false { return }
        forEachFreeRange(highestFirst: highestFirst, nid: nid, within: window) { free in
            body(min(max(free.range.start, start), limit), min(max(free.range.end, start), limit))
        }
    }

    /// `memblock_phys_alloc_range(size, align, start, end)`: find top-down and reserve; nil is
    /// the kernel's 0 ("failed").
    public mutating func allocTopDown(size: UInt64, align: UInt64, start: UInt64, end: UInt64,
                                      nid: UInt32? = nil) -> PhysRange? {
        guard size > 0, let base = findTopDown(size: size, align: align, start: start, end: end, nid: nid),
              let range = PhysRange(base: base, size: size) else { return nil }
        reserve(range)
        return range
    }
}

extension Memblock {
    /// `count` allocations of one page each, top-down anywhere (early_pgtable_alloc,
    /// vmemmap tables): the `count` highest free pages, found per free range, not per page.
    public mutating func allocPagesTopDown(count: UInt64, nid: UInt32? = nil) -> [PhysRange] {
        allocRunTopDown(count: count, size: pageSize, align: pageSize, nid: nid)
    }

    /// `count` successive top-down allocations of `size` bytes each, `size` a multiple of `align`
    /// (so after the first, each ends where the previous began): where `count` calls of
    /// `allocTopDown` would put them, computed per free range instead of per call.
    public mutating func allocRunTopDown(count: UInt64, size: UInt64, align: UInt64, nid: UInt32? = nil) -> [PhysRange] {
        guard size > 0, align > 0, size % align == 0 else { return [] }
        var left = count
        var taken: [PhysRange] = []
        forEachClampedFreeRange(start: 0, end: 0, nid: nid, highestFirst: true, prune: true) { start, end in
            guard left > 0 else { return false }
            let top = end / align * align
            guard top > start, top - start >= size else { return true }
            let n = min(left, (top - start) / size)
            if let r = PhysRange(start: top - n * size, end: top) { taken.append(r) }
            left -= n
            return left > 0
        }
        taken.sort()
        reserve(sorted: taken)
        return taken
    }

    /// `memblock_reserve` of each of `ranges` (sorted, non-overlapping): one merge of the two
    /// sorted lists instead of an insertion per range (a run over a fragmented memory map can
    /// take hundreds of thousands of pieces). Same result as reserving them one by one.
    mutating func reserve(sorted ranges: [PhysRange]) {
        var result: [PhysRange] = []
        result.reserveCapacity(reserved.count + ranges.count)
        var i = 0, j = 0
        while i < reserved.count || j < ranges.count {
            let next: PhysRange
            if j == ranges.count || (i < reserved.count && reserved[i].start <= ranges[j].start) {
                next = reserved[i]
                i += 1
            } else {
                next = ranges[j]
                j += 1
            }
            if next.isEmpty { continue }
            // Overlapping or touching ranges join, as memblock_reserve merges them.
            if let last = result.last, next.start <= last.end {
                result[result.count - 1] = PhysRange(start: last.start, end: max(last.end, next.end)) ?? last
            } else {
                result.append(next)
            }
        }
        reserved = result
    }

    /// `memblock_cap_memory_range(base, size)` (mm/memblock.c): every memory region outside
    /// [base, base + size) leaves memory except NOMAP ones (`memblock_isolate_range` splits
    /// regions at the edges, then the loops skip `memblock_is_nomap`), and the reservations
    /// outside it are dropped. A size of 0, or no memory yet, changes nothing.
    public mutating func capMemoryRange(base: UInt64, size: UInt64) {
        guard size > 0, !memory.isEmpty else { return }
        // memblock_cap_size: the range stops at PHYS_ADDR_MAX.
        let end = base &+ min(size, UInt64.max &- base)
        guard let keep = PhysRange(start: base, end: end) else { return }
        for region in memory where !region.flags.contains(.noMap) {
            for outside in region.range.subtracting(keep) { remove(outside) }
        }
        if let below = PhysRange(start: 0, end: base) { free(below) }
        if let above = PhysRange(start: end, end: .max) { free(above) }
    }
}

extension PhysRange {
    /// `self` minus `other`: zero, one or two pieces, in address order.
    public func subtracting(_ other: PhysRange) -> [PhysRange] {
        // `overlaps` counts an empty range strictly inside as overlapping (as the kernel's
        // memblock_addrs_overlap does); taking nothing away must not cut `self` there.
        guard overlaps(other), !other.isEmpty else { return isEmpty ? [] : [self] }
        var pieces: [PhysRange] = []
        if start < other.start, let low = PhysRange(start: start, end: other.start) { pieces.append(low) }
        if other.end < end, let high = PhysRange(start: other.end, end: end) { pieces.append(high) }
        return pieces
    }
}
