import CKPlanModel
import FDT

/// Reads a flattened device tree into a `Machine` the way the kernel's early DT code reads it
/// (drivers/of/fdt.c, drivers/of/of_reserved_mem.c, drivers/of/address.c).
///
/// ckplan is stricter than the kernel about malformed properties: where the kernel would skip
/// trailing cells or truncate a 3-cell address to 64 bits, ckplan refuses the input (exit 65)
/// and says where, because a plan built on a half-read DT would be wrong without saying so.
public enum DeviceTreeReader {
    public static func machine(bytes: [UInt8], file: String) throws(InputError) -> Machine {
        let tree: DeviceTree
        do {
            tree = try DeviceTree(bytes: bytes)
        } catch {
            throw InputError(file: file, location: .byteOffset(error.offset), message: error.description)
        }
        var reader = Reader(tree: tree, file: file)
        var machine = try reader.read()
        machine.kexecDTB = kexecDTBFacts(tree, addressCells: reader.rootAddressCells, sizeCells: reader.rootSizeCells)
        return machine
    }

    /// What kexec-tools' DTB edits are measured against (KexecDTBFacts); nil for a blob older than
    /// version 17, which kexec-tools' libfdt would first convert (ckplan does not model that).
    static func kexecDTBFacts(_ tree: DeviceTree, addressCells: Int, sizeCells: Int) -> KexecDTBFacts? {
        guard tree.version >= 17 else { return nil }
        // kexec-tools edits the root's "chosen" (or "chosen@…") node.
        let chosen = tree.root.children.map { tree.nodes[$0] }.first { $0.name == "chosen" || $0.name.hasPrefix("chosen@") }
        var lengths: [String: UInt64] = [:]
        for p in chosen?.properties ?? [] { lengths[p.name] = UInt64(p.value.count) }
        let seed = chosen?.property("kaslr-seed")
        return KexecDTBFacts(
            totalSize: UInt64(tree.totalSize),
            // fdt_pack: header (40) + reserve map with its terminator + structure + strings.
            packedSize: UInt64(40 + 16 * (tree.memoryReservations.count + 1) + tree.structureSize + tree.strings.count),
            addressCells: UInt32(clamping: addressCells), sizeCells: UInt32(clamping: sizeCells),
            hasChosen: chosen != nil, chosenPropertyLengths: lengths,
            kaslrSeedNonZero: seed.map { $0.value.count == 8 && $0.value.contains { $0 != 0 } } ?? false,
            strings: tree.strings)
    }
}

private struct Reader {
    let tree: DeviceTree
    let file: String
    var machine: Machine
    /// `dt_root_addr_cells` / `dt_root_size_cells`: the root's, defaulting to 1 and 1
    /// (OF_ROOT_NODE_ADDR_CELLS_DEFAULT / _SIZE_CELLS_DEFAULT in drivers/of/of_private.h).
    var rootAddressCells = 1
    var rootSizeCells = 1
    /// `/reserved-memory` ranges and `/memreserve/` entries read so far (InputLimits.reservedRanges).
    var reservedRanges = 0

    init(tree: DeviceTree, file: String) {
        self.tree = tree
        self.file = file
        machine = Machine(source: file, kind: .deviceTree)
    }

    mutating func read() throws(InputError) -> Machine {
        let root = tree.root
        rootAddressCells = try cellCount(root.property("#address-cells"), default: 1, node: root)
        rootSizeCells = try cellCount(root.property("#size-cells"), default: 1, node: root)
        try readMemory()
        try readReservedMemory()
        try readMemreserve()
        try readChosen()
        try readDMALimit()
        machine.deviceTree = shape()
        if let cpus = tree.node("/cpus") {
            let count = cpus.children.filter { i in tree.nodes[i].property("device_type").map { string($0) == "cpu" } ?? false }.count
            machine.cpuCount = count > 0 ? count : nil
        }
        if machine.memoryIsUnknown {
            machine.notes.append(Note(.note, "the device tree carries no RAM size (firmware fills in /memory at boot): give RAM with --memory BASE+SIZE (repeatable) or plan from a /proc/iomem dump"))
        }
        return machine
    }

