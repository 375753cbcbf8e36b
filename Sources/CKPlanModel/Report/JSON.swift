/// A JSON value with ordered object keys, so every document ckplan writes has a stable key order
/// and is byte-identical for identical input (Foundation's encoder sorts or shuffles keys).
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(UInt64)
    case signed(Int64)
    /// A decimal already formatted (e.g. seconds with fixed precision), written verbatim.
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.rendered() == b.rendered() }

    /// Pretty-printed with two-space indent; arrays of scalars stay on one line.
    public func rendered() -> String {
        var out = TextBuffer()
        write(into: &out, indent: 0)
        out.append("\n")
        return out.string
    }

    /// One line, for JSON-lines output.
    public func compact() -> String {
        var out = TextBuffer()
        writeCompact(into: &out)
        return out.string
    }

    /// A JSON string: quotes, `"` and `\` escaped, control characters as `\n`, `\r`, `\t` or
    /// `\u00XX`; everything else (UTF-8 included) verbatim.
    private static func quote(_ s: String, into out: inout TextBuffer) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append("\\\"")
            case UInt8(ascii: "\\"): out.append("\\\\")
            case UInt8(ascii: "\n"): out.append("\\n")
            case UInt8(ascii: "\r"): out.append("\\r")
            case UInt8(ascii: "\t"): out.append("\\t")
            case 0..<0x20:
                out.append("\\u")
                out.hex(UInt64(byte), width: 4)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private func write(into out: inout TextBuffer, indent: Int) {
        switch self {
        case .array(let items) where items.isEmpty: out.append("[]")
        case .object(let items) where items.isEmpty: out.append("{}")
        case .array(let items) where items.allSatisfy(\.isScalar) && items.count <= 16:
            writeCompact(into: &out)
        case .array(let items):
            out.append("[\n")
            for (i, item) in items.enumerated() {
                out.spaces(2 * (indent + 1))
                item.write(into: &out, indent: indent + 1)
                out.append(i + 1 < items.count ? ",\n" : "\n")
            }
            out.spaces(2 * indent)
            out.append("]")
        case .object(let items):
            // Small objects of scalars (ranges, runs) stay on one line: diffs stay readable.
            if items.count <= 6, items.allSatisfy({ $0.1.isScalar }) {
                writeCompact(into: &out)
                return
            }
            out.append("{\n")
            for (i, (key, value)) in items.enumerated() {
                out.spaces(2 * (indent + 1))
                JSON.quote(key, into: &out)
                out.append(": ")
                value.write(into: &out, indent: indent + 1)
                out.append(i + 1 < items.count ? ",\n" : "\n")
            }
            out.spaces(2 * indent)
            out.append("}")
        default:
            writeCompact(into: &out)
        }
    }

    private func writeCompact(into out: inout TextBuffer) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let v): out.decimal(v)
        case .signed(let v):
            if v < 0 { out.append("-") }
            out.decimal(v.magnitude)
        case .number(let s): out.append(s)
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            out.append("[")
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(", ") }
                item.writeCompact(into: &out)
            }
            out.append("]")
        case .object(let items):
            out.append("{")
            for (i, (key, value)) in items.enumerated() {
                if i > 0 { out.append(", ") }
                JSON.quote(key, into: &out)
                out.append(": ")
                value.writeCompact(into: &out)
            }
            out.append("}")
        }
    }
}

extension JSON {
    /// `{"start": N, "end": N}` — every range in ckplan's JSON is half-open.
    public static func range(_ r: PhysRange) -> JSON {
        .object([("start", .int(r.start)), ("end", .int(r.end))])
    }

    /// The value of an object's key (nil for a missing key or a non-object).
    public subscript(key: String) -> JSON? {
        guard case .object(let items) = self else { return nil }
        return items.first { $0.0 == key }?.1
    }

    public static func optional<T>(_ value: T?, _ transform: (T) -> JSON) -> JSON {
        value.map(transform) ?? .null
    }
}
