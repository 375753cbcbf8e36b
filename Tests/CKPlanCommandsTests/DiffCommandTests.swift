@testable import CKPlanCommands
import CKPlanModel
import CKPlanReaders
import Foundation
import Testing

/// `ckplan diff` as a user runs it: bracketed argument sets, saved plans, diff's own options,
/// exit codes. What a diff says is checked against observed kernels by the diff Scenarios.
@Suite struct DiffCommandTests {
    @Test func splitsBracketsSavedPlansAndItsOwnOptions() throws {
        let r = try DiffCommand.sides(["[", "--cmdline", "crashkernel=1G", "]", "saved.json", "--format", "json", "--exit-code"])
        #expect(r.sides == [.arguments(["--cmdline", "crashkernel=1G"]), .saved("saved.json")])
        #expect(r.format == .json)
        #expect(r.exitCode)
    }

    @Test(arguments: [
        (["[", "--cmdline", "x"], "has no matching ']'"),
        (["]", "a.json"], "without '['"),
        (["a.json"], "expected two plans"),
        (["a.json", "b.json", "c.json"], "expected two plans"),
        (["a.json", "--dtb", "x.dtb", "b.json"], "belongs inside [ … ]"),
        (["a.json", "b.json", "--format", "svg"], "--format takes text or json"),
        (["[", "[", "]", "]"], "do not nest"),
    ])
    func malformedWordsAreUsageErrors(_ words: [String], _ message: String) {
        #expect {
            _ = try DiffCommand.sides(words)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func xVersusXHighOnTheEmbeddedMachine() throws {
        let r = try CKPlanProcess.run(["diff", "[", "--profile", "debian-6.12-arm64", "--cmdline", "crashkernel=512M", "]",
                                       "[", "--profile", "debian-6.12-arm64", "--cmdline", "crashkernel=512M,high", "]", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONReader.parse(Array(r.stdout.utf8), file: "stdout")
        let regions = try #require(json["reservation"]?["regions"])
        // 6.12: X,high goes above 4 GiB and takes the default 128 MiB low region (kernel-rules.md §4.7).
        #expect(regions.compact().contains(#""name": "crashkernel", "change": "moved""#))
        #expect(regions.compact().contains(#""name": "crashkernel-low", "change": "appeared""#))
        #expect(json["identical"] == .bool(false))
    }

    @Test func aSavedPlanDiffsLikeAFreshOne() throws {
        let args = ["--profile", "debian-6.1-arm64", "--cmdline", "rodata=on crashkernel=256M"]
        let saved = try CKPlanProcess.run(["plan"] + args + ["--format", "json"])
        #expect(saved.status == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ckplan-saved-\(UUID().uuidString).json")
        try saved.stdout.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let same = try CKPlanProcess.run(["diff", file.path, "["] + args + ["]", "--exit-code"])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        #expect(same.stdout.contains("no differences"))
        let other = try CKPlanProcess.run(["diff", file.path, "[", "--profile", "debian-6.1-arm64", "--cmdline", "rodata=on", "]", "--exit-code"])
        #expect(other.status == 1)
        // Without crashkernel= 6.1 keeps its blocks: B has fewer page-table pages than A.
        #expect(other.stdout.contains("crashkernel  vanished"))
        #expect(other.stdout.contains("3 GiB    4 KiB pages  ->  1 GiB blocks"))
    }

    @Test func malformedSavedPlanIs65WithItsPlace() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ckplan-bad-\(UUID().uuidString).json")
        try #"{"schema": "ckplan/plan/1", "kernel": [1, 2,]}"#.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CKPlanProcess.run(["diff", file.path, file.path])
        #expect(r.status == 65)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "ckplan: error: \(file.path): byte 44: expected a JSON value\n")
        try #"{"schema": "ckplan/plan/1", "kernel": {"version": 6}}"#.write(to: file, atomically: true, encoding: .utf8)
        let typed = try CKPlanProcess.run(["diff", file.path, file.path])
        #expect(typed.status == 65)
        #expect(typed.stderr == "ckplan: error: \(file.path): kernel.version: expected a string\n")
    }

    @Test func badPlanOptionsInsideBracketsAre64() throws {
        let r = try CKPlanProcess.run(["diff", "[", "--profile", "nonesuch", "]", "[", "]"])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("plan A"))
    }
}
