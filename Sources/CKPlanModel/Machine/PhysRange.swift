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
    public static func short(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
    /// Zero-padded to `width` digits, no prefix, as printk's `%0Nllx` does.
    public static func padded(_ v: UInt64, width: Int) -> String {
        let s = String(v, radix: 16)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// Byte counts for people: `512 MiB`, `1.5 GiB`, `64 KiB`, exact when it divides.
public enum ByteCount {
    public static func human(_ v: UInt64) -> String {
        let units: [(UInt64, String)] = [(1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"),
                                         (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (scale, name) in units where v >= scale {
            if v % scale == 0 { return "\(v / scale) \(name)" }
            // One decimal, truncated, computed without floating point so output is stable.
            let tenths = min(9, (v % scale) / (scale / 10))
            return "\(v / scale).\(tenths) \(name)"
        }
        return "\(v) B"
    }
}
