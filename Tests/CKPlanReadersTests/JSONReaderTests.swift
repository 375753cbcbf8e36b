import CKPlanModel
import CKPlanReaders
import Foundation
import Testing

@Suite struct JSONReaderTests {
    /// Every expected plan.json in Scenarios/ reads back to the value that was written, key
    /// order and 64-bit integers included.
    @Test func readsBackEveryExpectedPlan() throws {
        let dir = TestData.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios")
        var count = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
            let url = dir.appendingPathComponent("\(name)/expected/plan.json")
            guard let data = try? Data(contentsOf: url) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            let json = try JSONReader.parse(Array(data), file: url.path)
            #expect(json.rendered() == text, "\(name)")
            count += 1
        }
        #expect(count >= 40)
    }

    @Test func exactIntegersEscapesAndSurrogates() throws {
        let json = try JSONReader.parse(Array(#"{"a": 18446744073709551615, "b": -9223372036854775808, "c": 1.5e3, "d": "\u00e9\ud83d\ude00\n\"", "e": [true, false, null]}"#.utf8), file: "t")
        #expect(json["a"] == .int(UInt64.max))
        #expect(json["b"] == .signed(Int64.min))
        #expect(json["c"] == .number("1.5e3"))
        #expect(json["d"] == .string("é😀\n\""))
        #expect(json["e"] == .array([.bool(true), .bool(false), .null]))
    }

    @Test(arguments: [
        ("", 0, "unexpected end of the document; expected a JSON value"),
        ("{\"a\" 1}", 5, "expected ':' after a key"),
        ("[1 2]", 3, "expected ',' or ']' in an array"),
        ("18446744073709551616", 0, "integer out of the 64-bit range"),
        ("012", 0, "leading zero in a number"),
        ("\"\\ud800\"", 7, "lone UTF-16 surrogate in \\u escape"),
        ("\"a\u{1}\"", 2, "control character in a string"),
        ("\"abc", 4, "unterminated string"),
        ("{} x", 3, "trailing data after the JSON document"),
        (String(repeating: "[", count: 65), 64, "nested deeper than 64 levels"),
    ])
    func malformedNamesTheByte(_ text: String, _ offset: Int, _ message: String) {
        #expect(throws: InputError(file: "t", location: .byteOffset(offset), message: message)) {
            _ = try JSONReader.parse(Array(text.utf8), file: "t")
        }
    }

    @Test func invalidUTF8InAStringIsAnError() {
        #expect(throws: InputError(file: "t", location: .byteOffset(1), message: "invalid UTF-8 in a string")) {
            _ = try JSONReader.parse([0x22, 0xff, 0x22], file: "t")
        }
    }
}
