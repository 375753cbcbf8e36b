import CLibfdt

/// A flattened device tree, validated by libfdt and read into Swift values.
///
/// libfdt checks the header; the structure block is then validated and read in one forward
/// walk, its tags read directly; every node is recorded with its properties. Versions 16 and 17 only. Property values are slices of the
/// caller's byte array (no copy per property), so no pointer into C memory outlives `init` and
/// the value is freely `Sendable`. This is the only type in ckplan that talks to libfdt.
public struct DeviceTree: Sendable {
    /// One node of the tree, in structure-block order (node 0 is the root).
    public struct Node: Sendable {
        /// The name with its unit address, e.g. `memory@40000000` ("" for the root).
        public var name: String
        /// The full path, e.g. `/reserved-memory/linux,cma`.
        public var path: String
        /// Index of the parent in `nodes`; nil for the root.
        public var parent: Int?
        /// Indices of the children in `nodes`, in structure-block order.
        public var children: [Int]
        /// Properties in structure-block order.
        public var properties: ArraySlice<Property>
        /// Byte offset of the node's FDT_BEGIN_NODE tag in the blob, for diagnostics.
        public var offset: Int

        /// The property with this name, if present.
        public func property(_ name: String) -> Property? {
            properties.first { $0.name == name }
        }
    }

    /// One property: its raw big-endian bytes and where they sit in the blob.
    public struct Property: Sendable {
        public var name: String
        /// The value: a slice of the blob, so its indices are byte offsets in the blob
        /// (`value.startIndex == offset`).
        public var value: ArraySlice<UInt8>
        /// Byte offset of the value inside the blob, for diagnostics.
        public var offset: Int { value.startIndex }
    }

    /// One `/memreserve/` entry of the blob header's memory reservation block.
    public struct MemoryReservation: Sendable, Hashable {
        public var address: UInt64
        public var size: UInt64
    }

    /// Nodes nested deeper than this are refused: `unflatten_dt_nodes` (drivers/of/fdt.c)
    /// skips every node at depth `FDT_MAX_DEPTH - 1` (63) or more, the root being depth 0
    /// (`FDT_MAX_DEPTH` itself before 2f945a792f67, 6.0, which stable kernels took too), so
    /// no working DT has one; and each level lengthens every path below it.
    public static let maximumDepth = 62
    /// Bytes of all node paths together (each path is built from its parent's): a long name
    /// above many nodes would otherwise multiply into gigabytes. Real trees have a few
    /// hundred KiB.
    public static let maximumPathBytes = 1 << 26
    /// More nodes than this are refused: real device trees have a few thousand, and a blob of
    /// tiny nodes would otherwise take seconds to read.
    public static let maximumNodes = 1 << 20

    public private(set) var nodes: [Node] = []
    public private(set) var memoryReservations: [MemoryReservation] = []
    /// `fdt_totalsize` of the blob.
    public private(set) var totalSize: Int = 0
    /// The header's version (`fdt_version`); the block sizes below exist from version 17.
    public private(set) var version: Int = 0
    /// `fdt_size_dt_struct`: the structure block's size.
    public private(set) var structureSize: Int = 0
    /// The strings block (`fdt_off_dt_strings`, `fdt_size_dt_strings`) as stored.
    public private(set) var strings: [UInt8] = []

