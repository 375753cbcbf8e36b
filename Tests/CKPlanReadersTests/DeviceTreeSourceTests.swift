import Foundation
import Testing

/// Every `.dts` kept next to a `.dtb` in Tests/Data must compile to exactly that `.dtb`, so the
/// readable source and the bytes the tests read never drift apart. Needs `dtc`
/// (device-tree-compiler), which the README's test command installs.
@Suite struct DeviceTreeSourceTests {
    static let pairs: [String] = ["malformed", "embedded"].flatMap { dir in
        TestData.files(in: dir, suffix: ".dts").map { "\(dir)/\($0)" }
    }

    @Test(arguments: pairs)
    func sourceCompilesToCommittedBlob(_ dts: String) throws {
        let dtc = try #require(["/usr/bin/dtc", "/usr/local/bin/dtc"].first { FileManager.default.isExecutableFile(atPath: $0) },
                               "dtc not found: apt-get install device-tree-compiler")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ckplan-\(UUID().uuidString).dtb")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: dtc)
        p.arguments = ["-q", "-I", "dts", "-O", "dtb", "-o", out.path, TestData.url(dts).path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let compiled = try Data(contentsOf: out)
        let committed = try Data(contentsOf: TestData.url(String(dts.dropLast(4)) + ".dtb"))
        #expect(compiled == committed, "\(dts) and its .dtb differ: recompile with dtc -I dts -O dtb")
    }
}
