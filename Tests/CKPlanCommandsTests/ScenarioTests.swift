@testable import CKPlanCommands
import CKPlanModel
import CKPlanReaders
import Foundation
import Testing

/// The golden Scenarios: every `Scenarios/<name>/scenario.json` is planned in-process with the
/// same option parser as `ckplan plan`, and the text and JSON must equal `expected/plan.txt` and
/// `expected/plan.json`. A mismatch prints a unified diff. `CKPLAN_RECORD=1 swift test` rewrites
/// the expected files and still fails, so nothing is ever recorded green. A scenario with
/// `observed/observation.json` must also agree with what the kernel did, whatever its expected
/// files say.
@Suite struct ScenarioTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var testDescription: String { name }
    }

    static let root = CKPlanProcess.packageRoot
    static let dir = root.appendingPathComponent("Scenarios")

    static let all: [Scenario] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().filter {
            FileManager.default.fileExists(atPath: dir.appendingPathComponent("\($0)/scenario.json").path)
        }.map(Scenario.init)
    }()

    struct File: Decodable {
        var schema: String
        /// Repo-relative, or relative to the scenario folder when it starts with "observed/".
        var machine: String
        var args: [String]
        var truth: String
        var rules: [String]
    }

    @Test func thereAreEnoughScenarios() {
        #expect(Self.all.count >= 40)
    }

    @Test(arguments: all)
    func planMatchesExpected(_ s: Scenario) throws {
        let folder = Self.dir.appendingPathComponent(s.name)
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: folder.appendingPathComponent("scenario.json")))
        #expect(file.schema == "ckplan/scenario/1")
        #expect(!file.truth.isEmpty && !file.rules.isEmpty, "every scenario says where its truth comes from")
        let plan = try Self.plan(file, scenario: s.name)

        let record = ProcessInfo.processInfo.environment["CKPLAN_RECORD"] == "1"
        for (format, name) in [(PlanOutputFormat.text, "plan.txt"), (.json, "plan.json")] {
            let actual = PlanCommand.render(plan, format)
            let url = folder.appendingPathComponent("expected/\(name)")
            if record {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try actual.write(to: url, atomically: true, encoding: .utf8)
                Issue.record("re-recorded \(s.name)/expected/\(name); review the diff and run again without CKPLAN_RECORD")
                continue
            }
            let expected = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            if actual != expected {
                Issue.record("\(s.name)/expected/\(name) differs:\n\(Self.unifiedDiff(expected, actual))")
            }
        }
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("observed/observation.json").path) {
            try Self.checkAgainstObservation(plan, folder: folder)
        }
    }

    static func plan(_ file: File, scenario: String) throws -> Plan {
        let path = file.machine.hasPrefix("observed/") ? "Scenarios/\(scenario)/\(file.machine)" : file.machine
        let bytes = Array(try Data(contentsOf: root.appendingPathComponent(path)))
        let machine: Machine
        if bytes.starts(with: MachineLoader.fdtMagic) {
            machine = try DeviceTreeReader.machine(bytes: bytes, file: path)
        } else {
            machine = try IomemReader.machine(String(decoding: bytes, as: UTF8.self), file: path)
        }
        let command = try PlanCommand.parse(file.args)
        var machineWithMemory = machine
        if let banks = try? command.options.input.banks(), !banks.isEmpty {
            machineWithMemory.memory = banks.map { MemoryRegion(range: $0) }
            machineWithMemory.notes.removeAll { $0.message.contains("--memory BASE+SIZE") }
        }
        let request = command.options.request(machine: machineWithMemory)
        return Planner.plan(request)
    }

    /// The kernel's facts win over any expected file.
    static func checkAgainstObservation(_ plan: Plan, folder: URL) throws {
        let data = try Data(contentsOf: folder.appendingPathComponent("observed/observation.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let observed = try #require(json["observed"] as? [String: Any])
        func range(_ any: Any?) -> PhysRange? {
            guard let d = any as? [String: Any], let s = (d["start"] as? NSNumber)?.uint64Value,
                  let e = (d["end"] as? NSNumber)?.uint64Value else { return nil }
            return PhysRange(start: s, end: e)
        }
        let crash = observed["crash"] as? [String: Any] ?? [:]
        #expect(plan.boot.cma.area == range(crash["cma"]), "CMA area as observed")
        #expect(plan.boot.crash?.main == range(crash["reserved"]), "crashkernel region as observed")
        #expect(plan.boot.crash?.low == range(crash["low"]), "crashkernel low region as observed")
        let dmesg = observed["dmesg"] as? [String] ?? []
        func relevant(_ lines: [String]) -> [String] {
            lines.filter { $0.hasPrefix("crashkernel") || $0.hasPrefix("cma:") || $0.hasPrefix("cannot allocate crashkernel") }
        }
        #expect(relevant(plan.boot.dmesg) == relevant(dmesg), "kernel log lines as observed")
        if let size = (observed["kexecCrashSize"] as? NSNumber)?.uint64Value {
            #expect(plan.kexecCrashSize == size, "kexec_crash_size as observed")
        }
        let iomem = (observed["iomemCrashKernel"] as? [[String: Any]] ?? []).compactMap { range($0) }
        #expect(plan.regions.map(\.range).sorted() == iomem.sorted(), "Crash kernel in /proc/iomem as observed")
        // kexec -p -d in the guest: every segment's destination and memsz.
        if let kexec = observed["kexecSegments"] as? [String: Any], let segments = kexec["segments"] as? [[String: Any]] {
            let theirs = segments.compactMap { s -> [UInt64]? in
                guard let mem = (s["mem"] as? NSNumber)?.uint64Value, let memsz = (s["memsz"] as? NSNumber)?.uint64Value else { return nil }
                return [mem, memsz]
            }
            let ours = (plan.kdump?.segments ?? []).map { [$0.start, $0.size] }.sorted { $0[0] < $1[0] }
            #expect(ours == theirs.sorted { $0[0] < $1[0] }, "kexec segments as kexec -p -d placed them")
        }
        // NODE_DATA pins the top-of-memory allocations (page tables, unflattened DT) to the byte.
        for line in dmesg where line.contains("NODE_DATA") {
            guard let open = line.range(of: "[mem 0x") else { continue }
            let hex = line[open.upperBound...].prefix { $0.isHexDigit }
            let start = UInt64(hex, radix: 16)
            #expect(plan.boot.steps.contains { $0.what.hasPrefix("NODE_DATA") && $0.ranges.first?.start == start },
                    "NODE_DATA at the observed address: \(line)")
        }
    }

    static func unifiedDiff(_ a: String, _ b: String) -> String {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("ckplan-diff-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let left = tmp.appendingPathComponent("expected"), right = tmp.appendingPathComponent("actual")
        try? a.write(to: left, atomically: true, encoding: .utf8)
        try? b.write(to: right, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        p.arguments = ["-u", left.path, right.path]
        let out = Pipe()
        p.standardOutput = out
        guard (try? p.run()) != nil else { return "(diff unavailable)" }
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: d, as: UTF8.self)
    }
}