    /// What `unflatten_device_tree()` will size (drivers/of/fdt.c populate_node/populate_properties).
    func shape() -> DeviceTreeShape {
        func aligned(_ n: Int) -> UInt64 { UInt64((n + 7) / 8 * 8) }
        var s = DeviceTreeShape(totalSize: UInt64(tree.totalSize), nodes: UInt64(tree.nodes.count), properties: 0,
                                nodeNameBytes: 0, nodesWithoutName: 0, madeUpNameBytes: 0)
        for node in tree.nodes {
            s.properties += UInt64(node.properties.count)
            let name = node.name.utf8
            s.nodeNameBytes += aligned(name.count + 1)
            if node.property("name") == nil {
                s.nodesWithoutName += 1
                // The name before '@'.
                s.madeUpNameBytes += aligned(name.prefix { $0 != UInt8(ascii: "@") }.count + 1)
            }
        }
        return s
    }

    // MARK: - /memory (early_init_dt_scan_memory)

    /// Children of the root with `device_type = "memory"` that are available. Their
    /// `linux,usable-memory` replaces `reg` when present; zero-size entries are skipped.
    mutating func readMemory() throws(InputError) {
        for index in tree.root.children {
            let node = tree.nodes[index]
            guard let type = node.property("device_type"), string(type) == "memory", isAvailable(node) else { continue }
            guard let reg = node.property("linux,usable-memory") ?? node.property("reg") else { continue }
            let numaNode = try node.property("numa-node-id").map { p throws(InputError) in try u32(p, node: node) }
            let hotpluggable = node.property("hotpluggable") != nil
            for range in try ranges(reg, node: node, addressCells: rootAddressCells, sizeCells: rootSizeCells)
            where !range.isEmpty {
                guard machine.memory.count < InputLimits.memoryRegions else {
                    throw InputError(file: file, location: .byteOffset(reg.offset),
                                     message: "\(node.path): more than \(InputLimits.memoryRegions) RAM ranges; ckplan plans at most that many")
                }
                machine.memory.append(MemoryRegion(range: range, hotpluggable: hotpluggable, numaNode: numaNode))
            }
        }
        machine.memory.sort { $0.range < $1.range }
    }

    // MARK: - /reserved-memory (fdt_scan_reserved_mem)

    mutating func readReservedMemory() throws(InputError) {
        guard let parent = tree.node("/reserved-memory") else { return }
        // __reserved_mem_check_root: the node must use the root's cell sizes and have `ranges`,
        // or the kernel ignores every child ("Reserved memory: unsupported node format, ignoring").
        let ac = try cellCount(parent.property("#address-cells"), default: -1, node: parent)
        let sc = try cellCount(parent.property("#size-cells"), default: -1, node: parent)
        if ac != rootAddressCells || sc != rootSizeCells || parent.property("ranges") == nil {
            machine.reservedMemoryHonoured = false
            machine.notes.append(Note(.warning, "/reserved-memory: unsupported node format (its #address-cells/#size-cells differ from the root's or `ranges` is missing); the kernel ignores all of it"))
        }
        for index in parent.children {
            let node = tree.nodes[index]
            var r = ReservedMemoryNode(name: node.name)
            r.available = isAvailable(node)
            r.noMap = node.property("no-map") != nil
            r.reusable = node.property("reusable") != nil
            r.cmaDefault = node.property("linux,cma-default") != nil
            r.compatible = node.property("compatible").map(stringList) ?? []
            if let reg = node.property("reg") {
                r.reg = try ranges(reg, node: node, addressCells: rootAddressCells, sizeCells: rootSizeCells)
            }
            if r.reg.isEmpty {
                readDynamicPlacement(of: node, into: &r)
            }
            reservedRanges += max(r.reg.count, 1)
            guard reservedRanges <= InputLimits.reservedRanges else {
                throw InputError(file: file, location: .byteOffset(node.property("reg")?.offset ?? node.offset),
                                 message: "\(node.path): more than \(InputLimits.reservedRanges) reserved ranges in /reserved-memory; ckplan reads at most that many")
            }
            machine.reservedMemory.append(r)
        }
    }