    /// Validates `bytes` as a device tree blob and reads it whole.
    ///
    /// libfdt gets an 8-byte aligned copy: libfdt 1.6 rejects unaligned blobs with
    /// `FDT_ERR_ALIGNMENT`, and a Swift `[UInt8]` has no documented alignment.
    public init(bytes: [UInt8]) throws(FDTError) {
        // A header needs 40 bytes; libfdt would say TRUNCATED too, but only after reading them.
        guard bytes.count >= 40 else {
            throw FDTError(code: FDT_ERR_TRUNCATED, function: "fdt_check_header", offset: bytes.count,
                           detail: "the blob is \(bytes.count) bytes; a device tree header takes 40 (FDT_ERR_TRUNCATED)")
        }
        // Versions before 16 hold full paths as node names and align long property values to
        // 8 bytes, which the walk below does not read; libfdt 1.6.1's fdt_check_full even
        // crashes on some (a null name pointer, found by Tests/Fuzz dtb). dtc writes version 17.
        let field = { (at: Int) in bytes[at..<at + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        if field(0) == 0xd00d_feed, field(20) < 16 {
            throw FDTError(code: FDT_ERR_BADVERSION, function: "fdt_check_header", offset: 20,
                           detail: "device tree version \(field(20)): ckplan reads versions 16 and 17 (older blobs name nodes by full path; dtc writes 17)")
        }
        var words = [UInt64](repeating: 0, count: (bytes.count + 7) / 8)
        words.withUnsafeMutableBytes { raw in
            raw.copyBytes(from: bytes)
        }
        let result: Result<DeviceTree, FDTError> = words.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else {
                return .failure(FDTError(code: FDT_ERR_TRUNCATED, function: "fdt_check_header", offset: 0))
            }
            return Result { () throws(FDTError) in try DeviceTree(validated: base, bytes: bytes) }
        }
        self = try result.get()
    }

    /// `fdt` is the aligned copy of `bytes`.
    ///
    /// libfdt checks the header (`fdt_check_header`: magic, versions, every block inside
    /// `totalsize`; the walk's bounds rely on it, StructureWalkTests), the memory reservation
    /// block and each property's name in the strings block. The structure block is validated here, in the one forward pass that
    /// reads it, with the checks `fdt_check_full` makes (each tag and what it carries lies inside
    /// the block, nodes nest, one root with an empty name followed by FDT_END) and more: a
    /// property length of 2 GiB or more is refused. `fdt_check_full` is not called: libfdt
    /// 1.6.1's walk adds a property's length to an `int` offset, so a length of 0xffffffff wraps
    /// it forward (the blob is accepted) and 0xfffffff4 brings it back to the property's own tag
    /// (`fdt_check_full` loops for ever); both found by Tests/Fuzz dtb. It also walked the whole
    /// block a second time, 9% of a `ckplan plan --dtb` process (callgrind). The kernel itself
    /// checks only the header (early_init_dt_verify) before it walks.
    private init(validated fdt: UnsafeRawPointer, bytes: [UInt8]) throws(FDTError) {
        let count = bytes.count
        let rc = fdt_check_header(fdt)
        if rc != 0 {
            throw FDTError(code: -rc, function: "fdt_check_header", offset: FDTError.headerOffset(of: -rc))
        }
        totalSize = Int(ckplan_fdt_totalsize(fdt))
        guard totalSize <= count else {
            throw FDTError(code: FDT_ERR_TRUNCATED, function: "fdt_check_header", offset: 4,
                           detail: "the header's totalsize is \(totalSize) bytes but the blob has \(count) (FDT_ERR_TRUNCATED)")
        }
        version = Int(ckplan_fdt_version(fdt))
        // fdt_check_header has checked that the strings block (and, from version 17, the
        // structure block) lies inside totalsize.
        let stringsOffset = Int(ckplan_fdt_off_dt_strings(fdt)), stringsSize = Int(ckplan_fdt_size_dt_strings(fdt))
        if version >= 17 {
            structureSize = Int(ckplan_fdt_size_dt_struct(fdt))
            strings = Array(UnsafeRawBufferPointer(start: fdt + stringsOffset, count: stringsSize))
        }
        // Node and property offsets are relative to the structure block; errors report bytes.
        let structBase = Int(ckplan_fdt_off_dt_struct(fdt))

        let nrsv = fdt_num_mem_rsv(fdt)
        if nrsv < 0 { throw FDTError(code: -nrsv, function: "fdt_num_mem_rsv", offset: 16) }
        for i in 0..<nrsv {
            var address: UInt64 = 0
            var size: UInt64 = 0
            let r = fdt_get_mem_rsv(fdt, i, &address, &size)
            if r != 0 { throw FDTError(code: -r, function: "fdt_get_mem_rsv", offset: 16) }
            memoryReservations.append(MemoryReservation(address: address, size: size))
        }

        // The tags are read directly rather than through libfdt's accessors, which re-validate
        // on every call. A node's properties are the FDT_PROP tags right after its
        // FDT_BEGIN_NODE (NOPs aside), as libfdt's fdt_first_property_offset /
        // fdt_next_property_offset see them; a property after a subnode belongs to no node.
        // The block's end: version 17 headers give its size; version 16 ones only the blob's.
        let structEnd = version >= 17 ? structBase + structureSize : totalSize
        func be32(_ at: Int) -> UInt32? {
            at >= 0 && at + 4 <= structEnd ? UInt32(bigEndian: fdt.loadUnaligned(fromByteOffset: at, as: UInt32.self)) : nil
        }
        func broken(_ offset: Int) -> FDTError {
            FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: structBase + offset)
        }
        // libfdt's codes: TRUNCATED when a tag cannot be read, BADSTRUCTURE when what it carries
        // runs past the block or the tags do not form one tree (fdt_next_tag, fdt_check_full).
        func truncated(_ offset: Int) -> FDTError {
            FDTError(code: FDT_ERR_TRUNCATED, function: "the structure walk", offset: structBase + offset)
        }
        // Each node's properties, as a range of `properties` until the walk ends.
        var propertyRanges: [Range<Int>] = []
        var properties: [Property] = []
        properties.reserveCapacity((structEnd - structBase) / 32)
        // Property names by `nameoff`, each decoded once (a blob names its properties with a few
        // hundred strings): an array over the strings block when it is small, else a dictionary.
        var namesByOffset = [String?](repeating: nil, count: stringsSize <= 1 << 16 ? stringsSize : 0)
        var names: [UInt32: String] = [:]
        var stack: [Int] = []
        var pathBytes = 0
        var takingProperties = false
        // Offsets are relative to the structure block, as libfdt's are.
        var offset = 0
        walk: while true {
            let at = structBase + offset
            guard let tag = be32(at) else { throw truncated(offset) }
            var next = offset + 4
            switch Int32(bitPattern: tag) {
            case FDT_BEGIN_NODE:
                guard let nul = UnsafeRawBufferPointer(start: fdt + at + 4, count: max(0, structEnd - at - 4)).firstIndex(of: 0) else {
                    throw broken(offset)
                }
                let name = String(decoding: UnsafeRawBufferPointer(start: fdt + at + 4, count: nul), as: UTF8.self)
                next = (offset + 4 + nul + 1 + 3) & ~3
                guard !stack.isEmpty || name.isEmpty else {
                    throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: at,
                                   detail: "the root node is named \"\(name)\"; a device tree's root has an empty name (FDT_ERR_BADSTRUCTURE)")
                }
                guard stack.count <= DeviceTree.maximumDepth else {
                    throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: at,
                                   detail: "node \(name) is nested \(stack.count) levels below the root; the kernel does not unflatten nodes that deep (depth >= FDT_MAX_DEPTH - 1, drivers/of/fdt.c)")
                }
                guard nodes.count < DeviceTree.maximumNodes else {
                    throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: at,
                                   detail: "more than \(DeviceTree.maximumNodes) nodes; ckplan reads at most that many (real device trees have a few thousand)")
                }
                let parent = stack.last
                let path = DeviceTree.path(parent.map { nodes[$0].path == "/" ? "" : nodes[$0].path } ?? "", name)
                pathBytes += path.utf8.count
                guard pathBytes <= DeviceTree.maximumPathBytes else {
                    throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: at,
                                   detail: "the paths of the nodes up to this one take more than \(DeviceTree.maximumPathBytes) bytes; ckplan reads at most that many (real device trees take a few hundred KiB)")
                }
                let index = nodes.count
                nodes.append(Node(name: name, path: path, parent: parent, children: [], properties: [], offset: at))
                propertyRanges.append(properties.count..<properties.count)
                if let parent { nodes[parent].children.append(index) }
                stack.append(index)
                takingProperties = true
            case FDT_PROP:
                // FDT_PROP, len, nameoff, then the value.
                guard let lengthField = be32(at + 4), let nameOffset = be32(at + 8) else { throw broken(offset) }
                let value = at + 12
                guard lengthField < 0x8000_0000, value + Int(lengthField) <= structEnd else { throw broken(offset) }
                let length = Int(lengthField)
                next = (value - structBase + length + 3) & ~3
                // Every property's name is checked, as fdt_check_full does, even one that
                // belongs to no node.
                let cached = Int(nameOffset) < namesByOffset.count ? namesByOffset[Int(nameOffset)] : names[nameOffset]
                let name: String
                if let cached {
                    name = cached
                } else {
                    var nameLength: Int32 = 0
                    guard let pointer = fdt_get_string(fdt, Int32(bitPattern: nameOffset), &nameLength) else {
                        throw FDTError(code: -nameLength, function: "fdt_get_string", offset: at)
                    }
                    name = DeviceTree.string(pointer, length: Int(nameLength))
                    if Int(nameOffset) < namesByOffset.count { namesByOffset[Int(nameOffset)] = name } else { names[nameOffset] = name }
                }
                guard takingProperties, let node = stack.last else { break }
                properties.append(Property(name: name, value: bytes[value..<value + length]))
                propertyRanges[node] = propertyRanges[node].lowerBound..<properties.count
            case FDT_END_NODE:
                takingProperties = false
                guard stack.popLast() != nil else { throw broken(offset) }
                // Leaving the root: only FDT_END may follow (a second root, or even a NOP, is
                // refused, as fdt_check_full refuses it).
                if stack.isEmpty {
                    guard let end = be32(structBase + next) else { throw truncated(next) }
                    guard Int32(bitPattern: end) == FDT_END else { throw broken(next) }
                    break walk
                }
            case FDT_NOP:
                // Before the root too (so is a property there, which belongs to no node): libfdt
                // and the kernel's fdt_next_node step over both.
                break
            case FDT_END:
                // Before the root closed. fdt_check_full accepts a block of FDT_END alone; a
                // tree needs a root.
                guard !nodes.isEmpty else {
                    throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: at,
                                   detail: "the structure block ends before any node; a device tree has a root node (FDT_ERR_BADSTRUCTURE)")
                }
                throw broken(offset)
            default:
                throw broken(offset)
            }
            offset = next
        }
        for (index, range) in propertyRanges.enumerated() { nodes[index].properties = properties[range] }
    }

    /// `parent + "/" + name` in one allocation (a blob has hundreds of nodes).
    private static func path(_ parent: String, _ name: String) -> String {
        var parent = parent, name = name
        return parent.withUTF8 { above in
            name.withUTF8 { last in
                String(unsafeUninitializedCapacity: above.count + 1 + last.count) { buffer in
                    UnsafeMutableRawBufferPointer(buffer).copyBytes(from: above)
                    buffer[above.count] = UInt8(ascii: "/")
                    UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[(above.count + 1)...]).copyBytes(from: last)
                    return above.count + 1 + last.count
                }
            }
        }
    }

    private static func string(_ pointer: UnsafePointer<CChar>, length: Int) -> String {
        let buffer = UnsafeRawBufferPointer(start: pointer, count: max(0, length))
        return String(decoding: buffer, as: UTF8.self)
    }

    // MARK: - Lookup

    /// The root node (always present in a valid blob).
    public var root: Node { nodes[0] }

    /// The index of the node at `path` (exact match, e.g. `/chosen`), if any.
    public func index(of path: String) -> Int? {
        nodes.firstIndex { $0.path == path }
    }

    /// The node at `path` (exact match), if any.
    public func node(_ path: String) -> Node? {
        index(of: path).map { nodes[$0] }
    }
}

