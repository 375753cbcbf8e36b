import CKPlanModel
import Testing

@Suite struct PhysRangeTests {
    @Test func constructorsRefuseWrapping() {
        #expect(PhysRange(base: .max, size: 1) == nil)
        #expect(PhysRange(base: 0xffff_ffff_ffff_f000, size: 0x1000) == nil)  // end would be 2^64
        #expect(PhysRange(base: 0xffff_ffff_ffff_f000, size: 0xfff)?.end == .max)
        #expect(PhysRange(start: 10, end: 9) == nil)
        #expect(PhysRange(start: 0, inclusiveEnd: .max) == nil)
        #expect(PhysRange(start: 0x4000_0000, inclusiveEnd: 0x7fff_ffff)?.size == 0x4000_0000)
    }

    @Test func sizeOfHugeRangeDoesNotTrap() throws {
        let r = try #require(PhysRange(start: 0, end: .max))
        #expect(r.size == .max)
        #expect(r.contains(0xffff_ffff_ffff_fffe))
        #expect(!r.contains(.max))
    }

    @Test func overlapAndIntersection() throws {
        let a = try #require(PhysRange(start: 0x1000, end: 0x3000))
        let b = try #require(PhysRange(start: 0x2000, end: 0x4000))
        let c = try #require(PhysRange(start: 0x3000, end: 0x4000))
        #expect(a.overlaps(b) && !a.overlaps(c))
        #expect(a.intersection(b) == PhysRange(start: 0x2000, end: 0x3000))
        #expect(a.intersection(c) == nil)
    }

    @Test func humanSizes() {
        #expect(ByteCount.human(512 << 20) == "512 MiB")
        #expect(ByteCount.human(3 << 29) == "1.5 GiB")
        #expect(ByteCount.human(4096) == "4 KiB")
        #expect(ByteCount.human(100) == "100 B")
        #expect(ByteCount.human(.max) == "15.9 EiB")
    }

    @Test func jsonIsStableAndEscaped() {
        let doc = JSON.object([("b", .int(2)), ("a", .string("x\"\n\u{1}")), ("c", .array([.int(1), .null]))])
        #expect(doc.compact() == #"{"b": 2, "a": "x\"\n\u0001", "c": [1, null]}"#)
        #expect(doc.rendered() == doc.rendered())
    }
}
