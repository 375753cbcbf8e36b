import CLibfdt

/// A flattened device tree, validated by libfdt and copied into Swift values.
///
/// The blob is checked once with `fdt_check_full` and then walked once; every node and property
/// is copied out, so no pointer into C memory outlives `init` and the value is freely `Sendable`.
/// This is the only type in ckplan that talks to libfdt.
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
        public var properties: [Property]

        /// The property with this name, if present.
        public func property(_ name: String) -> Property? {
            properties.first { $0.name == name }
        }
    }

    /// One property: its raw big-endian bytes and where they sit in the blob.
    public struct Property: Sendable {
        public var name: String
        public var value: [UInt8]
        /// Byte offset of the value inside the blob, for diagnostics.
        public var offset: Int
    }

    /// One `/memreserve/` entry of the blob header's memory reservation block.
    public struct MemoryReservation: Sendable, Hashable {
        public var address: UInt64
        public var size: UInt64
    }

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
    /// The blob is copied into 8-byte aligned storage first: libfdt 1.6 rejects unaligned blobs
    /// with `FDT_ERR_ALIGNMENT`, and a Swift `[UInt8]` has no documented alignment.
    public init(bytes: [UInt8]) throws(FDTError) {
        // A header needs 40 bytes; libfdt would say TRUNCATED too, but only after reading them.
        guard bytes.count >= 40 else {
            throw FDTError(code: FDT_ERR_TRUNCATED, function: "fdt_check_full", offset: bytes.count)
        }
        var words = [UInt64](repeating: 0, count: (bytes.count + 7) / 8)
        words.withUnsafeMutableBytes { raw in
            raw.copyBytes(from: bytes)
        }
        let result: Result<DeviceTree, FDTError> = words.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else {
                return .failure(FDTError(code: FDT_ERR_TRUNCATED, function: "fdt_check_full", offset: 0))
            }
            return Result { () throws(FDTError) in try DeviceTree(validated: base, count: bytes.count) }
        }
        self = try result.get()
    }

    private init(validated fdt: UnsafeRawPointer, count: Int) throws(FDTError) {
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

        // One pass over the structure block; `depth` gives the parent of each node.
        var stack: [Int] = []
        var depth: Int32 = 0
        var offset: Int32 = 0
        while offset >= 0 {
            // Leaving the root drives depth below zero: the walk is complete.
            if depth < 0 { offset = -FDT_ERR_NOTFOUND; break }
            let d = Int(depth)
            guard d <= stack.count else {
                throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "fdt_next_node", offset: structBase + Int(offset))
            }
            stack.removeLast(stack.count - d)
            var nameLength: Int32 = 0
            guard let namePointer = fdt_get_name(fdt, offset, &nameLength) else {
                throw FDTError(code: -nameLength, function: "fdt_get_name", offset: structBase + Int(offset))
            }
            let name = DeviceTree.string(namePointer, length: Int(nameLength))
            let parent = stack.last
            let path: String
            if let parent {
                path = nodes[parent].path == "/" ? "/" + name : nodes[parent].path + "/" + name
            } else {
                path = "/"
            }
            let properties = try DeviceTree.properties(fdt, count: count, node: offset, structBase: structBase)
            let index = nodes.count
            nodes.append(Node(name: name, path: path, parent: parent, children: [], properties: properties))
            if let parent { nodes[parent].children.append(index) }
            stack.append(index)
            offset = fdt_next_node(fdt, offset, &depth)
        }
        if offset != -FDT_ERR_NOTFOUND {
            throw FDTError(code: -offset, function: "fdt_next_node", offset: structBase)
        }
    }

    private static func properties(_ fdt: UnsafeRawPointer, count: Int, node: Int32, structBase: Int) throws(FDTError) -> [Property] {
        var result: [Property] = []
        var offset = fdt_first_property_offset(fdt, node)
        while offset >= 0 {
            var length: Int32 = 0
            var namePointer: UnsafePointer<CChar>? = nil
            guard let value = fdt_getprop_by_offset(fdt, offset, &namePointer, &length), let namePointer else {
                throw FDTError(code: -length, function: "fdt_getprop_by_offset", offset: structBase + Int(offset))
            }
            // fdt_check_full (libfdt 1.6/1.7) accepts a property length of 0xffffffff: fdt_next_tag's
            // `int` offset wraps, and fdt_getprop_by_offset then returns the value with *lenp == -1.
            // Refuse any length that is negative or runs past the blob.
            guard length >= 0, fdt.distance(to: value) + Int(length) <= count else {
                throw FDTError(code: FDT_ERR_BADSTRUCTURE, function: "fdt_getprop_by_offset", offset: structBase + Int(offset))
            }
            let bytes = Array(UnsafeRawBufferPointer(start: value, count: Int(length)))
            result.append(Property(
                name: String(cString: namePointer),
                value: bytes,
                offset: fdt.distance(to: value)))
            offset = fdt_next_property_offset(fdt, offset)
        }
        if offset != -FDT_ERR_NOTFOUND {
            throw FDTError(code: -offset, function: "fdt_next_property_offset", offset: structBase + Int(node))
        }
        return result
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

    public init(code: Int32, function: String, offset: Int) {
        self.code = code
        self.function = function
        self.offset = offset
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

    public var description: String { "\(meaning) (\(name) from \(function))" }

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
