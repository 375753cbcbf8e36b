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

    /// Written straight into the string's storage: reports format one or two numbers per memory
    /// region, and `String(_:radix:)` plus padding allocated three times each.
    private static func format(_ v: UInt64, width: Int, prefix: Bool) -> String {
        let digits = max(width, (64 - v.leadingZeroBitCount + 3) / 4, 1)
        let count = digits + (prefix ? 2 : 0)
        return String(unsafeUninitializedCapacity: count) { buffer in
            var x = v
            for i in stride(from: count - 1, through: count - digits, by: -1) {
                let nibble = UInt8(truncatingIfNeeded: x & 0xf)
                buffer[i] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                x >>= 4
            }
            if prefix {
                buffer[0] = UInt8(ascii: "0")
                buffer[1] = UInt8(ascii: "x")
            }
            return count
        }
    }
}

/// Byte counts for people: `512 MiB`, `1.5 GiB`, `64 KiB`, exact when it divides.
public enum ByteCount {
    private static let units: [(UInt64, String)] = [(1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"),
                                                    (1 << 20, "MiB"), (1 << 10, "KiB")]

    public static func human(_ v: UInt64) -> String {
        for (scale, name) in units where v >= scale {
            if v % scale == 0 { return format(v / scale, tenths: nil, name) }
            // One decimal, truncated, computed without floating point so output is stable.
            return format(v / scale, tenths: min(9, (v % scale) / (scale / 10)), name)
        }
        return format(v, tenths: nil, "B")
    }

    /// `whole[.tenths] unit`, written straight into the string (a report formats a size per
    /// memory region; interpolation allocated for each).
    private static func format(_ whole: UInt64, tenths: UInt64?, _ unit: String) -> String {
        var digits = 1
        var scale: UInt64 = 1
        while whole / scale >= 10 {
            scale *= 10
            digits += 1
        }
        let count = digits + (tenths == nil ? 0 : 2) + 1 + unit.utf8.count
        return String(unsafeUninitializedCapacity: count) { buffer in
            var i = 0
            var rest = whole
            while scale > 0 {
                buffer[i] = UInt8(ascii: "0") + UInt8(rest / scale)
                rest %= scale
                scale /= 10
                i += 1
            }
            if let tenths {
                buffer[i] = UInt8(ascii: ".")
                buffer[i + 1] = UInt8(ascii: "0") + UInt8(tenths)
                i += 2
            }
            buffer[i] = UInt8(ascii: " ")
            i += 1
            for byte in unit.utf8 {
                buffer[i] = byte
                i += 1
            }
            return i
        }
    }
}
