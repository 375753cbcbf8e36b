/// Report text built as UTF-8 bytes and turned into a `String` once at the end. A plan of
/// 100,000 memory regions has several hundred thousand lines; appending to a `String` piece by
/// piece, and formatting each number through an intermediate `String`, cost more than planning.
struct TextBuffer {
    private(set) var bytes: [UInt8] = []

    var string: String { String(decoding: bytes, as: UTF8.self) }
    var count: Int { bytes.count }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    static func += (buffer: inout TextBuffer, text: String) {
        buffer.append(text)
    }

    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func spaces(_ count: Int) {
        var left = count
        while left > 0 {
            let n = min(left, TextBuffer.blanks.count)
            bytes.append(contentsOf: TextBuffer.blanks[..<n])
            left -= n
        }
    }

    private static let blanks = [UInt8](repeating: UInt8(ascii: " "), count: 64)

    /// Room for `more` bytes, growing geometrically (`reserveCapacity` alone grows to the exact
    /// size, so reserving table by table would copy the whole report each time).
    mutating func reserve(_ more: Int) {
        let needed = bytes.count + more
        if needed > bytes.capacity { bytes.reserveCapacity(max(needed, 2 * bytes.capacity)) }
    }

    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }

    /// Drops the spaces at the end, but not before `start`.
    mutating func trimTrailingSpaces(downTo start: Int) {
        while bytes.count > start, bytes.last == UInt8(ascii: " ") { bytes.removeLast() }
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

    /// Lowercase hex digits, zero-padded to `width` (after `0x` if `prefix`), as printk's `%0Nllx`.
    mutating func hex(_ value: UInt64, width: Int, prefix: Bool = false) {
        append(atMost: Hex.digits(value, width: width) + (prefix ? 2 : 0)) { Hex.write(value, width: width, prefix: prefix, $0) }
    }

    /// `ByteCount.human(value)`.
    mutating func byteCount(_ value: UInt64) {
        append(atMost: 10) { ByteCount.write(value, $0) }
    }

    /// Appends the bytes `write` produces (at most `capacity`), written into a stack buffer and
    /// copied in once rather than appended one by one.
    @inline(__always)
    private mutating func append(atMost capacity: Int, _ write: ((UInt8) -> Void) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var count = 0
            write { byte in
                if count < buffer.count { buffer[count] = byte }
                count += 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<min(count, buffer.count)]))
        }
    }

    /// Whether everything from `start` on is ASCII.
    func isASCII(from start: Int) -> Bool {
        bytes.withUnsafeBufferPointer { $0[start...].allSatisfy { $0 < 0x80 } }
    }

    /// Characters (grapheme clusters) from `start` on.
    func characterCount(from start: Int) -> Int {
        String(decoding: bytes[start...], as: UTF8.self).count
    }
}
