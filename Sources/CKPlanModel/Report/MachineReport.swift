/// `ckplan machine`: what was read from the input, nothing planned.
public enum MachineReport {
    /// JSON schema `ckplan/machine/1` (reference/cli-contract.md), with extra fields after the
    /// required ones.
    public static func json(_ m: Machine) -> JSON {
        .object([
            ("schema", .string("ckplan/machine/1")),
            ("source", .string(m.source)),
            ("kind", .string(m.kind.rawValue)),
            ("memory", .array(m.memory.map { region in
                var fields: [(String, JSON)] = [("start", .int(region.range.start)), ("end", .int(region.range.end)),
                                                ("hotpluggable", .bool(region.hotpluggable)), ("noMap", .bool(region.noMap))]
                if let node = region.numaNode { fields.append(("numaNode", .int(UInt64(node)))) }
                return .object(fields)
            })),
            ("reservedMemory", .array(m.reservedMemory.map { r in
                .object([
                    ("name", .string(r.name)),
                    ("start", .optional(r.reg.first) { .int($0.start) }),
                    ("end", .optional(r.reg.first) { .int($0.end) }),
                    ("size", .int(r.totalSize)),
                    ("noMap", .bool(r.noMap)),
                    ("reusable", .bool(r.reusable)),
                    ("dynamic", .bool(r.isDynamic)),
                    ("reg", .array(r.reg.map(JSON.range))),
                    ("alignment", .optional(r.alignment) { .int($0) }),
                    ("allocRanges", .array(r.allocRanges.map(JSON.range))),
                    ("compatible", .array(r.compatible.map(JSON.string))),
                    ("cmaDefault", .bool(r.cmaDefault)),
                    ("available", .bool(r.available)),
                ])
            })),
            ("reservedMemoryHonoured", .bool(m.reservedMemoryHonoured)),
            ("memreserve", .array(m.memreserve.map(JSON.range))),
            ("chosen", .object([
                ("bootargs", .optional(m.chosen.bootargs) { .string($0) }),
                ("initrd", .optional(m.chosen.initrd, JSON.range)),
                ("usableMemoryRange", .array(m.chosen.usableMemoryRange.map(JSON.range))),
                ("elfcorehdr", .optional(m.chosen.elfcorehdr, JSON.range)),
            ])),
            ("dmaMaxCpuAddress", .optional(m.dmaMaxCPUAddress) { .int($0) }),
            ("crashKernel", .array(m.crashKernel.map { c in
                .object([("start", .int(c.range.start)), ("end", .int(c.range.end)), ("explicitLow", .bool(c.explicitLow))])
            })),
            ("kernelImage", .array(m.kernelImage.map(JSON.range))),
            ("memoryBytes", .int(m.totalMemory)),
            ("notes", .array(m.notes.map { .string($0.description) })),
        ])
    }

    public static func text(_ m: Machine) -> String {
        var out = "machine: \(m.source) (\(m.kind.rawValue))\n"
        out += "\nmemory (\(ByteCount.human(m.totalMemory)) in \(m.memory.count) region\(m.memory.count == 1 ? "" : "s")):\n"
        if m.memory.isEmpty { out += "  (none: firmware supplies RAM)\n" }
        var table = Table()
        for r in m.memory {
            var flags: [String] = []
            if r.noMap { flags.append("no-map") }
            if r.hotpluggable { flags.append("hotpluggable") }
            if let n = r.numaNode { flags.append("node \(n)") }
            table.add([Table.hex(r.range.start), "-", Table.hex(r.range.end), ByteCount.human(r.range.size), flags.joined(separator: ", ")])
        }
        out += table.render(indent: 2)

        if !m.reservedMemory.isEmpty {
            out += "\n/reserved-memory (\(m.reservedMemory.count) node\(m.reservedMemory.count == 1 ? "" : "s")\(m.reservedMemoryHonoured ? "" : ", IGNORED by the kernel")):\n"
            var t = Table()
            for r in m.reservedMemory {
                var flags: [String] = []
                if r.noMap { flags.append("no-map") }
                if r.reusable { flags.append("reusable") }
                if r.cmaDefault { flags.append("linux,cma-default") }
                if !r.available { flags.append("disabled") }
                if !r.compatible.isEmpty { flags.append(r.compatible.joined(separator: " ")) }
                if let first = r.reg.first {
                    t.add([r.name, Table.hex(first.start), "-", Table.hex(first.end), ByteCount.human(r.totalSize), flags.joined(separator: ", ")])
                    for extra in r.reg.dropFirst() {
                        t.add(["", Table.hex(extra.start), "-", Table.hex(extra.end), ByteCount.human(extra.size), ""])
                    }
                } else {
                    var placement = "dynamic"
                    if let a = r.alignment { placement += ", align \(Hex.short(a))" }
                    if !r.allocRanges.isEmpty { placement += ", in " + r.allocRanges.map(\.description).joined(separator: " ") }
                    t.add([r.name, "", "", "", ByteCount.human(r.totalSize), ([placement] + flags).joined(separator: ", ")])
                }
            }
            out += t.render(indent: 2)
        }
        if !m.memreserve.isEmpty {
            out += "\n/memreserve/:\n"
            var t = Table()
            for r in m.memreserve { t.add([Table.hex(r.start), "-", Table.hex(r.end), ByteCount.human(r.size)]) }
            out += t.render(indent: 2)
        }
        if m.kind == .deviceTree || m.kind == .embedded {
            out += "\n/chosen:\n"
            out += "  bootargs: \(m.chosen.bootargs.map { "\"\($0)\"" } ?? "(none)")\n"
            if let i = m.chosen.initrd { out += "  initrd:   \(i) (\(ByteCount.human(i.size)))\n" }
            if let e = m.chosen.elfcorehdr { out += "  linux,elfcorehdr: \(e)\n" }
            if !m.chosen.usableMemoryRange.isEmpty {
                out += "  linux,usable-memory-range: " + m.chosen.usableMemoryRange.map(\.description).joined(separator: " ") + "\n"
            }
            out += "\nDMA: of_dma_get_max_cpu_address = "
            out += m.dmaMaxCPUAddress.map { Hex.short($0) } ?? "none (no dma-ranges restricts it)"
            out += "\n"
        }
        if !m.kernelImage.isEmpty {
            out += "\nkernel image: " + m.kernelImage.map(\.description).joined(separator: " ") + "\n"
        }
        if !m.crashKernel.isEmpty {
            out += "\nCrash kernel:\n"
            var t = Table()
            for c in m.crashKernel {
                t.add([Table.hex(c.range.start), "-", Table.hex(c.range.end), ByteCount.human(c.range.size), c.explicitLow ? "(low)" : ""])
            }
            out += t.render(indent: 2)
        }
        if !m.notes.isEmpty {
            out += "\n" + m.notes.map { "\($0)\n" }.joined()
        }
        return out
    }
}

