/// Markup for `ckplan plan --format svg`: a standalone SVG 1.1 document built as text, with every
/// number written with at most one decimal and every string XML-escaped, so identical plans give
/// byte-identical documents. No Foundation: `String(format:)` and locale-dependent formatting are
/// avoided on purpose.
struct SVGCanvas {
    let width: Double
    /// Where the next section starts.
    var y: Double = 0
    private var body = ""

    /// Monospace everywhere, so text widths are predictable for label placement.
    static let font = "DejaVu Sans Mono, Menlo, Consolas, monospace"
    /// Advance of one character of the monospace fonts above, as a fraction of the font size.
    static let charWidth = 0.61

    init(width: Double) {
        self.width = width
    }

    // MARK: - elements

    /// `extra` are further attributes (already-known names; values are escaped here).
    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil,
                       strokeWidth: Double = 1, dash: String? = nil, opacity: Double? = nil,
                       extra: [(String, String)] = [], title: String? = nil) {
        var attrs: [(String, String)] = [("x", Self.num(x)), ("y", Self.num(y)), ("width", Self.num(max(w, 0))),
                                         ("height", Self.num(max(h, 0))), ("fill", fill)]
        if let stroke {
            attrs.append(("stroke", stroke))
            attrs.append(("stroke-width", Self.num(strokeWidth)))
        }
        if let dash { attrs.append(("stroke-dasharray", dash)) }
        if let opacity { attrs.append(("fill-opacity", Self.num2(opacity))) }
        element("rect", attrs + extra, title: title)
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
                       dash: String? = nil, extra: [(String, String)] = [], title: String? = nil) {
        var attrs: [(String, String)] = [("x1", Self.num(x1)), ("y1", Self.num(y1)), ("x2", Self.num(x2)), ("y2", Self.num(y2)),
                                         ("stroke", stroke), ("stroke-width", Self.num(width))]
        if let dash { attrs.append(("stroke-dasharray", dash)) }
        element("line", attrs + extra, title: title)
    }

    mutating func polygon(_ points: [(Double, Double)], fill: String, stroke: String? = nil, opacity: Double? = nil,
                          extra: [(String, String)] = [], title: String? = nil) {
        var attrs: [(String, String)] = [("points", points.map { "\(Self.num($0.0)),\(Self.num($0.1))" }.joined(separator: " ")),
                                         ("fill", fill)]
        if let stroke { attrs.append(("stroke", stroke)) }
        if let opacity { attrs.append(("fill-opacity", Self.num2(opacity))) }
        element("polygon", attrs + extra, title: title)
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1) {
        element("polyline", [("points", points.map { "\(Self.num($0.0)),\(Self.num($0.1))" }.joined(separator: " ")),
                             ("fill", "none"), ("stroke", stroke), ("stroke-width", Self.num(width))], title: nil)
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ x: Double, _ y: Double, _ content: String, size: Double = 11, anchor: Anchor = .start,
                       fill: String = "#222", bold: Bool = false, extra: [(String, String)] = [], title: String? = nil) {
        var attrs: [(String, String)] = [("x", Self.num(x)), ("y", Self.num(y)), ("font-size", Self.num(size))]
        if anchor != .start { attrs.append(("text-anchor", anchor.rawValue)) }
        if fill != "#222" { attrs.append(("fill", fill)) }
        if bold { attrs.append(("font-weight", "bold")) }
        body += "<text" + Self.attributes(attrs + extra) + ">"
        if let title { body += "<title>\(Self.escape(title))</title>" }
        body += Self.escape(content) + "</text>\n"
    }

    /// Word-wrapped text lines starting at the cursor; advances it.
    mutating func paragraph(_ content: String, x: Double, size: Double = 11, lineHeight: Double = 14, fill: String = "#222",
                            bold: Bool = false, maxWidth: Double? = nil, indent: String = "") {
        let chars = max(8, Int(((maxWidth ?? (width - x - 10)) / (size * Self.charWidth)).rounded(.down)))
        for line in Self.wrap(content, columns: chars, indent: indent) {
            y += lineHeight
            text(x, y, line, size: size, fill: fill, bold: bold)
        }
    }

    private mutating func element(_ name: String, _ attrs: [(String, String)], title: String?) {
        body += "<\(name)" + Self.attributes(attrs)
        if let title {
            body += "><title>\(Self.escape(title))</title></\(name)>\n"
        } else {
            body += "/>\n"
        }
    }

    /// The whole document.
    func document(title: String, description: String, defs: String) -> String {
        let height = Self.num((y + 20).rounded(.up))
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Self.num(width))\" height=\"\(height)\" "
        out += "viewBox=\"0 0 \(Self.num(width)) \(height)\" font-family=\"\(Self.escape(Self.font))\">\n"
        out += "<title>\(Self.escape(title))</title>\n<desc>\(Self.escape(description))</desc>\n"
        out += "<defs>\n\(defs)</defs>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Self.num(width))\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        out += body
        out += "</svg>\n"
        return out
    }

    // MARK: - text

    /// Estimated rendered width of `s` in the monospace font.
    static func textWidth(_ s: String, size: Double) -> Double {
        Double(s.unicodeScalars.count) * size * charWidth
    }

    /// Greedy word wrap to `columns` characters (continuation lines start with `indent`); words
    /// longer than a line are split.
    static func wrap(_ s: String, columns: Int, indent: String = "") -> [String] {
        let first = max(columns, 8), rest = max(columns - indent.count, 8)
        var lines: [String] = []
        var current = ""
        func limit() -> Int { lines.isEmpty ? first : rest }
        for word in s.split(separator: " ") {
            var w = String(word)
            if !current.isEmpty && current.count + 1 + w.count <= limit() {
                current += " " + w
                continue
            }
            if !current.isEmpty {
                lines.append(current)
                current = ""
            }
            while w.count > limit() {
                let n = limit()
                lines.append(String(w.prefix(n)))
                w = String(w.dropFirst(n))
            }
            current = w
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines.enumerated().map { $0.offset == 0 ? $0.element : indent + $0.element }
    }

    /// Shortens `s` to at most `columns` characters, ending in "…" when cut.
    static func clip(_ s: String, columns: Int) -> String {
        guard s.count > columns, columns > 1 else { return s }
        return String(s.prefix(columns - 1)) + "…"
    }

    // MARK: - escaping and numbers

    /// XML 1.0 character data / attribute value: the five special characters as entities, and
    /// characters XML cannot carry at all (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF)
    /// written visibly as `\xNN` / `\u{NNNN}`.
    static func escape(_ s: String) -> String {
        // Almost every string (numbers, names, sentences) is printable ASCII with nothing to
        // escape: returned as it is, without a scalar-by-scalar copy.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x26 && $0 != 0x3c && $0 != 0x3e && $0 != 0x22 && $0 != 0x27 }) {
            return s
        }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += "\\x" + Hex.padded(UInt64(scalar.value), width: 2)
                } else if scalar.value == 0xfffe || scalar.value == 0xffff {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func attributes(_ attrs: [(String, String)]) -> String {
        attrs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    /// One decimal, no trailing ".0", no exponent; non-finite values and values beyond ±10^9
    /// are clamped, so the conversion to an integer never traps.
    static func num(_ v: Double) -> String { fixed(v, scale: 10) }

    /// Two decimals (opacities).
    static func num2(_ v: Double) -> String { fixed(v, scale: 100) }

    private static func fixed(_ v: Double, scale: Int64) -> String {
        let clamped = v.isFinite ? min(max(v, -1e9), 1e9) : 0
        let scaled = Int64((clamped * Double(scale)).rounded())
        let sign = scaled < 0 ? "-" : ""
        let magnitude = scaled.magnitude
        let whole = magnitude / UInt64(scale), frac = magnitude % UInt64(scale)
        if frac == 0 { return sign + String(whole) }
        var digits = String(frac)
        let width = String(scale).count - 1
        digits = String(repeating: "0", count: width - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(sign)\(whole).\(digits)"
    }
}

/// Places labels in rows so none overlap: each label goes in the first row where it fits, centred
/// on its anchor and kept inside `[minX, maxX]`; a label that fits nowhere is left out (its
/// element keeps its tooltip).
struct LabelRows {
    let rows: Int
    let minX: Double
    let maxX: Double
    let gap: Double
    private var occupied: [[(Double, Double)]]

    init(rows: Int, minX: Double, maxX: Double, gap: Double = 6) {
        self.rows = rows
        self.minX = minX
        self.maxX = maxX
        self.gap = gap
        occupied = Array(repeating: [], count: rows)
    }

    /// The row and left edge for a label of `width` centred at `center`, or nil.
    mutating func place(center: Double, width: Double) -> (row: Int, x: Double)? {
        guard width <= maxX - minX else { return nil }
        let x = min(max(center - width / 2, minX), maxX - width)
        for row in 0..<rows where !occupied[row].contains(where: { x < $0.1 + gap && $0.0 < x + width + gap }) {
            occupied[row].append((x, x + width))
            return (row, x)
        }
        return nil
    }
}
