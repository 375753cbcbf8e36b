import Foundation
import Testing

/// Every `.dts` kept next to a `.dtb` in Tests/Data must compile to exactly that `.dtb`, so the
/// readable source and the bytes the tests read never drift apart. Needs `dtc`
/// (device-tree-compiler), which the README's test command installs.
@Suite struct DeviceTreeSourceTests {
    static let pairs: [String] = ["malformed", "embedded"].flatMap { dir in
        TestData.files(in: dir, suffix: ".dts").map { "\(dir)/\($0)" }
    }

    static func dtc() throws -> String {
        try #require(["/usr/bin/dtc", "/usr/local/bin/dtc"].first { FileManager.default.isExecutableFile(atPath: $0) },
                     "dtc not found: apt-get install device-tree-compiler")
    }

    @Test(arguments: pairs)
    func sourceCompilesToCommittedBlob(_ dts: String) throws {
        let dtc = try Self.dtc()
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

    /// The observed scenarios keep the DTB the guest booted with (QEMU's, unpacked to 1 MiB, so it
    /// is the source of truth) and its decompiled text beside it: the text must be what dtc makes
    /// of the blob today.
    static let observed: [String] = {
        let dir = TestData.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { dir.appendingPathComponent("\($0)/observed/guest.dts").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }()

    @Test func everyObservedGuestHasItsSource() {
        #expect(Self.observed.count >= 80)
    }

    @Test(arguments: observed)
    func observedSourceIsTheDecompiledBlob(_ dts: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Self.dtc())
        p.arguments = ["-q", "-I", "dtb", "-O", "dts", String(dts.dropLast(4)) + ".dtb"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text == (try Data(contentsOf: URL(fileURLWithPath: dts))), "\(dts) is not `dtc -I dtb -O dts` of guest.dtb")
    }
}
