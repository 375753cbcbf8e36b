/// A half-open range of physical addresses `[start, end)`, as `mm/memblock.c` and `mmu.c` use them.
///
/// Kept as start/end rather than `Range<UInt64>`: `Range.count` traps past `Int.max`, and every
/// constructor from (base, size) or an inclusive end is checked, so no range wraps past 2^64.
public struct PhysRange: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let start: UInt64
    public let end: UInt64

    /// A range from its bounds; nil when `end < start`.
    public init?(start: UInt64, end: UInt64) {
        guard end >= start else { return nil }
        self.start = start
        self.end = end
    }

    /// `[base, base + size)`; nil when it would reach or wrap past 2^64.
    public init?(base: UInt64, size: UInt64) {
        let (end, overflow) = base.addingReportingOverflow(size)
        guard !overflow else { return nil }
        self.start = base
        self.end = end
    }

    /// From a kernel `struct resource` style inclusive end (`/proc/iomem`); nil when
    /// `last < start` or `last` is 2^64 - 1 (the exclusive end would not fit).
    public init?(start: UInt64, inclusiveEnd last: UInt64) {
        guard last >= start, last < UInt64.max else { return nil }
        self.start = start
        self.end = last + 1
    }

    public var size: UInt64 { end - start }
    public var isEmpty: Bool { end == start }
    /// The kernel's inclusive end (`res->end`); meaningless for an empty range.
    public var last: UInt64 { end &- 1 }

    public func contains(_ address: UInt64) -> Bool { address >= start && address < end }
    public func contains(_ other: PhysRange) -> Bool { other.start >= start && other.end <= end }
    public func overlaps(_ other: PhysRange) -> Bool { other.start < end && start < other.end }

    /// The overlap of two ranges, nil when they do not overlap.
    public func intersection(_ other: PhysRange) -> PhysRange? {
        let s = max(start, other.start), e = min(end, other.end)
        return s < e ? PhysRange(start: s, end: e) : nil
    }

    public static func < (a: PhysRange, b: PhysRange) -> Bool {
        (a.start, a.end) < (b.start, b.end)
    }

    /// Half-open, as in the JSON: `[0x40000000, 0x80000000)`.
    public var description: String { "[\(Hex.short(start)), \(Hex.short(end)))" }
}

/// Hex formatting used everywhere, so text output is stable byte for byte.
public enum Hex {
    /// `0x` and lowercase digits, no padding: `0x40000000`.
    public static func short(_ v: UInt64) -> String { format(v, width: 1, prefix: true) }
    /// `0x` and `width` zero-padded digits: `0x0000000040000000`.
    public static func prefixed(_ v: UInt64, width: Int) -> String { format(v, width: width, prefix: true) }
    /// Zero-padded to `width` digits, no prefix, as printk's `%0Nllx` does.
    public static func padded(_ v: UInt64, width: Int) -> String { format(v, width: width, prefix: false) }

    private static func format(_ v: UInt64, width: Int, prefix: Bool) -> String {
        String.ascii(capacity: digits(v, width: width) + (prefix ? 2 : 0)) { write(v, width: width, prefix: prefix, $0) }
    }

    /// How many digits `v` is written with: at least `width`, at least one.
    static func digits(_ v: UInt64, width: Int) -> Int {
        max(width, (64 - v.leadingZeroBitCount + 3) / 4, 1)
    }

    /// The digits (after `0x` if `prefix`), most significant first, through `put`.
    @inline(__always)
    static func write(_ v: UInt64, width: Int, prefix: Bool, _ put: (UInt8) -> Void) {
        if prefix {
            put(UInt8(ascii: "0"))
            put(UInt8(ascii: "x"))
        }
        for position in stride(from: digits(v, width: width) - 1, through: 0, by: -1) {
            let nibble = position >= 16 ? 0 : UInt8(truncatingIfNeeded: (v >> UInt64(4 * position)) & 0xf)
            put(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
    }
}

/// Byte counts for people: `512 MiB`, `1.5 GiB`, `64 KiB`, exact when it divides.
public enum ByteCount {
    private static let units: [(UInt64, String)] = [(1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"),
                                                    (1 << 20, "MiB"), (1 << 10, "KiB")]

    /// At most "1023.9 KiB" (or "1023 B"): 10 characters.
    public static func human(_ v: UInt64) -> String {
        String.ascii(capacity: 10) { write(v, $0) }
    }

    /// `whole[.tenths] unit` through `put`: the tenths truncated, computed without floating
    /// point so output is stable, and left out when the unit divides.
    @inline(__always)
    static func write(_ v: UInt64, _ put: (UInt8) -> Void) {
        var whole = v, tenths: UInt64?, unit = "B"
        if let (scale, name) = units.first(where: { v >= $0.0 }) {
            whole = v / scale
            tenths = v % scale == 0 ? nil : min(9, (v % scale) / (scale / 10))
            unit = name
        }
        var scale: UInt64 = 1
        while whole / scale >= 10 { scale *= 10 }
        while scale > 0 {
            put(UInt8(ascii: "0") + UInt8(whole / scale % 10))
            scale /= 10
        }
        if let tenths {
            put(UInt8(ascii: "."))
            put(UInt8(ascii: "0") + UInt8(tenths))
        }
        put(UInt8(ascii: " "))
        for byte in unit.utf8 { put(byte) }
    }
}

extension String {
    /// A short ASCII string written byte by byte straight into its storage (reports format
    /// numbers for every memory region; `String(_:radix:)`, padding and interpolation allocated
    /// several times for each). Bytes beyond `capacity` are dropped.
    static func ascii(capacity: Int, _ write: ((UInt8) -> Void) -> Void) -> String {
        String(unsafeUninitializedCapacity: capacity) { buffer in
            var count = 0
            write { byte in
                if count < buffer.count { buffer[count] = byte }
                count += 1
            }
            return Swift.min(count, buffer.count)
        }
    }
}
