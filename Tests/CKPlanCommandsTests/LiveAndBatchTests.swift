@testable import CKPlanCommands
import CKPlanModel
import CKPlanReaders
import Foundation
import Testing

/// `--live`/`--root` on fake roots (Tests/Data/live, built from an observation and a shared
/// dump) and `--batch` over a directory.
@Suite struct LiveAndBatchTests {
    static let observedRoot = "Tests/Data/live/qemu-6.12-4g-ck512m"

    @Test func aRootCopiedFromAnObservedGuestPlansWhatItsKernelReserved() throws {
        let r = try CKPlanProcess.run(["plan", "--root", Self.observedRoot, "--cpu", "lpa2", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONReader.parse(Array(r.stdout.utf8), file: "stdout")
        // The release picks Debian's 6.12 build; /proc/cmdline is the command line.
        #expect(json["kernel"]?["profile"] == .string("debian-6.12-arm64"))
        #expect(json["commandLine"]?["origin"] == .string("/proc/cmdline"))
        // Scenarios/qemu-6.12-4g-ck512m/observed: crashkernel reserved 0xdc000000 - 0xfc000000.
        let region = try #require(json["reservation"]?["regions"])
        #expect(region == .array([.object([("role", .string("crashkernel")), ("start", .int(0xdc00_0000)),
                                           ("end", .int(0xfc00_0000)), ("size", .int(0x2000_0000))])]))
        #expect(r.stdout.contains("the running kernel reserved the same Crash kernel region(s): [0xdc000000, 0xfc000000)"))
        #expect(r.stdout.contains("/proc/iomem Kernel code, /chosen initrd; FDT position unknown"))
    }

    @Test func aRootWithoutADeviceTreeIsPlannedFromIomemAndSaysWhatItCannotReproduce() throws {
        let r = try CKPlanProcess.run(["plan", "--root", "Tests/Data/live/qemu-virt-linux5.0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("the running release 5.0.0+ is not one ckplan models"))
        #expect(r.stdout.contains("[/proc/cmdline]"))
        // 5.0 reserved [0x6fe00000, 0x7fe00000) (the dump); 6.12's CMA and top-down rules put it lower.
        #expect(r.stdout.contains("warning: the running kernel reserved [0x6fe00000, 0x7fe00000), which this plan does not reproduce"))
    }

    /// Usage errors: --live off arm64, --root with --dtb. (A missing --root is malformed input:
    /// MalformedInputTests.)
    @Test func liveOffArm64AndRootWithAnInputAre64() throws {
        if !LiveSystem.hostIsArm64 {
            let live = try CKPlanProcess.run(["plan", "--live"])
            #expect(live.status == 64)
            #expect(live.stdout.isEmpty)
        }
        let both = try CKPlanProcess.run(["plan", "--root", Self.observedRoot, "--dtb", "x.dtb"])
        #expect(both.status == 64)
    }

    @Test(arguments: [
        ("6.1.0-56-arm64", "debian-6.1-arm64"),
        ("6.12.107+deb13-arm64", "debian-6.12-arm64"),
        ("6.12.107+deb13-arm64-16k", "debian-6.12-arm64-16k"),
        ("6.6.30-custom", "linux-6.6"),
        ("7.1.0", "linux-7.1"),
    ])
    func theRunningReleasePicksTheProfile(_ release: String, _ profile: String) {
        #expect(KernelProfile.forRelease(release)?.profile.name == profile)
    }

    @Test func releasesOutsideTheModelledRangeAreNotGuessed() {
        #expect(KernelProfile.forRelease("5.0.0+") == nil)
        #expect(KernelProfile.forRelease("garbage") == nil)
    }

    @Test func batchWritesOneLinePerFileInNameOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckplan-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = CKPlanProcess.packageRoot
        try FileManager.default.copyItem(at: root.appendingPathComponent("Tests/Data/shared/dtb/freescale__imx8mp-evk.dtb"),
                                         to: dir.appendingPathComponent("a.dtb"))
        try FileManager.default.copyItem(at: root.appendingPathComponent("Tests/Data/shared/iomem/rpi4b-a.txt"),
                                         to: dir.appendingPathComponent("b.iomem"))
        try "not a machine\n".write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        try "hidden\n".write(to: dir.appendingPathComponent(".hidden"), atomically: true, encoding: .utf8)

        let r = try CKPlanProcess.run(["plan", "--batch", dir.path, "--cmdline", "crashkernel=512M", "--format", "json"])
        #expect(r.status == 65, "a malformed file makes the batch exit 65")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 3)
        // Each plan line is the file's own `plan --format json`, on one line.
        let single = try CKPlanProcess.run(["plan", dir.appendingPathComponent("a.dtb").path, "--cmdline", "crashkernel=512M", "--format", "json"])
        #expect(try JSONReader.parse(Array(lines[0].utf8), file: "line 1") == JSONReader.parse(Array(single.stdout.utf8), file: "single"))
        #expect(lines[1].contains(#""source": "\#(dir.path)/b.iomem""#))
        #expect(lines[2].hasPrefix(#"{"schema": "ckplan/batch-error/1", "file": "\#(dir.path)/c.txt", "error": "\#(dir.path)/c.txt:1: expected"#))

        let text = try CKPlanProcess.run(["plan", "--batch", dir.path, "--cmdline", "crashkernel=512M"])
        #expect(text.stdout.split(separator: "\n").count == 3)
        #expect(text.stdout.contains("\(dir.path)/a.dtb  reserved  crashkernel [0xdc000000, 0xfc000000) 512 MiB"))
    }

    @Test func batchTakesNoOtherInput() throws {
        let r = try CKPlanProcess.run(["plan", "--batch", "Tests/Data", "--dtb", "x.dtb"])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
    }
}