/// Text columns separated by two spaces, left-aligned unless listed in `rightAligned`;
/// trailing blanks trimmed.
public struct Table {
    /// Every cell's UTF-8 bytes, one after the other (a plan of 100,000 regions has a row per
    /// region: keeping a million cell strings alive cost more memory than the plan).
    var text = TextBuffer()
    /// Where each cell ends in `text`.
    var cellEnds: [Int] = []
    /// The width in characters of each cell that is not ASCII (an ASCII cell's is its length).
    var wideCells: [Int: Int] = [:]
    /// How many cells there are at the end of each row.
    var rowEnds: [Int] = []
    /// Columns whose cells are padded on the left (numbers).
    public var rightAligned: Set<Int> = []

    public init(rightAligned: Set<Int> = []) {
        self.rightAligned = rightAligned
    }

    public mutating func add(_ row: [String]) {
        for text in row { cell(text) }
        endRow()
    }

    /// Appends a cell to the current row.
    mutating func cell(_ text: String) {
        cell { $0.append(text) }
    }

    /// Appends a cell written straight into the table's text (numbers need no String of their own).
    mutating func cell(_ write: (inout TextBuffer) -> Void) {
        let start = text.count
        write(&text)
        // Characters, as a person counts them; bytes when the cell is ASCII (almost always).
        if !text.isASCII(from: start) { wideCells[cellEnds.count] = text.characterCount(from: start) }
        cellEnds.append(text.count)
    }

    /// Ends the current row.
    mutating func endRow() {
        rowEnds.append(cellEnds.count)
    }

    /// Fixed-width hex so columns of addresses line up: `0x0000000040000000`.
    public static func hex(_ v: UInt64) -> String { Hex.prefixed(v, width: 16) }

    /// Columns padded to the widest cell (in characters) plus two spaces, trailing blanks cut.
    public func render(indent: Int = 0) -> String {
        var out = TextBuffer()
        render(indent: indent, into: &out)
        return out.string
    }

    /// `render(indent:)` appended to a report being built.
    func render(indent: Int, into out: inout TextBuffer) {
        func start(of cell: Int) -> Int { cell == 0 ? 0 : cellEnds[cell - 1] }
        func width(of cell: Int) -> Int { (wideCells.isEmpty ? nil : wideCells[cell]) ?? cellEnds[cell] - start(of: cell) }
        var widths: [Int] = []
        var rowStart = 0
        for end in rowEnds {
            for i in rowStart..<end {
                let column = i - rowStart
                if column == widths.count { widths.append(width(of: i)) } else { widths[column] = max(widths[column], width(of: i)) }
            }
            rowStart = end
        }
        let right = widths.indices.map(rightAligned.contains)
        out.reserve(rowEnds.count * (indent + widths.reduce(0, +) + 2 * widths.count + 1))
        text.bytes.withUnsafeBufferPointer { source in
            rowStart = 0
            for end in rowEnds {
                let lineStart = out.count
                out.spaces(indent)
                // What follows the last non-empty cell is blanks, which the trim below would cut.
                var last = end - 1
                while last >= rowStart, cellEnds[last] == start(of: last) { last -= 1 }
                if last >= rowStart {
                    for i in rowStart...last {
                        let column = i - rowStart
                        let padding = widths[column] - width(of: i)
                        if right[column] { out.spaces(padding) }
                        out.append(UnsafeBufferPointer(rebasing: source[start(of: i)..<cellEnds[i]]))
                        if i < last { out.spaces((right[column] ? 0 : padding) + 2) }
                    }
                }
                out.trimTrailingSpaces(downTo: lineStart)
                out.append(UInt8(ascii: "\n"))
                rowStart = end
            }
        }
    }
}
