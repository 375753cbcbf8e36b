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

/// Left-aligned text columns separated by two spaces; trailing blanks trimmed.
public struct Table {
    var rows: [[String]] = []
    public init() {}
    public mutating func add(_ row: [String]) { rows.append(row) }

    /// Fixed-width hex so columns of addresses line up: `0x0000000040000000`.
    public static func hex(_ v: UInt64) -> String { "0x" + Hex.padded(v, width: 16) }

    public func render(indent: Int = 0) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        let pad = String(repeating: " ", count: indent)
        var out = ""
        for row in rows {
            var line = pad
            for (i, cell) in row.enumerated() {
                line += cell
                if i + 1 < row.count { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
