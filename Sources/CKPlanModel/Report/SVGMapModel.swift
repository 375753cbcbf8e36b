/// What the SVG map draws, taken from a `Plan` and named as the kernel names it. Pure data: the
/// drawing is in `SVGMap`.
struct SVGMapModel {
    /// One thing at a place in physical memory.
    struct Item {
        var range: PhysRange
        var kind: Kind
        /// Short label on the map.
        var name: String
        /// Tooltip: what it is, where, how big, and who made it.
        var title: String
    }

    enum Kind: String, CaseIterable {
        case ram, nomap, removed
        case kernelImage = "kernel-image", initrd, fdt
        case carveOut = "reserved-memory", cma
        case bootAllocation = "boot-allocation"
        case crashkernel
        case crashkernelLow = "crashkernel-low"
        case searched

        var fill: String {
            switch self {
            case .ram: "#e3ecf5"
            case .nomap: "url(#nomap)"
            case .removed: "url(#removed)"
            case .kernelImage: "#3f51b5"
            case .initrd: "#26a69a"
            case .fdt: "#9e9d24"
            case .carveOut: "#8d6e63"
            case .cma: "#ab47bc"
            case .bootAllocation: "#ffca28"
            case .crashkernel: "#c2185b"
            case .crashkernelLow: "#f06292"
            case .searched: "none"
            }
        }

        var legend: String {
            switch self {
            case .ram: "RAM (memblock.memory)"
            case .nomap: "NOMAP (no-map, not in the linear map)"
            case .removed: "RAM not in memblock (mem=, PA limit, usable-memory-range)"
            case .kernelImage: "kernel image"
            case .initrd: "initrd"
            case .fdt: "FDT blob"
            case .carveOut: "reserved-memory / memreserve (mapped)"
            case .cma: "CMA"
            case .bootAllocation: "memblock boot allocations"
            case .crashkernel: "crashkernel (crashk_res)"
            case .crashkernelLow: "crashkernel low (crashk_low_res)"
            case .searched: "window searched without success"
            }
        }
    }

    /// Machine banks, NOMAP memory and memory memblock dropped.
    var memory: [Item] = []
    /// memblock.reserved before the crash reservation, one item per boot step range.
    var reserved: [Item] = []
    /// crashk_res and crashk_low_res.
    var crash: [Item] = []
    /// Search windows that gave nothing.
    var searched: [Item] = []
    var linearMap: LinearMap?
    var kdump: KdumpPlan?
    /// Why nothing was reserved (failed, invalid, none), for the crash lane.
    var nothingReserved: String?
    /// 4 GiB and `arm64_dma_phys_limit`, when they fall inside the map.
    var guides: [(address: UInt64, label: String)] = []

    init(_ plan: Plan) {
        let boot = plan.boot
        let machine = plan.request.machine
        let memblock = boot.memblock
        let inMemblock = RangeIndex(memblock.memory.map(\.range))
        let nomap = RangeIndex(memblock.memory.filter { $0.flags.contains(.noMap) }.map(\.range))
        for bank in machine.memory where !bank.range.isEmpty {
            var facts = [bank.noMap ? "reserved (NOMAP) bank" : "RAM bank", bank.range.description, ByteCount.human(bank.range.size)]
            if let n = bank.numaNode { facts.append("node \(n)") }
            if bank.hotpluggable { facts.append("hotpluggable") }
            memory.append(Item(range: bank.range, kind: bank.noMap ? .nomap : .ram,
                               name: bank.noMap ? "NOMAP" : "RAM", title: facts.joined(separator: " ")))
            var left = [bank.range]
            for region in inMemblock.overlapping(bank.range) { left = left.flatMap { $0.subtracting(region) } }
            for r in left {
                memory.append(Item(range: r, kind: .removed, name: "removed",
                                   title: "\(r) \(ByteCount.human(r.size)): in the machine's memory but not in memblock.memory"))
            }
        }
        let nomapBanks = RangeIndex(AddressAxis.merged(machine.memory.filter(\.noMap).map(\.range)))
        let nomapSteps = boot.steps.filter { s in s.ranges.contains { nomap.covers($0) } }
        for r in nomap.ranges where !nomapBanks.covers(r) {
            let names = nomapSteps.filter { $0.ranges.contains { $0.overlaps(r) } }.map(\.what)
            let nodes = machine.reservedMemory.filter { n in n.available && n.noMap && n.reg.contains { $0.overlaps(r) } }
                .sorted { $0.totalSize > $1.totalSize }.map { Self.nodeName($0.name) }
            memory.append(Item(range: r, kind: .nomap, name: nodes.isEmpty ? "NOMAP" : "no-map " + nodes.joined(separator: ","),
                               title: "MEMBLOCK_NOMAP \(r) \(ByteCount.human(r.size))"
                                   + (names.isEmpty ? "" : ": " + names.joined(separator: ", "))))
        }

        let image = PhysRange(base: plan.request.boot.imageAt, size: plan.request.boot.image.end)
        for step in boot.steps {
            for r in step.ranges where !r.isEmpty && !nomap.covers(r) {
                let kind = Self.kind(step, r, image: image, cma: boot.cma.area)
                var title = "\(step.what): \(r) \(ByteCount.human(r.size)) — \(step.source)"
                if step.estimated { title += " (estimated size)" }
                reserved.append(Item(range: r, kind: kind, name: Self.shortName(step, r, kind, machine), title: title))
            }
        }

        for (role, r) in plan.regions {
            let low = role == "crashkernel-low"
            crash.append(Item(range: r, kind: low ? .crashkernelLow : .crashkernel, name: low ? "crashkernel low" : "crashkernel",
                              title: "\(role) \(r) \(ByteCount.human(r.size))"))
        }
        for a in boot.crash?.attempts ?? [] where a.result == nil {
            guard let window = a.window, !window.isEmpty else { continue }
            searched.append(Item(range: window, kind: .searched, name: "\(a.what): no \(ByteCount.human(a.size)) free",
                                 title: "\(a.what): \(ByteCount.human(a.size)) searched top-down in \(window), 2 MiB aligned: nothing free"))
        }
        linearMap = boot.linearMap
        kdump = plan.kdump
        if plan.outcome != .reserved {
            let (word, line, _) = SVGReport.outcome(plan)
            nothingReserved = "\(word.lowercased()): \(line)"
        }

        let fourG: UInt64 = 1 << 32
        if boot.dmaLimit == fourG {
            guides.append((fourG, "4 GiB = arm64_dma_phys_limit"))
        } else {
            guides.append((fourG, "4 GiB"))
            if boot.dmaLimit != 0 { guides.append((boot.dmaLimit, "arm64_dma_phys_limit")) }
        }
    }