    /// `size`, `alignment` and `alloc-ranges` of a node without `reg` (__reserved_mem_alloc_size).
    /// The kernel refuses a malformed one with its own message and reserves nothing for the node;
    /// ckplan does the same and says so. `alignment` is read with the *address* cell count.
    mutating func readDynamicPlacement(of node: DeviceTree.Node, into r: inout ReservedMemoryNode) {
        func refuse(_ what: String) {
            machine.notes.append(Note(.warning, "/reserved-memory/\(node.name): the kernel says \"invalid \(what) property in '\(node.name)' node\" and reserves nothing for it"))
            r.available = false
        }
        if let size = node.property("size") {
            guard size.value.count == rootSizeCells * 4 else { return refuse("size") }
            r.size = fold(bigEndianCells(size.value)[...])
        }
        if let alignment = node.property("alignment") {
            guard alignment.value.count == rootAddressCells * 4 else { return refuse("alignment") }
            r.alignment = fold(bigEndianCells(alignment.value)[...])
        }
        if let allocRanges = node.property("alloc-ranges") {
            guard let ranges = try? ranges(allocRanges, node: node, addressCells: rootAddressCells, sizeCells: rootSizeCells) else {
                return refuse("alloc-ranges")
            }
            r.allocRanges = ranges
        }
    }

    // MARK: - /memreserve/

    mutating func readMemreserve() throws(InputError) {
        for (i, entry) in tree.memoryReservations.enumerated() {
            reservedRanges += 1
            guard reservedRanges <= InputLimits.reservedRanges else {
                throw InputError(file: file, location: .byteOffset(headerReservationOffset(i)),
                                 message: "/memreserve/ entry \(i): more than \(InputLimits.reservedRanges) reserved ranges (with those of /reserved-memory); ckplan reads at most that many")
            }
            guard let range = PhysRange(base: entry.address, size: entry.size) else {
                throw InputError(file: file, location: .byteOffset(headerReservationOffset(i)),
                                 message: "/memreserve/ entry \(i) (\(Hex.short(entry.address)) + \(Hex.short(entry.size))) wraps past 2^64")
            }
            machine.memreserve.append(range)
        }
    }

    /// Byte offset of reservation entry `i` (the header's off_mem_rsvmap, 16 bytes per entry).
    func headerReservationOffset(_ i: Int) -> Int { 40 + 16 * i }

    // MARK: - /chosen (early_init_dt_scan_chosen and friends)

