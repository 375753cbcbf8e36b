import CKPlanModel
import FuzzSupport

/// Differential target for Memblock: every operation is also applied to a model that keeps one
/// cell per MiB of a 64 MiB space, and after each one the regions, the reserved ranges and the
/// free ranges must be what the cells say. The model is the specification in its plainest form:
/// `memory` is the maximal runs of present cells with equal flags and node, `reserved` the maximal
/// runs of reserved cells, `freeRanges()` the maximal runs of allocatable, unreserved cells within
/// one region, highest first.
///
/// Input: byte 0 bit 0 sets movable_node; then 4 bytes per operation: operation, two cell
/// indices (the range between them), and an argument (flags in bits 0-2, node in bits 3-4).
/// Operations 6 and 7 check the allocator's searches, which the model computes the plain way.
struct Model {
    static let cells = 64
    static let unit: UInt64 = 1 << 20
    struct Cell: Equatable { var flags: Memblock.Flags; var nid: UInt32? }
    var memory = [Cell?](repeating: nil, count: cells)
    var reserved = [Bool](repeating: false, count: cells)
    var movableNode = false

    /// Maximal runs of cells for which `key` gives the same non-nil value.
    func runs<K: Equatable>(_ key: (Int) -> K?) -> [(PhysRange, K)] {
        var result: [(PhysRange, K)] = []
        var i = 0
        while i < Model.cells {
            guard let k = key(i) else { i += 1; continue }
            var j = i + 1
            while j < Model.cells, key(j) == k { j += 1 }
            result.append((PhysRange(start: UInt64(i) * Model.unit, end: UInt64(j) * Model.unit)!, k))
            i = j
        }
        return result
    }

    var regions: [Memblock.Region] {
        runs { memory[$0] }.map { Memblock.Region(range: $0.0, flags: $0.1.flags, nid: $0.1.nid) }
    }
    var reservedRanges: [PhysRange] { runs { reserved[$0] ? true : nil }.map(\.0) }
    var free: [Memblock.Region] {
        let free = runs { i -> Cell? in
            guard let c = memory[i], !reserved[i], !c.flags.contains(.noMap),
                  !(c.flags.contains(.hotplug) && movableNode) else { return nil }
            return c
        }
        // Cells of one region are contiguous with equal attributes, so a run of free cells can
        // still span two regions only if they were mergeable, which memory never holds apart.
        return free.reversed().map { Memblock.Region(range: $0.0, flags: $0.1.flags, nid: $0.1.nid) }
    }

    /// `memblock_find_in_range_node` over the model's free list, clamped as the kernel clamps:
    /// top-down the highest fit, bottom-up the lowest (the specification of
    /// Memblock.findTopDown / findBottomUp, which walk the free ranges lazily).
    func find(size: UInt64, align: UInt64, start: UInt64, end: UInt64, topDown: Bool, nid: UInt32? = nil) -> UInt64? {
        let end = end <= 1 ? UInt64.max : end
        let start = max(start, 4096)
        let limit = max(start, end)
        var clamped = free.filter { nid == nil || $0.nid == nid }.map {
            (min(max($0.range.start, start), limit), min(max($0.range.end, start), limit))
        }
        if !topDown { clamped.reverse() }
        for (s, e) in clamped {
            if topDown {
                guard e >= size else { continue }
                let candidate = (e - size) / align * align
                if candidate >= s { return candidate }
            } else {
                let (rounded, overflow) = s.addingReportingOverflow(align - 1)
                if overflow { continue }
                let candidate = rounded / align * align
                if candidate < e, e - candidate >= size { return candidate }
            }
        }
        return nil
    }
}