    /// Everything the axis must show, for its spans.
    var allRanges: [PhysRange] {
        var r = (memory + reserved + crash).map(\.range)
        if let map = linearMap {
            r += map.runs.compactMap { PhysRange(start: $0.start, end: $0.end) }
            r += map.best.runs.compactMap { PhysRange(start: $0.start, end: $0.end) }
        }
        return r
    }

    /// The regions that must stay wide enough to read: the crash regions, or without them the
    /// CMA area and the kernel image.
    var important: [PhysRange] {
        if !crash.isEmpty { return crash.map(\.range) }
        return reserved.filter { $0.kind == .cma || $0.kind == .kernelImage }.map(\.range)
    }

    /// By the kernel function that made the reservation.
    static func kind(_ step: BootStep, _ r: PhysRange, image: PhysRange?, cma: PhysRange?) -> Kind {
        if r == cma { return .cma }
        switch step.source {
        case "setup_machine_fdt": return .fdt
        case "arm64_memblock_init": return image.map { r.overlaps($0) } == true ? .kernelImage : .initrd
        case "__reserved_mem_reserve_reg", "__reserved_mem_alloc_size", "fdt_reserve_elfcorehdr",
             "early_init_fdt_scan_reserved_mem":
            return .carveOut
        default: return .bootAllocation
        }
    }

    static func shortName(_ step: BootStep, _ r: PhysRange, _ kind: Kind, _ machine: Machine) -> String {
        switch kind {
        case .kernelImage: return "Image"
        case .initrd: return "initrd"
        case .fdt: return "FDT"
        case .cma: return "CMA"
        case .carveOut:
            if let node = machine.reservedMemory.first(where: { n in n.reg.contains { $0.contains(r) } }) {
                return nodeName(node.name)
            }
            return step.what
        default: return step.what
        }
    }
}

/// Sorted, non-overlapping ranges, searched by bisection (inputs can hold 100,000 regions).
struct RangeIndex {
    let ranges: [PhysRange]

    init(_ ranges: [PhysRange]) {
        self.ranges = ranges.filter { !$0.isEmpty }.sorted()
    }

    /// The ranges that overlap `r`, in order.
    func overlapping(_ r: PhysRange) -> ArraySlice<PhysRange> {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].end <= r.start { lo = mid + 1 } else { hi = mid }
        }
        var end = lo
        while end < ranges.count, ranges[end].start < r.end { end += 1 }
        return ranges[lo..<end]
    }

    /// Whether one range holds all of `r`.
    func covers(_ r: PhysRange) -> Bool { overlapping(r).contains { $0.contains(r) } }
}

extension SVGMapModel {
    /// A `/reserved-memory` node's name without its unit address.
    static func nodeName(_ name: String) -> String {
        String(name.split(separator: "@").first ?? Substring(name))
    }
}

extension KexecSegment.Name {
    var fill: String {
        switch self {
        case .kernel: "#3f51b5"
        case .initrd: "#26a69a"
        case .dtb: "#9e9d24"
        case .purgatory: "#6d4c41"
        case .elfcorehdr: "#ef6c00"
        }
    }
}

extension LinearMapGeometry {
    /// The map's colour for a unit: blue for blocks (darker the larger), orange for CONT pages,
    /// red for single pages, the costly end.
    func fill(_ unit: Unit) -> String {
        Self.palette[rank(unit)].fill
    }

    /// Text drawn on that colour.
    func textFill(_ unit: Unit) -> String {
        Self.palette[rank(unit)].text
    }

    /// Pages, CONT pages, PMD blocks, CONT PMD blocks, PUD blocks.
    private static let palette: [(fill: String, text: String)] = [("#e53935", "#ffffff"), ("#ffa726", "#212121"), ("#4dd0e1", "#212121"),
                                  ("#1e88e5", "#ffffff"), ("#0d47a1", "#ffffff")]

    /// 0 for pages, counting up to the largest unit.
    private func rank(_ unit: Unit) -> Int {
        let fromEnd = units.count - 1 - (units.firstIndex(of: unit) ?? units.count - 1)
        return min(max(fromEnd, 0), Self.palette.count - 1)
    }

    /// "2 MiB blocks", "4 KiB pages + CONT (64 KiB)".
    func describe(_ unit: Unit) -> String {
        let kind = unit.leafSize == pageSize ? "pages" : "blocks"
        return "\(ByteCount.human(unit.leafSize)) \(kind)" + (unit.contiguous ? " + CONT (\(ByteCount.human(unit.size)))" : "")
    }

    /// The unit a run is made of.
    func unit(of run: LinearMap.Run) -> Unit {
        units.first { $0.leafSize == run.leafSize && $0.contiguous == run.contiguous }
            ?? Unit(leafSize: run.leafSize, contiguous: run.contiguous, size: run.leafSize)
    }
}
