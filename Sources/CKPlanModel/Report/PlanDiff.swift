/// What changed between two plans (`ckplan diff`): the reservation regions, the kernel log, the
/// /proc/iomem lines, the linear map (runs whose leaf changed, table pages, leaf entries) and the
/// kexec segments — each as moved, grew, shrank, appeared or vanished — with the net cost.
public struct PlanDiff: Sendable {
    /// A named range on either side (a crash region or a kexec segment).
    public struct RangeChange: Sendable, Equatable {
        public enum Kind: String, Sendable { case unchanged, moved, grew, shrank, appeared, vanished }
        public var name: String
        public var a: PhysRange?
        public var b: PhysRange?

        public var kind: Kind {
            switch (a, b) {
            case (nil, _): return .appeared
            case (_, nil): return .vanished
            case let (a?, b?):
                if a == b { return .unchanged }
                if a.size == b.size { return .moved }
                return b.size > a.size ? .grew : .shrank
            }
        }
    }

    /// A kernel log or /proc/iomem line removed from A or added in B, in output order.
    public struct LineChange: Sendable, Equatable {
        public var removed: Bool
        public var text: String
    }

    /// A physical range whose linear-map leaf differs (nil: not mapped on that side).
    public struct LeafChange: Sendable, Equatable {
        public var range: PhysRange
        public var a: PlanFacts.Leaf?
        public var b: PlanFacts.Leaf?
    }

    public struct Scalar: Sendable, Equatable {
        public var field: String
        public var a: String
        public var b: String
    }

    public var a: PlanFacts
    public var b: PlanFacts
    /// The inputs that differ: kernel, command line, memory, DMA limit, CMA, outcome.
    public var scalars: [Scalar]
    public var regions: [RangeChange]
    public var dmesg: [LineChange]
    public var iomem: [LineChange]
    public var leafChanges: [LeafChange]
    public var segments: [RangeChange]

    public var identical: Bool {
        scalars.isEmpty && regions.allSatisfy { $0.kind == .unchanged } && dmesg.isEmpty && iomem.isEmpty
            && a.kexecCrashSize == b.kexecCrashSize && a.linearMap == b.linearMap && a.kexec == b.kexec
    }

    public init(_ a: PlanFacts, _ b: PlanFacts) {
        self.a = a
        self.b = b
        var scalars: [Scalar] = []
        func compare(_ field: String, _ x: String, _ y: String) {
            if x != y { scalars.append(Scalar(field: field, a: x, b: y)) }
        }
        compare("kernel", a.kernel, b.kernel)
        compare("commandLine", a.commandLine, b.commandLine)
        compare("memory", a.memory.map(\.description).joined(separator: " "), b.memory.map(\.description).joined(separator: " "))
        compare("dmaLimit", Hex.short(a.dmaLimit), Hex.short(b.dmaLimit))
        compare("cma", a.cma?.description ?? "none", b.cma?.description ?? "none")
        compare("outcome", a.outcome, b.outcome)
        self.scalars = scalars
        regions = Self.match(a.regions, b.regions)
        dmesg = Self.lines(a.dmesg, b.dmesg)
        iomem = Self.lines(a.iomem, b.iomem)
        leafChanges = Self.leaves(a.linearMap?.runs ?? [], b.linearMap?.runs ?? [])
        segments = Self.match(a.kexec?.segments ?? [], b.kexec?.segments ?? [])
    }

    /// Pairs ranges by name (the n-th of a name with the n-th), A's order first, then B's new ones.
    public static func match(_ a: [PlanFacts.Region], _ b: [PlanFacts.Region]) -> [RangeChange] {
        var remaining = b
        var out: [RangeChange] = []
        for r in a {
            if let i = remaining.firstIndex(where: { $0.name == r.name }) {
                out.append(RangeChange(name: r.name, a: r.range, b: remaining[i].range))
                remaining.remove(at: i)
            } else {
                out.append(RangeChange(name: r.name, a: r.range, b: nil))
            }
        }
        out += remaining.map { RangeChange(name: $0.name, a: nil, b: $0.range) }
        return out
    }