/// A libfdt error: the positive `FDT_ERR_*` code, the libfdt function that reported it and the
/// byte offset in the blob it concerns (0 when libfdt does not say).
public struct FDTError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var function: String
    public var offset: Int
    /// What is wrong, when it is a limit of ckplan's or the kernel's rather than libfdt's code.
    public var detail: String?

    public init(code: Int32, function: String, offset: Int, detail: String? = nil) {
        self.code = code
        self.function = function
        self.offset = offset
        self.detail = detail
    }

    /// libfdt's name for the code, e.g. `FDT_ERR_BADMAGIC`. The corresponding C function is
    /// `fdt_strerror`, which returns exactly these names.
    public var name: String {
        guard let p = fdt_strerror(-code) else { return "FDT_ERR_\(code)" }
        return String(cString: p)
    }

    /// What the code means, in words (fdt_strerror gives only the name).
    public var meaning: String {
        switch code {
        case FDT_ERR_TRUNCATED: "the blob is truncated or a block runs past its end"
        case FDT_ERR_BADMAGIC: "not a device tree blob (magic is not 0xd00dfeed)"
        case FDT_ERR_BADVERSION: "unsupported device tree version"
        case FDT_ERR_BADSTRUCTURE: "corrupt structure block"
        case FDT_ERR_BADLAYOUT: "blocks are laid out in an unsupported order"
        case FDT_ERR_BADOFFSET: "a structure offset points outside the tree"
        case FDT_ERR_ALIGNMENT: "the blob is not 8-byte aligned"
        case FDT_ERR_BADNCELLS: "bad #address-cells or #size-cells"
        case FDT_ERR_BADVALUE: "a property has an unexpected value"
        case FDT_ERR_INTERNAL: "libfdt internal error"
        default: "invalid device tree"
        }
    }

    public var description: String { detail ?? "\(meaning) (\(name) from \(function))" }

    /// For header-level errors the offending field is in the 40-byte header; point at it.
    static func headerOffset(of code: Int32) -> Int {
        switch code {
        case FDT_ERR_BADMAGIC: 0
        case FDT_ERR_TRUNCATED: 4  // totalsize
        case FDT_ERR_BADVERSION: 20
        default: 0
        }
    }
}
