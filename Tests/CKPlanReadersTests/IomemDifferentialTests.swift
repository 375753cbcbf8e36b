import CKPlanModel
import CKPlanReaders
import Testing

/// IomemReader parses UTF-8 bytes; this holds it to the reading by Characters it replaced (lines
/// split where `Character.isNewline` splits them, blanks and `#` as Characters), on random dumps
/// with odd indents, every line ending, comments, leading zeros, bad digits and non-ASCII names.
/// The combining marks that would glue onto a blank are left out: there the two readings differ
/// only in how an error message quotes the line.
@Suite struct IomemDifferentialTests {
    struct Line: Equatable {
        var depth: Int, start: UInt64, last: UInt64, name: String, line: Int
        init(_ r: IomemReader.Resource) { (depth, start, last, name, line) = (r.depth, r.start, r.last, r.name, r.line) }
        init(depth: Int, start: UInt64, last: UInt64, name: String, line: Int) {
            (self.depth, self.start, self.last, self.name, self.line) = (depth, start, last, name, line)
        }
    }

    /// The Character-based reading: resources, or the failing line and its message.
    static func reference(_ text: String) -> Result<[Line], InputError> {
        var result: [Line] = []
        var indents: [Int] = []
        var lineNumber = 0
        func blank(_ c: Character) -> Bool { c == " " || c == "\t" }
        func trimmed(_ s: Substring) -> Substring {
            var s = s
            while let f = s.first, blank(f) { s = s.dropFirst() }
            while let l = s.last, blank(l) { s = s.dropLast() }
            return s
        }
        func fail(_ message: String) -> Result<[Line], InputError> {
            .failure(InputError(file: "t", location: .line(lineNumber), message: message))
        }
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let content = line.drop(while: blank)
            if content.isEmpty || content.first == "#" { continue }
            let indent = line.count - content.count
            guard let dash = content.firstIndex(of: "-"), let colon = content.firstIndex(of: ":"), dash < colon else {
                return fail("expected `START-END : NAME` with hexadecimal START and END, found `\(String(content.prefix(60)))`")
            }
            let start = trimmed(content[..<dash]), end = trimmed(content[content.index(after: dash)..<colon])
            let name = trimmed(content[content.index(after: colon)...])
            guard !start.isEmpty, !end.isEmpty, (start + end).allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
                return fail("expected `START-END : NAME` with hexadecimal START and END, found `\(String(content.prefix(60)))`")
            }
            func hex(_ s: Substring) -> UInt64? {
                let digits = s.drop { $0 == "0" }
                return digits.isEmpty ? 0 : digits.count <= 16 ? UInt64(digits, radix: 16) : nil
            }
            guard let s = hex(start), let l = hex(end) else { return fail("address does not fit in 64 bits") }
            guard l >= s else { return fail("end \(Hex.short(l)) is below start \(Hex.short(s))") }
            while let top = indents.last, top >= indent { indents.removeLast() }
            result.append(Line(depth: indents.count, start: s, last: l, name: String(name), line: lineNumber))
            indents.append(indent)
        }
        return .success(result)
    }

    static func randomDump(_ rng: inout SeededGenerator) -> String {
        let endings = ["\n", "\n", "\n", "\r\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"]
        let indents = ["", "", "  ", "    ", "   ", "\t", " \t", "      "]
        let names = ["System RAM", "reserved", "Kernel code", "Crash kernel", "", "  PCI Bus 0000:00 ", "pcie@1f0000000", "Ré", "ä-b:c", "#x"]
        func number() -> String {
            var digits = String(UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng), radix: 16)
            // Now and then more than 16 significant digits: a value that does not fit in 64 bits.
            if Int.random(in: 0..<30, using: &rng) == 0 { digits = String(Int.random(in: 1...15, using: &rng), radix: 16) + String(repeating: "f", count: 16) }
            if Int.random(in: 0..<4, using: &rng) == 0 { digits = String(repeating: "0", count: Int.random(in: 1...6, using: &rng)) + digits }
            if Int.random(in: 0..<6, using: &rng) == 0 { digits = digits.uppercased() }
            if Int.random(in: 0..<40, using: &rng) == 0 { digits += ["g", "é", " 1", ""].randomElement(using: &rng)! }
            return digits
        }
        var text = ""
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            text += indents.randomElement(using: &rng)!
            switch Int.random(in: 0..<30, using: &rng) {
            case 0: text += "# " + names.randomElement(using: &rng)!
            case 1: text += ["garbage", "1000", ":-", "-:"].randomElement(using: &rng)!
            default:
                let start = number(), end = Int.random(in: 0..<5, using: &rng) == 0 ? number() : start
                text += start + [" - ", "-", " -", "\t-\t"].randomElement(using: &rng)! + end + [" : ", ":", " :", ":  "].randomElement(using: &rng)!
                text += names.randomElement(using: &rng)!
            }
            text += endings.randomElement(using: &rng)!
        }
        return text
    }

    @Test func bytesReadLikeCharacters() {
        var rng = SeededGenerator(state: 42)
        var parsed = 0
        for _ in 0..<3000 {
            let text = Self.randomDump(&rng)
            let bytes = Result { () throws(InputError) in try IomemReader.resources(text, file: "t").map(Line.init) }
            switch (bytes, Self.reference(text)) {
            case (.success(let a), .success(let b)):
                #expect(a == b, "\(text.debugDescription)")
                parsed += 1
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "\(text.debugDescription)")
            case (let a, let b):
                Issue.record("\(text.debugDescription): bytes \(a), characters \(b)")
            }
        }
        #expect(parsed > 500, "the generator must make mostly readable dumps (\(parsed) of 3000)")
    }
}