    /// A line diff (longest common subsequence) after trimming the common head and tail; kernel
    /// logs here are a handful of lines, and a pathological saved plan falls back to
    /// "all removed, all added" instead of a quadratic table.
    public static func lines(_ a: [String], _ b: [String]) -> [LineChange] {
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head..<(a.count - tail)]), y = Array(b[head..<(b.count - tail)])
        guard x.count * y.count <= 1 << 20 else {
            return x.map { LineChange(removed: true, text: $0) } + y.map { LineChange(removed: false, text: $0) }
        }
        // lcs[i][j]: the common subsequence length of x[i...] and y[j...].
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                lcs[i][j] = x[i] == y[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [LineChange] = []
        var i = 0, j = 0
        while i < x.count || j < y.count {
            if i < x.count, j < y.count, x[i] == y[j] {
                i += 1; j += 1
            } else if j < y.count, i == x.count || lcs[i][j + 1] > lcs[i + 1][j] {
                out.append(LineChange(removed: false, text: y[j])); j += 1
            } else {
                out.append(LineChange(removed: true, text: x[i])); i += 1
            }
        }
        return out
    }

    /// The ranges whose leaf differs, from one sweep over both run lists (sorted, disjoint), with
    /// neighbouring pieces of the same change merged: O(runs), never O(pages).
    public static func leaves(_ a: [PlanFacts.Run], _ b: [PlanFacts.Run]) -> [LeafChange] {
        var cuts = Set<UInt64>()
        for r in a + b { cuts.insert(r.range.start); cuts.insert(r.range.end) }
        let points = cuts.sorted()
        var out: [LeafChange] = []
        var ia = 0, ib = 0
        for (lo, hi) in zip(points, points.dropFirst()) {
            while ia < a.count, a[ia].range.end <= lo { ia += 1 }
            while ib < b.count, b[ib].range.end <= lo { ib += 1 }
            let la = ia < a.count && a[ia].range.start <= lo ? a[ia].leaf : nil
            let lb = ib < b.count && b[ib].range.start <= lo ? b[ib].leaf : nil
            guard la != lb, let piece = PhysRange(start: lo, end: hi) else { continue }
            if let last = out.last, last.range.end == lo, last.a == la, last.b == lb, let merged = PhysRange(start: last.range.start, end: hi) {
                out[out.count - 1].range = merged
            } else {
                out.append(LeafChange(range: piece, a: la, b: lb))
            }
        }
        return out
    }

    /// Leaf entries per leaf kind on both sides, largest leaf first.
    public var leafEntries: [(leaf: PlanFacts.Leaf, a: UInt64, b: UInt64)] {
        let ea = a.linearMap?.leafEntries ?? [:], eb = b.linearMap?.leafEntries ?? [:]
        return Set(ea.keys).union(eb.keys).sorted().map { ($0, ea[$0] ?? 0, eb[$0] ?? 0) }
    }

    /// The net cost of going from A to B in one line, e.g.
    /// "+2,046 page-table pages (8 MiB), 1,024 fewer 2 MiB blocks, +524,288 4 KiB pages".
    public var netCost: String? {
        guard let ma = a.linearMap, let mb = b.linearMap else { return nil }
        var parts: [String] = []
        if ma.allocatedTablePages != mb.allocatedTablePages {
            let bytes = mb.tablePageBytes >= ma.tablePageBytes ? mb.tablePageBytes - ma.tablePageBytes : ma.tablePageBytes - mb.tablePageBytes
            parts.append("\(Self.signed(ma.allocatedTablePages, mb.allocatedTablePages)) page-table pages (\(ByteCount.human(bytes)))")
        }
        for (leaf, x, y) in leafEntries where x != y {
            let what = leafName(leaf, pageSize: b.pageSize == a.pageSize ? a.pageSize : 0)
            parts.append(y > x ? "+\(PlanReport.grouped(y - x)) \(what)" : "\(PlanReport.grouped(x - y)) fewer \(what)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// "+2,046" / "-2,046" / "0": B minus A, exact for any two UInt64.
    static func signed(_ a: UInt64, _ b: UInt64) -> String {
        b >= a ? (b == a ? "0" : "+\(PlanReport.grouped(b - a))") : "-\(PlanReport.grouped(a - b))"
    }

    /// `2 MiB blocks`, `4 KiB pages`, `64 KiB contiguous pages` (pageSize 0: sides differ in granule).
    func leafName(_ leaf: PlanFacts.Leaf, pageSize: UInt64) -> String {
        let page = leaf.size == pageSize || (pageSize == 0 && leaf.size <= 64 << 10)
        return "\(ByteCount.human(leaf.size)) \(leaf.contiguous ? "contiguous " : "")\(page ? "pages" : "blocks")"
    }
}