    mutating func readChosen() throws(InputError) {
        guard let chosen = tree.node("/chosen") ?? tree.node("/chosen@0") else { return }
        if let bootargs = chosen.property("bootargs") {
            guard bootargs.value.count <= InputLimits.commandLineBytes else {
                throw InputError(file: file, location: .byteOffset(bootargs.offset),
                                 message: "\(chosen.path): bootargs is \(bootargs.value.count) bytes; ckplan reads at most \(InputLimits.commandLineBytes) (arm64 kernels keep 2047: COMMAND_LINE_SIZE)")
            }
            machine.chosen.bootargs = string(bootargs)
        }
        // linux,initrd-start/-end: one number of len/4 cells (32- or 64-bit); end exclusive.
        if let s = chosen.property("linux,initrd-start"), let e = chosen.property("linux,initrd-end") {
            let start = try initrdNumber(s, node: chosen), end = try initrdNumber(e, node: chosen)
            guard let range = PhysRange(start: start, end: end) else {
                throw InputError(file: file, location: .byteOffset(e.offset),
                                 message: "/chosen: linux,initrd-end \(Hex.short(end)) is below linux,initrd-start \(Hex.short(start))")
            }
            machine.chosen.initrd = range
        }
        if let p = chosen.property("linux,elfcorehdr") {
            machine.chosen.elfcorehdr = try ranges(p, node: chosen, addressCells: rootAddressCells, sizeCells: rootSizeCells).first
        }
        // Up to two ranges are used (drivers/of/fdt.c MAX_USABLE_RANGES, 5.19+).
        if let p = chosen.property("linux,usable-memory-range") {
            // All entries: how many a kernel uses depends on its version (BootRules.usableMemoryRanges).
            machine.chosen.usableMemoryRange = try ranges(p, node: chosen, addressCells: rootAddressCells, sizeCells: rootSizeCells)
        }
        if machine.chosen.elfcorehdr != nil || !machine.chosen.usableMemoryRange.isEmpty {
            machine.notes.append(Note(.warning, "/chosen has linux,elfcorehdr or linux,usable-memory-range: this is a capture kernel's device tree"))
        }
    }

    func initrdNumber(_ p: DeviceTree.Property, node: DeviceTree.Node) throws(InputError) -> UInt64 {
        guard p.value.count == 4 || p.value.count == 8 else {
            throw InputError(file: file, location: .byteOffset(p.offset),
                             message: "\(node.path): \(p.name) must be one 32- or 64-bit cell group, found \(p.value.count) bytes")
        }
        return try number(p, cells: p.value.count / 4, node: node)
    }

    // MARK: - DMA limit (of_dma_get_max_cpu_address(NULL), drivers/of/address.c)

    /// The minimum, over the root and every available descendant (a node is visited only if all
    /// its ancestors are available) that has a non-empty `dma-ranges`, of the highest CPU address
    /// its entries reach. Each entry's parent-bus address is translated to a CPU address through
    /// the ancestors' `dma-ranges` (missing or empty = 1:1), as `of_translate_dma_address` does.
    mutating func readDMALimit() throws(InputError) {
        var limit: UInt64? = nil
        var walk = DMARangesWalk()
        var stack = [0]
        while let index = stack.popLast() {
            if let end = try maxCPUAddress(of: index, &walk) {
                limit = min(limit ?? .max, end)
            }
            // Through the array, not a copy of each node: a board DT has hundreds of nodes.
            for child in tree.nodes[index].children.reversed() where isAvailable(tree.nodes[child]) {
                stack.append(child)
            }
        }
        machine.dmaMaxCPUAddress = limit
    }

    /// Each node's `dma-ranges`, decoded once, and how many entries the walk has decoded: a
    /// node's entries are each translated through every ancestor's, so the work grows with the
    /// square of the entries (InputLimits.dmaRangesEntries bounds it).
    struct DMARangesWalk {
        var decoded: [Int: [RangeEntry]] = [:]
        var entries = 0
    }

    /// `dma-ranges` of `index` (nil when absent or empty), decoded once per walk.
    func dmaRanges(of index: Int, parent: Int?, _ walk: inout DMARangesWalk) throws(InputError) -> [RangeEntry]? {
        if let known = walk.decoded[index] { return known }
        let node = tree.nodes[index]
        guard let prop = node.property("dma-ranges"), !prop.value.isEmpty else { return nil }
        // The root has no parent bus to translate into; its parent side is CPU addresses.
        let decoded = try entries(prop, node: node, na: addressCells(of: index), pna: addressCells(of: parent ?? index),
                                  ns: sizeCells(of: index))
        walk.entries += decoded.count
        guard walk.entries <= InputLimits.dmaRangesEntries else {
            throw InputError(file: file, location: .byteOffset(prop.offset),
                             message: "\(node.path): more than \(InputLimits.dmaRangesEntries) dma-ranges entries in the tree; ckplan reads at most that many (real device trees have a few)")
        }
        walk.decoded[index] = decoded
        return decoded
    }