func fuzzMemblock(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let first = bytes.first else { return 0 }
    var memblock = Memblock(pageSize: 4096)
    var model = Model()
    memblock.movableNode = first & 1 != 0
    model.movableNode = memblock.movableNode
    var at = 1
    while at + 4 <= bytes.count {
        let (op, a, b, arg) = (bytes[at] % 8, Int(bytes[at + 1]) % 65, Int(bytes[at + 2]) % 65, bytes[at + 3])
        at += 4
        let (lo, hi) = (min(a, b), max(a, b))
        let range = PhysRange(start: UInt64(lo) * Model.unit, end: UInt64(hi) * Model.unit)!
        let flags = Memblock.Flags(rawValue: arg & 7)
        let nids: [UInt32?] = [nil, 0, 1, 2]
        let nid = nids[Int(arg >> 3) & 3]
        let cells = lo..<hi
        switch op {
        case 0:
            memblock.add(range, flags: flags, nid: nid)
            for i in cells where model.memory[i] == nil { model.memory[i] = Model.Cell(flags: flags, nid: nid) }
        case 1:
            memblock.remove(range)
            for i in cells { model.memory[i] = nil }
        case 2:
            let on = arg & 0x80 != 0
            memblock.setFlags(flags, on, in: range)
            for i in cells where model.memory[i] != nil {
                if on { model.memory[i]!.flags.formUnion(flags) } else { model.memory[i]!.flags.subtract(flags) }
            }
        case 3:
            memblock.setNode(nid ?? 0, in: range)
            for i in cells where model.memory[i] != nil { model.memory[i]!.nid = nid ?? 0 }
        case 4:
            memblock.reserve(range)
            for i in cells { model.reserved[i] = true }
        case 6:
            // Finds in the window [a, b) MiB: size from 0 to 7.75 MiB in 256 KiB steps, alignment
            // from a page to 64 MiB; with bit 7 of the operation byte, restricted to node arg & 3.
            let size = UInt64(arg & 0x1f) << 18
            let align = UInt64(4096) << [0, 1, 4, 8, 9, 10, 13, 14][Int(arg >> 5)]
            let nid = bytes[at - 4] & 0x80 != 0 ? UInt32(arg & 3) : nil
            let topDown = memblock.findTopDown(size: size, align: align, start: range.start, end: range.end, nid: nid)
            let expected = model.find(size: size, align: align, start: range.start, end: range.end, topDown: true, nid: nid)
            if topDown != expected { fatalError("findTopDown(\(size), \(align), \(range), nid \(String(describing: nid))) \(String(describing: topDown)) != model \(String(describing: expected))") }
            let bottomUp = memblock.findBottomUp(size: size, align: align, start: range.start, end: range.end)
            let expectedUp = model.find(size: size, align: align, start: range.start, end: range.end, topDown: false)
            if bottomUp != expectedUp { fatalError("findBottomUp(\(size), \(align), \(range)) \(String(describing: bottomUp)) != model \(String(describing: expectedUp))") }
        case 7:
            // allocRunTopDown(count: a % 8, size) against that many allocTopDown calls, both on
            // copies (their sub-MiB reservations are finer than the model's cells).
            let align = UInt64(4096) << [0, 1, 4, 8, 9, 10, 13, 14][Int(arg >> 5)]
            let size = align * UInt64(1 + arg & 3)
            var oneByOne = memblock, together = memblock
            var expected: [PhysRange] = []
            for _ in 0..<(lo % 8) {
                if let r = oneByOne.allocTopDown(size: size, align: align, start: 0, end: 0) { expected.append(r) }
            }
            let run = together.allocRunTopDown(count: UInt64(lo % 8), size: size, align: align)
            // Successive allocations touch, so the run may return them joined: compare what is reserved.
            if together.reserved != oneByOne.reserved || run.reduce(0, { $0 + $1.size }) != expected.reduce(0, { $0 + $1.size }) {
                fatalError("allocRunTopDown(\(lo % 8) x \(size)) \(run) != allocTopDown \(expected)")
            }
        default:
            memblock.free(range)
            for i in cells { model.reserved[i] = false }
        }
        if memblock.memory != model.regions { fatalError("memory \(memblock.memory) != model \(model.regions)") }
        if memblock.reserved != model.reservedRanges { fatalError("reserved \(memblock.reserved) != model \(model.reservedRanges)") }
        if memblock.freeRanges() != model.free { fatalError("freeRanges \(memblock.freeRanges()) != model \(model.free)") }
    }
    return 0
}

@_cdecl("FuzzMemblock_main")
func fuzzMemblockMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzMemblock)
}
