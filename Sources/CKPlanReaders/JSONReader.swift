import CKPlanModel

/// Reads a JSON document (RFC 8259) into ckplan's `JSON` value, keeping key order, so a saved
/// `ckplan plan --format json` can be compared by `ckplan diff`. Integers stay exact 64-bit values
/// (Foundation's reader turns large addresses into doubles); fractions are kept as written.
/// Errors name the byte offset; nesting is bounded so a hostile file cannot exhaust the stack.
public enum JSONReader {
    public static let maximumDepth = 64

    public static func parse(_ bytes: [UInt8], file: String) throws(InputError) -> JSON {
        var p = Parser(bytes: bytes, file: file)
        p.skipSpace()
        let value = try p.value(depth: 0)
        p.skipSpace()
        if p.i < bytes.count { throw p.error("trailing data after the JSON document") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let file: String
        var i = 0

        init(bytes: [UInt8], file: String) {
            self.bytes = bytes
            self.file = file
        }

        func error(_ message: String) -> InputError {
            InputError(file: file, location: .byteOffset(i), message: message)
        }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let c = peek, c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 { i += 1 }
        }

        mutating func expect(_ c: UInt8, _ what: String) throws(InputError) {
            guard peek == c else { throw error("expected \(what)") }
            i += 1
        }

        mutating func literal(_ word: String, _ value: JSON) throws(InputError) -> JSON {
            let w = Array(word.utf8)
            guard bytes.count - i >= w.count, Array(bytes[i..<(i + w.count)]) == w else {
                throw error("expected a JSON value")
            }
            i += w.count
            return value
        }

        mutating func value(depth: Int) throws(InputError) -> JSON {
            guard depth < JSONReader.maximumDepth else { throw error("nested deeper than \(JSONReader.maximumDepth) levels") }
            switch peek {
            case UInt8(ascii: "{"):
                i += 1
                var items: [(String, JSON)] = []
                skipSpace()
                if peek == UInt8(ascii: "}") { i += 1; return .object(items) }
                while true {
                    skipSpace()
                    guard peek == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let key = try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"), "':' after a key")
                    skipSpace()
                    items.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    if peek == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                    return .object(items)
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSON] = []
                skipSpace()
                if peek == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    if peek == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                    return .array(items)
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case let c? where c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39): return try number()
            case nil: throw error("unexpected end of the document; expected a JSON value")
            default: throw error("expected a JSON value")
            }
        }

        mutating func number() throws(InputError) -> JSON {
            let start = i
            let negative = peek == UInt8(ascii: "-")
            if negative { i += 1 }
            func digits(_ p: inout Parser) -> Int {
                let s = p.i
                while let c = p.peek, c >= 0x30 && c <= 0x39 { p.i += 1 }
                return p.i - s
            }
            let intDigits = digits(&self)
            guard intDigits > 0 else { throw error("expected a digit") }
            if intDigits > 1 && bytes[i - intDigits] == 0x30 { throw InputError(file: file, location: .byteOffset(i - intDigits), message: "leading zero in a number") }
            var fraction = false
            if peek == UInt8(ascii: ".") {
                i += 1
                fraction = true
                guard digits(&self) > 0 else { throw error("expected a digit after '.'") }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                i += 1
                fraction = true
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
                guard digits(&self) > 0 else { throw error("expected a digit in the exponent") }
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if fraction { return .number(text) }
            if negative {
                guard let v = Int64(text) else { throw InputError(file: file, location: .byteOffset(start), message: "integer out of the 64-bit range") }
                return .signed(v)
            }
            guard let v = UInt64(text) else { throw InputError(file: file, location: .byteOffset(start), message: "integer out of the 64-bit range") }
            return .int(v)
        }

        mutating func hex4() throws(InputError) -> UInt32 {
            guard bytes.count - i >= 4 else { throw error("expected four hex digits after \\u") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let d = MemParse.hexValue(bytes[i]) else { throw error("expected a hex digit in \\u escape") }
                v = v << 4 | UInt32(d)
                i += 1
            }
            return v
        }

        mutating func string() throws(InputError) -> String {
            i += 1  // the opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = i
            func flush(_ p: Parser, _ out: inout String.UnicodeScalarView, _ from: Int) throws(InputError) {
                guard from < p.i else { return }
                guard let s = String(validating: p.bytes[from..<p.i], as: UTF8.self) else {
                    throw InputError(file: p.file, location: .byteOffset(from), message: "invalid UTF-8 in a string")
                }
                out.append(contentsOf: s.unicodeScalars)
            }
            while true {
                guard let c = peek else { throw error("unterminated string") }
                switch c {
                case UInt8(ascii: "\""):
                    try flush(self, &scalars, runStart)
                    i += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try flush(self, &scalars, runStart)
                    i += 1
                    guard let e = peek else { throw error("unterminated escape") }
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0c}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var v = try hex4()
                        if (0xd800..<0xdc00).contains(v) {
                            // A high surrogate must be followed by an escaped low one.
                            guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                                throw error("lone UTF-16 surrogate in \\u escape")
                            }
                            i += 2
                            let low = try hex4()
                            guard (0xdc00..<0xe000).contains(low) else { throw error("lone UTF-16 surrogate in \\u escape") }
                            v = 0x10000 + ((v - 0xd800) << 10) + (low - 0xdc00)
                        }
                        guard let scalar = Unicode.Scalar(v) else { throw error("lone UTF-16 surrogate in \\u escape") }
                        scalars.append(scalar)
                    default:
                        i -= 1
                        throw error("unknown escape in a string")
                    }
                    runStart = i
                case 0x00..<0x20:
                    throw error("control character in a string")
                default:
                    i += 1
                }
            }
        }
    }
}