    /// The highest CPU address reachable through this node's own `dma-ranges`, if it has any.
    func maxCPUAddress(of index: Int, _ walk: inout DMARangesWalk) throws(InputError) -> UInt64? {
        let parent = tree.nodes[index].parent
        guard let own = try dmaRanges(of: index, parent: parent, &walk) else { return nil }
        guard let parent else { return own.map { $0.parent &+ $0.size &- 1 }.max() }
        var cpuEnd: UInt64 = 0
        var any = false
        for e in own where e.size > 0 {
            guard let cpu = try translateToCPU(e.parent, bus: parent, &walk) else { continue }
            let (end, overflow) = cpu.addingReportingOverflow(e.size - 1)
            any = true
            cpuEnd = max(cpuEnd, overflow ? .max : end)
        }
        return any ? cpuEnd : nil
    }

    /// Translates an address on the bus below `bus` up to the CPU, through the `dma-ranges` of
    /// `bus` and each of its ancestors except the root. nil when an entry does not cover it.
    func translateToCPU(_ address: UInt64, bus: Int, _ walk: inout DMARangesWalk) throws(InputError) -> UInt64? {
        var address = address
        var current = bus
        while let parent = tree.nodes[current].parent {
            if let map = try dmaRanges(of: current, parent: parent, &walk) {
                guard let hit = map.first(where: { address >= $0.child && address - $0.child < $0.size }) else { return nil }
                address = hit.parent &+ (address - hit.child)
            }
            current = parent
        }
        return address
    }

    struct RangeEntry { var child: UInt64; var parent: UInt64; var size: UInt64 }

    /// Decodes `(child-address, parent-address, size)` triples. PCI-style 3-cell addresses carry
    /// a flags cell first; the address is the low two cells (of_bus_pci).
    func entries(_ p: DeviceTree.Property, node: DeviceTree.Node, na: Int, pna: Int, ns: Int) throws(InputError) -> [RangeEntry] {
        let cells = try cellArray(p, node: node)
        let stride = na + pna + ns
        guard na >= 1, na <= 3, pna >= 1, pna <= 3, ns >= 1, ns <= 2, cells.count % stride == 0 else {
            throw InputError(file: file, location: .byteOffset(p.offset),
                             message: "\(node.path): \(p.name) is \(p.value.count) bytes, not a multiple of (\(na) + \(pna) + \(ns)) cells")
        }
        var result: [RangeEntry] = []
        var i = 0
        while i < cells.count {
            result.append(RangeEntry(child: fold(cells[i..<(i + na)]),
                                     parent: fold(cells[(i + na)..<(i + na + pna)]),
                                     size: fold(cells[(i + na + pna)..<(i + stride)])))
            i += stride
        }
        return result
    }

    /// Low 64 bits of a big-endian cell sequence (at most 3 cells, checked by callers).
    func fold(_ cells: ArraySlice<UInt32>) -> UInt64 {
        cells.suffix(2).reduce(0) { ($0 << 32) | UInt64($1) }
    }

    /// `#address-cells` that applies to this node's children: its own, else the nearest
    /// ancestor's, else 1 (of_bus_n_addr_cells).
    func addressCells(of index: Int) throws(InputError) -> Int {
        try inheritedCells("#address-cells", from: index)
    }

    func sizeCells(of index: Int) throws(InputError) -> Int {
        try inheritedCells("#size-cells", from: index)
    }

    func inheritedCells(_ name: String, from index: Int) throws(InputError) -> Int {
        var current: Int? = index
        while let i = current {
            let node = tree.nodes[i]
            if let p = node.property(name) { return Int(try u32(p, node: node)) }
            current = node.parent
        }
        return 1
    }

    // MARK: - Property decoding

