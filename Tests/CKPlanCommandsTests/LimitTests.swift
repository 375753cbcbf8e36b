import Foundation
import Testing

/// The largest inputs ckplan reads (README "Limits"): one past each limit is refused with one
/// line on stderr naming the file and place, nothing on stdout, exit 65 (64 for an option).
/// The inputs are written to a temporary folder, not kept: some are megabytes.
@Suite struct LimitTests {
    /// A flattened device tree written token by token (version 17, no padding between blocks).
    struct Blob {
        var structure: [UInt8] = []
        var strings: [UInt8] = []
        var names: [String: UInt32] = [:]
        var reservations: [(UInt64, UInt64)] = []

        static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        static func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(v & 0xffff_ffff)) }
        static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4) }

        mutating func begin(_ name: String) { structure += Blob.be32(1) + Blob.padded(Array(name.utf8) + [0]) }
        mutating func end() { structure += Blob.be32(2) }
        mutating func property(_ name: String, _ value: [UInt8]) {
            let offset = names[name] ?? UInt32(strings.count)
            if names[name] == nil {
                names[name] = offset
                strings += Array(name.utf8) + [0]
            }
            structure += Blob.be32(3) + Blob.be32(UInt32(value.count)) + Blob.be32(offset) + Blob.padded(value)
        }
        mutating func property(_ name: String, _ text: String) { property(name, Array(text.utf8) + [0]) }
        mutating func property(_ name: String, cells: [UInt64]) { property(name, cells.flatMap(Blob.be64)) }

        /// Root with 2/2 cells and 4 GiB of RAM; `body` adds the rest before the root closes.
        static func machine(_ body: (inout Blob) -> Void) -> [UInt8] {
            var b = Blob()
            b.begin("")
            b.property("#address-cells", be32(2))
            b.property("#size-cells", be32(2))
            b.begin("memory@40000000")
            b.property("device_type", "memory")
            b.property("reg", cells: [0x4000_0000, 4 << 30])
            b.end()
            body(&b)
            b.end()
            return b.bytes
        }

        /// A /reserved-memory node with `count` static 4 KiB regions, 64 KiB apart.
        mutating func reservedMemory(count: Int) {
            begin("reserved-memory")
            property("#address-cells", Blob.be32(2))
            property("#size-cells", Blob.be32(2))
            property("ranges", [])
            for i in 0..<count {
                begin("r\(i)")
                property("reg", cells: [0x8000_0000 + UInt64(i) << 16, 0x1000])
                end()
            }
            end()
        }

        var bytes: [UInt8] {
            let reserve = reservations.flatMap { Blob.be64($0.0) + Blob.be64($0.1) } + [UInt8](repeating: 0, count: 16)
            let structBlock = structure + Blob.be32(9)
            let offReserve = 40, offStruct = offReserve + reserve.count, offStrings = offStruct + structBlock.count
            let total = offStrings + strings.count
            let header = [0xd00d_feed, total, offStruct, offStrings, offReserve, 17, 16, 0, strings.count, structBlock.count]
                .flatMap { Blob.be32(UInt32($0)) }
            return header + reserve + structBlock + strings
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// The input file's bytes (nil: the 64 MiB + 1 sparse file).
        var write: @Sendable () -> [UInt8]?
        var extension_: String
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "file over 64 MiB", write: { nil }, extension_: "bin",
             message: "byte 67108864: larger than 64 MiB; not a DTB or /proc/iomem dump"),
        Case(name: "iomem over 1,048,576 lines", write: { Array(String(repeating: "0-0 : x\n", count: (1 << 20) + 1).utf8) }, extension_: "iomem",
             message: ":1048577: more than 1048576 lines; ckplan reads at most that many (a /proc/iomem has a few thousand)"),
        Case(name: "iomem over 262,144 RAM ranges", write: {
            Array((0..<((1 << 18) + 1)).map { i -> String in
                let start = 0x4000_0000 + UInt64(i) * 0x1000
                return "\(String(start, radix: 16))-\(String(start + 0xfff, radix: 16)) : System RAM\n"
            }.joined().utf8)
        }, extension_: "iomem", message: ":262145: more than 262144 System RAM and reserved ranges; ckplan plans at most that many"),
        Case(name: "dtb over 262,144 RAM ranges", write: {
            Blob.machine { b in
                b.begin("memory@100000000")
                b.property("device_type", "memory")
                b.property("reg", cells: (0..<(1 << 18)).flatMap { [0x1_0000_0000 + UInt64($0) << 22, 1 << 21] })
                b.end()
            }
        }, extension_: "dtb", message: "/memory@100000000: more than 262144 RAM ranges; ckplan plans at most that many"),
        Case(name: "dtb nested 63 levels", write: {
            Blob.machine { b in
                for i in 1...63 { b.begin("n\(i)") }
                for _ in 1...63 { b.end() }
            }
        }, extension_: "dtb", message: "node n63 is nested 63 levels below the root; the kernel does not unflatten nodes that deep (depth >= FDT_MAX_DEPTH - 1, drivers/of/fdt.c)"),
        Case(name: "dtb over 1,048,576 nodes", write: {
            // The root, the memory node and 2^20 - 1 more: one node past the limit.
            Blob.machine { b in
                for i in 0..<((1 << 20) - 1) {
                    b.begin("n\(i)")
                    b.end()
                }
            }
        }, extension_: "dtb", message: "more than 1048576 nodes; ckplan reads at most that many (real device trees have a few thousand)"),
        Case(name: "dtb node paths over 64 MiB", write: {
            // A 1 MiB name above 64 children: 1.1 MB of blob, 65 MiB of paths.
            Blob.machine { b in
                b.begin(String(repeating: "a", count: 1 << 20))
                for i in 0..<64 {
                    b.begin("b\(i)")
                    b.end()
                }
                b.end()
            }
        }, extension_: "dtb", message: "the paths of the nodes up to this one take more than 67108864 bytes; ckplan reads at most that many (real device trees take a few hundred KiB)"),
        Case(name: "dtb over 4,096 dma-ranges entries", write: {
            // A bus with 4,097 one-to-one entries (1 + 2 + 1 cells: the root has 2 address cells).
            Blob.machine { b in
                b.begin("bus")
                b.property("#address-cells", Blob.be32(1))
                b.property("#size-cells", Blob.be32(1))
                var entries: [UInt8] = []
                for i in 0..<UInt32(4097) {
                    let address: [UInt8] = Blob.be32(i << 16)
                    entries += address + Blob.be32(0) + address + Blob.be32(0x1_0000)
                }
                b.property("dma-ranges", entries)
                b.end()
            }
        }, extension_: "dtb", message: "/bus: more than 4096 dma-ranges entries in the tree; ckplan reads at most that many (real device trees have a few)"),
        Case(name: "dtb over 4,096 reserved ranges", write: {
            Blob.machine { $0.reservedMemory(count: 4097) }
        }, extension_: "dtb", message: "/reserved-memory/r4096: more than 4096 reserved ranges in /reserved-memory; ckplan reads at most that many"),
        Case(name: "dtb over 4,096 /memreserve/ entries", write: {
            var b = Blob()
            b.reservations = (0..<4097).map { (0x8000_0000 + UInt64($0) << 16, 0x1000) }
            b.begin("")
            b.property("#address-cells", Blob.be32(2))
            b.property("#size-cells", Blob.be32(2))
            b.end()
            return b.bytes
        }, extension_: "dtb", message: "byte 65576: /memreserve/ entry 4096: more than 4096 reserved ranges (with those of /reserved-memory); ckplan reads at most that many"),
        Case(name: "bootargs over 64 KiB", write: {
            Blob.machine { b in
                b.begin("chosen")
                b.property("bootargs", String(repeating: "x", count: 1 << 16))
                b.end()
            }
        }, extension_: "dtb", message: "/chosen: bootargs is 65537 bytes; ckplan reads at most 65536 (arm64 kernels keep 2047: COMMAND_LINE_SIZE)"),
    ]

    static func temporaryFile(_ c: Case) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ckplan-limit-\(UUID().uuidString).\(c.extension_)")
        if let bytes = c.write() {
            try Data(bytes).write(to: url)
        } else {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: (64 << 20) + 1)
            try handle.close()
        }
        return url
    }

    @Test(arguments: cases)
    func onePastTheLimitIsRefusedWithOneLine(_ c: Case) throws {
        let url = try Self.temporaryFile(c)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CKPlanProcess.run(["plan", url.path])
        #expect(r.status == 65)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("ckplan: error: \(url.path)"), "\(r.stderr)")
        #expect(r.stderr.hasSuffix("\(c.message)\n"), "\(r.stderr)")
        #expect(r.stderr.filter { $0 == "\n" }.count == 1)
    }

    /// At the limit, the input is read: 62 levels below the root, 4,096 reserved ranges and
    /// 1,048,576 nodes in all.
    @Test func atTheLimitIsRead() throws {
        let deepest = Case(name: "62 levels", write: {
            Blob.machine { b in
                for i in 1...62 { b.begin("n\(i)") }
                for _ in 1...62 { b.end() }
                b.reservedMemory(count: 4096)
                // root + memory + 62 + reserved-memory and its 4,096 children, then fill up.
                for i in 0..<((1 << 20) - 2 - 62 - 1 - 4096) {
                    b.begin("f\(i)")
                    b.end()
                }
            }
        }, extension_: "dtb", message: "")
        let url = try Self.temporaryFile(deepest)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CKPlanProcess.run(["machine", url.path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"name\": \"r4095\""))
    }

    @Test func commandLineOver64KiBIsAUsageError() throws {
        for option in ["--cmdline", "--kexec-append"] {
            let r = try CKPlanProcess.run(["plan", option, String(repeating: "x", count: (1 << 16) + 1)])
            #expect(r.status == 64)
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains("\(option) is 65537 bytes; ckplan reads at most 65536"))
        }
    }
}
