/// Report text built as UTF-8 bytes and turned into a `String` once at the end. A plan of
/// 100,000 memory regions has several hundred thousand lines; appending to a `String` piece by
/// piece, and formatting each number through an intermediate `String`, cost more than planning.
struct TextBuffer {
    private(set) var bytes: [UInt8] = []

    var string: String { String(decoding: bytes, as: UTF8.self) }
    var count: Int { bytes.count }
    var last: UInt8? { bytes.last }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func spaces(_ count: Int) {
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(count, 0)))
    }

    mutating func removeLast() {
        bytes.removeLast()
    }

    /// Decimal digits.
    mutating func decimal(_ value: UInt64) {
        let start = bytes.count
        var v = value
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        bytes[start...].reverse()
    }

    /// Lowercase hex digits, zero-padded to `width`, as printk's `%0Nllx`.
    mutating func hex(_ value: UInt64, width: Int) {
        let digits = max(width, (64 - value.leadingZeroBitCount + 3) / 4, 1)
        var shift = 4 * (digits - 1)
        while shift >= 0 {
            let nibble = shift >= 64 ? 0 : UInt8(truncatingIfNeeded: (value >> UInt64(shift)) & 0xf)
            bytes.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
            shift -= 4
        }
    }
}
