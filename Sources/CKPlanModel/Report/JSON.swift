/// A JSON value with ordered object keys, so every document ckplan writes has a stable key order
/// and is byte-identical for identical input (Foundation's encoder sorts or shuffles keys).
public indirect enum JSON: Sendable, Equatable {
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
        var out = ""
        write(into: &out, indent: 0)
        out += "\n"
        return out
    }

    /// One line, for JSON-lines output.
    public func compact() -> String {
        var out = ""
        writeCompact(into: &out)
        return out
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private func write(into out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch self {
        case .array(let items) where items.isEmpty: out += "[]"
        case .object(let items) where items.isEmpty: out += "{}"
        case .array(let items) where items.allSatisfy(\.isScalar) && items.count <= 16:
            writeCompact(into: &out)
        case .array(let items):
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.write(into: &out, indent: indent + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += closePad + "]"
        case .object(let items):
            // Small objects of scalars (ranges, runs) stay on one line: diffs stay readable.
            if items.count <= 6, items.allSatisfy({ $0.1.isScalar }) {
                writeCompact(into: &out)
                return
            }
            out += "{\n"
            for (i, (key, value)) in items.enumerated() {
                out += pad + JSON.quote(key) + ": "
                value.write(into: &out, indent: indent + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += closePad + "}"
        default:
            writeCompact(into: &out)
        }
    }

    private func writeCompact(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let v): out += String(v)
        case .signed(let v): out += String(v)
        case .number(let s): out += s
        case .string(let s): out += JSON.quote(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.writeCompact(into: &out)
            }
            out += "]"
        case .object(let items):
            out += "{"
            for (i, (key, value)) in items.enumerated() {
                if i > 0 { out += ", " }
                out += JSON.quote(key) + ": "
                value.writeCompact(into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + Hex.padded(UInt64(scalar.value), width: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
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
