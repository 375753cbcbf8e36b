import CLibfdt

/// A flattened device tree, validated by libfdt and read into Swift values.
///
/// The blob is checked once with `fdt_check_full` and then walked once, its tags read directly
/// (bounds-checked again); every node is recorded with its properties. Versions 16 and 17 only. Property values are slices of the
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
            throw FDTError(code: FDT_ERR_TRUNCATED, function: "fdt_check_full", offset: bytes.count)
        }
        // Versions before 16 hold full paths as node names, and libfdt 1.6.1's fdt_check_full
        // reads the root's name through a null pointer when it has no '/' (found by Tests/Fuzz
        // dtb). dtc writes version 17; older blobs are refused before libfdt sees them.
        let field = { (at: Int) in bytes[at..<at + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        if field(0) == 0xd00d_feed, field(20) < 16 {
            throw FDTError(code: FDT_ERR_BADVERSION, function: "fdt_check_full", offset: 20,
                           detail: "device tree version \(field(20)): ckplan reads versions 16 and 17 (libfdt 1.6.1 crashes on some older blobs; dtc writes 17)")
        }
        var words = [UInt64](repeating: 0, count: (bytes.count + 7) / 8)
        words.withUnsafeMutableBytes { raw in
            raw.copyBytes(from: bytes)
        }
        let result: Result<DeviceTree, FDTError> = words.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else {
                return .failure(FDTError(code: FDT_ERR_TRUNCATED, function: "fdt_check_full", offset: 0))
            }
            return Result { () throws(FDTError) in try DeviceTree(validated: base, bytes: bytes) }
        }
        self = try result.get()
    }

    /// `fdt` is the aligned copy of `bytes`.
    private init(validated fdt: UnsafeRawPointer, bytes: [UInt8]) throws(FDTError) {
        let count = bytes.count
        try DeviceTree.checkPropertyLengths(fdt, count: count)
        let rc = fdt_check_full(fdt, count)
        if rc != 0 {
            throw FDTError(code: -rc, function: "fdt_check_full", offset: FDTError.headerOffset(of: -rc))
        }
        totalSize = Int(ckplan_fdt_totalsize(fdt))
        version = Int(ckplan_fdt_version(fdt))
        if version >= 17 {
            // fdt_check_full has checked that both blocks lie inside the blob.
            structureSize = Int(ckplan_fdt_size_dt_struct(fdt))
            let stringsOffset = Int(ckplan_fdt_off_dt_strings(fdt)), stringsSize = Int(ckplan_fdt_size_dt_strings(fdt))
            guard stringsOffset + stringsSize <= count else {
                throw FDTError(code: FDT_ERR_TRUNCATED, function: "fdt_check_full", offset: 12)
            }
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

        // One pass over the structure block, which fdt_check_full has just validated tag by tag:
        // the tags are read here directly (with their own bounds checks) rather than through
        // libfdt's accessors, which re-validate on every call. A node's properties are the
        // FDT_PROP tags right after its FDT_BEGIN_NODE (NOPs aside), as libfdt's
        // fdt_first_property_offset / fdt_next_property_offset see them; a property after a
        // subnode belongs to no node.
        let version = ckplan_fdt_version(fdt)
        // The block's end: version 17 headers give its size; version 16 ones only the blob's.
        let structEnd = version >= 17 ? min(structBase + Int(ckplan_fdt_size_dt_struct(fdt)), count) : count
        func be32(_ at: Int) -> UInt32? {
            at >= 0 && at + 4 <= structEnd ? UInt32(bigEndian: fdt.loadUnaligned(fromByteOffset: at, as: UInt32.self)) : nil
        }
        func broken(_ offset: Int) -> FDTError {
            FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: structBase + offset)
        }
        // Each node's properties, as a range of `properties` until the walk ends.
        var propertyRanges: [Range<Int>] = []
        var properties: [Property] = []
        properties.reserveCapacity((structEnd - structBase) / 32)
        // Property names by `nameoff`, each decoded once (a blob names its properties with a few
        // hundred strings): an array over the strings block when it is small, else a dictionary.
        let stringsSize = Int(ckplan_fdt_size_dt_strings(fdt))
        var namesByOffset = [String?](repeating: nil, count: stringsSize <= 1 << 16 ? stringsSize : 0)
        var names: [UInt32: String] = [:]
        var stack: [Int] = []
        var pathBytes = 0
        var takingProperties = false
        // The structure starts with the root node: libfdt says what is wrong when it does not
        // (fdt_check_full lets a lone FDT_END through).
        var rootNameLength: Int32 = 0
        if fdt_get_name(fdt, 0, &rootNameLength) == nil {
            throw FDTError(code: -rootNameLength, function: "fdt_get_name", offset: structBase)
        }
        // Offsets are relative to the structure block, as libfdt's are.
        var offset = 0
        walk: while true {
            let at = structBase + offset
            guard let tag = be32(at) else { throw broken(offset) }
            var next = offset + 4
            switch Int32(bitPattern: tag) {
            case FDT_BEGIN_NODE:
                guard let nul = UnsafeRawBufferPointer(start: fdt + at + 4, count: max(0, structEnd - at - 4)).firstIndex(of: 0) else {
                    throw broken(offset)
                }
                let name = String(decoding: UnsafeRawBufferPointer(start: fdt + at + 4, count: nul), as: UTF8.self)
                next = (offset + 4 + nul + 1 + 3) & ~3
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
                // FDT_PROP, len, nameoff, then the value. fdt_check_full (libfdt 1.6/1.7) accepts a
                // length of 0xffffffff (fdt_next_tag's `int` offset wraps): a length that is
                // negative or runs past the block is refused here.
                guard let node = stack.last, let lengthField = be32(at + 4), let nameOffset = be32(at + 8) else {
                    throw broken(offset)
                }
                let length = Int32(bitPattern: lengthField)
                let value = at + 12
                guard length >= 0, value + Int(length) <= structEnd else {
                    throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: at)
                }
                next = (value - structBase + Int(length) + 3) & ~3
                guard takingProperties else { break }
                let cached = Int(nameOffset) < namesByOffset.count ? namesByOffset[Int(nameOffset)] : names[nameOffset]
                let name: String
                if let cached {
                    name = cached
                } else {
                    var nameLength: Int32 = 0
                    guard let pointer = fdt_get_string(fdt, Int32(bitPattern: nameOffset), &nameLength) else {
                        throw FDTError(code: -nameLength, function: "fdt_getprop_by_offset", offset: at)
                    }
                    name = DeviceTree.string(pointer, length: Int(nameLength))
                    if Int(nameOffset) < namesByOffset.count { namesByOffset[Int(nameOffset)] = name } else { names[nameOffset] = name }
                }
                properties.append(Property(name: name, value: bytes[value..<value + Int(length)]))
                propertyRanges[node] = propertyRanges[node].lowerBound..<properties.count
            case FDT_END_NODE:
                takingProperties = false
                guard stack.popLast() != nil else { throw broken(offset) }
                // Leaving the root: the walk is complete.
                if stack.isEmpty { break walk }
            case FDT_NOP:
                break
            default:
                // FDT_END or an unknown tag before the root closed (fdt_check_full refuses both).
                throw broken(offset)
            }
            offset = next
        }
        for (index, range) in propertyRanges.enumerated() { nodes[index].properties = properties[range] }
    }

    /// Walks the structure block's tags once before libfdt does, and refuses a property whose
    /// length is 2 GiB or more or runs past the block. libfdt 1.6.1's `fdt_next_tag` adds the
    /// length to an `int` offset: 0xffffffff wraps it forward by 7 (fdt_check_full then accepts
    /// the blob), and 0xfffffff4 brings it back to the property's own tag, so `fdt_check_full`
    /// loops for ever (both found by Tests/Fuzz dtb). Every step here moves forward, so this ends.
    /// A blob whose header libfdt refuses is left to `fdt_check_full` to name.
    private static func checkPropertyLengths(_ fdt: UnsafeRawPointer, count: Int) throws(FDTError) {
        guard fdt_check_header(fdt) == 0, Int(ckplan_fdt_totalsize(fdt)) <= count else { return }
        let base = Int(ckplan_fdt_off_dt_struct(fdt))
        let end = min(ckplan_fdt_version(fdt) >= 17 ? base + Int(ckplan_fdt_size_dt_struct(fdt)) : count, count)
        func word(_ at: Int) -> UInt32? {
            at + 4 <= end ? UInt32(bigEndian: fdt.loadUnaligned(fromByteOffset: at, as: UInt32.self)) : nil
        }
        var at = base
        while let tag = word(at) {
            switch Int32(bitPattern: tag) {
            case FDT_BEGIN_NODE:
                guard let nul = UnsafeRawBufferPointer(start: fdt + at + 4, count: end - at - 4).firstIndex(of: 0) else { return }
                at = (at + 4 + nul + 1 + 3) & ~3
            case FDT_PROP:
                guard let length = word(at + 4) else { return }
                guard length < 0x8000_0000, at + 12 + Int(length) <= end else {
                    throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "the structure walk", offset: at)
                }
                at = (at + 12 + Int(length) + 3) & ~3
            case FDT_END_NODE, FDT_NOP:
                at += 4
            default:
                return  // FDT_END, or a tag fdt_check_full refuses
            }
        }
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