    func isAvailable(_ node: DeviceTree.Node) -> Bool {
        guard let status = node.property("status") else { return true }
        let s = string(status)
        return s == "okay" || s == "ok"
    }

    /// `#address-cells` / `#size-cells` for a node whose numbers ckplan decodes into 64 bits.
    func cellCount(_ p: DeviceTree.Property?, default value: Int, node: DeviceTree.Node) throws(InputError) -> Int {
        guard let p else { return value }
        let n = try u32(p, node: node)
        guard n >= 1, n <= 2 else {
            throw InputError(file: file, location: .byteOffset(p.offset),
                             message: "\(node.path): \(p.name) = <\(n)>; addresses and sizes of 1 or 2 cells (at most 64 bits) expected")
        }
        return Int(n)
    }

    func u32(_ p: DeviceTree.Property, node: DeviceTree.Node) throws(InputError) -> UInt32 {
        guard p.value.count == 4 else {
            throw InputError(file: file, location: .byteOffset(p.offset),
                             message: "\(node.path): \(p.name) must be one 32-bit cell, found \(p.value.count) bytes")
        }
        return p.value.reduce(0) { ($0 << 8) | UInt32($1) }
    }

    func cellArray(_ p: DeviceTree.Property, node: DeviceTree.Node) throws(InputError) -> [UInt32] {
        guard p.value.count % 4 == 0 else {
            throw InputError(file: file, location: .byteOffset(p.offset),
                             message: "\(node.path): \(p.name) is \(p.value.count) bytes, not a whole number of 32-bit cells")
        }
        return bigEndianCells(p.value)
    }

    /// Whole 32-bit big-endian cells of `bytes` (a trailing partial cell is dropped).
    func bigEndianCells(_ bytes: ArraySlice<UInt8>) -> [UInt32] {
        var cells: [UInt32] = []
        cells.reserveCapacity(bytes.count / 4)
        var i = bytes.startIndex
        while i + 4 <= bytes.endIndex {
            cells.append(bytes[i..<(i + 4)].reduce(0) { ($0 << 8) | UInt32($1) })
            i += 4
        }
        return cells
    }

    func number(_ p: DeviceTree.Property, cells: Int, node: DeviceTree.Node) throws(InputError) -> UInt64 {
        guard p.value.count == cells * 4 else {
            throw InputError(file: file, location: .byteOffset(p.offset),
                             message: "\(node.path): \(p.name) must be \(cells) cell(s), found \(p.value.count) bytes")
        }
        return fold(try cellArray(p, node: node)[...])
    }

    /// `(address, size)` pairs, checked: whole pairs only, no wrap past 2^64.
    func ranges(_ p: DeviceTree.Property, node: DeviceTree.Node, addressCells: Int, sizeCells: Int) throws(InputError) -> [PhysRange] {
        let pair = addressCells + sizeCells
        guard p.value.count % (pair * 4) == 0 else {
            throw InputError(file: file, location: .byteOffset(p.offset),
                             message: "\(node.path): \(p.name) is \(p.value.count) bytes, not a multiple of \(pair * 4) (#address-cells = \(addressCells), #size-cells = \(sizeCells))")
        }
        let cells = try cellArray(p, node: node)
        var result: [PhysRange] = []
        var i = 0
        while i < cells.count {
            let base = fold(cells[i..<(i + addressCells)])
            let size = fold(cells[(i + addressCells)..<(i + pair)])
            guard let range = PhysRange(base: base, size: size) else {
                throw InputError(file: file, location: .byteOffset(p.offset + i * 4),
                                 message: "\(node.path): \(p.name) entry \(Hex.short(base)) + \(Hex.short(size)) wraps past 2^64")
            }
            result.append(range)
            i += pair
        }
        return result
    }

    /// A property as a C string: up to the first NUL.
    func string(_ p: DeviceTree.Property) -> String {
        let bytes = p.value.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    func stringList(_ p: DeviceTree.Property) -> [String] {
        p.value.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }
}
