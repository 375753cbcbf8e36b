/// The kernel's number parsers for command-line values: `simple_strtoull(s, &end, 0)` and
/// `memparse()`.
///
/// Both work on bytes, so every position is a byte offset into the command line (what a caret
/// diagnostic needs). A position at or past the end reads as NUL, exactly as the C code sees the
/// terminating `'\0'` of `boot_command_line`.
///
/// Sources: `lib/vsprintf.c` (`simple_strtoull`, `simple_strntoull`), `lib/kstrtox.c`
/// (`_parse_integer_fixup_radix`, `_parse_integer_limit`), `lib/cmdline.c` (`memparse`).
/// Unchanged from 5.10 to 7.1 in every respect modelled here.
public enum MemParse {
    /// What one parse produced.
    public struct Result: Hashable, Sendable {
        /// The value, wrapped modulo 2^64 as the kernel wraps it.
        public var value: UInt64
        /// Offset of the first byte not consumed. The kernel callers test `end == start` for
        /// "no value". Note that `memparse` also consumes a lone suffix letter, so `"K"` gives
        /// `end == start + 1` and value 0 (the kernel accepts it as a value).
        public var end: Int
        /// Number of digits consumed (not counting a `0x` prefix).
        public var digits: Int
        /// True if the digits or the suffix shift lost bits. The kernel computes this flag for the
        /// digits (`KSTRTOX_OVERFLOW`) and then ignores it; the shift is silently truncated.
        public var overflowed: Bool

        public init(value: UInt64, end: Int, digits: Int, overflowed: Bool) {
            self.value = value
            self.end = end
            self.digits = digits
            self.overflowed = overflowed
        }
    }

    /// `simple_strtoull(bytes + start, &end, 0)`.
    ///
    /// Base detection (`_parse_integer_fixup_radix`): `0x`/`0X` followed by a hex digit is hex
    /// (the prefix is skipped); any other leading `0` is octal (so `"0x"` alone parses as the
    /// octal `0` and stops at `x`); everything else is decimal. No sign and no white space are
    /// accepted. Digits stop at the first byte that is not a digit of the base.
    public static func strtoull(_ bytes: [UInt8], from start: Int) -> Result {
        let first = byte(bytes, start)
        var cursor = start
        var base: UInt64 = 10
        if first == UInt8(ascii: "0") {
            if lowercased(byte(bytes, start &+ 1)) == UInt8(ascii: "x"), hexValue(byte(bytes, start &+ 2)) != nil {
                base = 16
                cursor = start &+ 2
            } else {
                base = 8
            }
        }
        var value: UInt64 = 0
        var digits = 0
        var overflowed = false
        while let digit = hexValue(byte(bytes, cursor)), digit < base {
            let (product, o1) = value.multipliedReportingOverflow(by: base)
            let (sum, o2) = product.addingReportingOverflow(digit)
            overflowed = overflowed || o1 || o2
            value = sum
            digits += 1
            cursor += 1
        }
        // No digits: the kernel leaves the end pointer at the start (the skipped `0x` only
        // happens when a hex digit follows, so at least one digit exists in that case).
        return Result(value: value, end: digits == 0 ? start : cursor, digits: digits, overflowed: overflowed)
    }

    /// `memparse(bytes + start, &end)`: `simple_strtoull` followed by at most one
    /// case-insensitive suffix `K M G T P E` (shift by 10, 20, … 60 bits, silently truncated).
    /// The suffix is looked at even when no digits were consumed.
    public static func memparse(_ bytes: [UInt8], from start: Int) -> Result {
        var result = strtoull(bytes, from: start)
        guard let shift = suffixShift(byte(bytes, result.end)) else { return result }
        let lost = result.value != 0 && result.value.leadingZeroBitCount < shift
        result.value = result.value << UInt64(shift)
        result.overflowed = result.overflowed || lost
        result.end += 1
        return result
    }

    /// The byte at `index`, or NUL past the end (the C string terminator).
    static func byte(_ bytes: [UInt8], _ index: Int) -> UInt8 {
        index >= 0 && index < bytes.count ? bytes[index] : 0
    }

    private static func lowercased(_ c: UInt8) -> UInt8 {
        c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
    }

    /// `_parse_integer_limit`'s digit value: `0-9`, `a-f`, `A-F` (also /proc/iomem's digits,
    /// hence inlinable: the iomem reader calls it for every digit).
    @inlinable
    public static func hexValue(_ c: UInt8) -> UInt64? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(c - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private static func suffixShift(_ c: UInt8) -> Int? {
        switch lowercased(c) {
        case UInt8(ascii: "k"): 10
        case UInt8(ascii: "m"): 20
        case UInt8(ascii: "g"): 30
        case UInt8(ascii: "t"): 40
        case UInt8(ascii: "p"): 50
        case UInt8(ascii: "e"): 60
        default: nil
        }
    }
}

/// Parses a size or address given on ckplan's own command line (`512M`, `0x40000000`, `2G`)
/// with the kernel's `memparse` rules, so a value means the same as in `crashkernel=`.
///
/// Stricter than the kernel on purpose: the whole string must be consumed, at least one digit
/// is required (the kernel accepts a lone `K` as 0), and a value that does not fit in 64 bits is
/// rejected instead of wrapping. As in the kernel, a leading `0` means octal (`0100` = 64).
public func parseMemSize(_ text: String) -> UInt64? {
    let bytes = Array(text.utf8)
    let result = MemParse.memparse(bytes, from: 0)
    guard result.digits > 0, !result.overflowed, result.end == bytes.count else { return nil }
    return result.value
}
