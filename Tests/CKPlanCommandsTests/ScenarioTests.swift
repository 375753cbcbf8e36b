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
        var machine: String?
        var args: [String]?
        /// A diff scenario: the two plan scenarios it compares (`ckplan diff A B`), instead of
        /// machine and args; expected/diff.txt and diff.json.
        var diff: [String]?
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
        if let sides = file.diff {
            try checkDiff(s, sides: sides, folder: folder)
            return
        }
        let plan = try Self.plan(file, scenario: s.name)
        try compare(s, folder: folder, outputs: [("plan.txt", PlanCommand.render(plan, .text)), ("plan.json", PlanCommand.render(plan, .json))])
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("observed/observation.json").path) {
            try Self.checkAgainstObservation(plan, folder: folder)
        }
    }

    /// A diff scenario: both sides planned from their own scenario files, diffed as `ckplan diff`
    /// does; where both sides were observed, the diff must be the difference of the observations.
    func checkDiff(_ s: Scenario, sides: [String], folder: URL) throws {
        try #require(sides.count == 2, "a diff scenario names two plan scenarios")
        var facts: [PlanFacts] = []
        var observed: [[String: Any]] = []
        for side in sides {
            let sideFolder = Self.dir.appendingPathComponent(side)
            let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: sideFolder.appendingPathComponent("scenario.json")))
            let plan = try Self.plan(file, scenario: side)
            facts.append(try PlanFacts(json: PlanReport.json(plan), label: "Scenarios/\(side)", file: side))
            let obs = sideFolder.appendingPathComponent("observed/observation.json")
            // A side with an observation must have a readable one: a broken file must not turn
            // the check below off.
            if FileManager.default.fileExists(atPath: obs.path) {
                let json = try JSONSerialization.jsonObject(with: Data(contentsOf: obs)) as? [String: Any]
                observed.append(try #require(json?["observed"] as? [String: Any], "\(side): observation.json has no `observed` object"))
            }
        }
        let diff = PlanDiff(facts[0], facts[1])
        try compare(s, folder: folder, outputs: [("diff.txt", DiffReport.text(diff)), ("diff.json", DiffReport.json(diff).rendered())])
        try #require(observed.count != 1, "only one side of \(sides) was observed")
        guard observed.count == 2 else { return }
        // The kernel's side of the same comparison.
        func range(_ any: Any?) -> PhysRange? {
            guard let d = any as? [String: Any], let s = (d["start"] as? NSNumber)?.uint64Value,
                  let e = (d["end"] as? NSNumber)?.uint64Value else { return nil }
            return PhysRange(start: s, end: e)
        }
        func regions(_ o: [String: Any]) -> [PlanFacts.Region] {
            let crash = o["crash"] as? [String: Any] ?? [:]
            return [("crashkernel", "reserved"), ("crashkernel-low", "low")].compactMap { role, key in
                range(crash[key]).map { PlanFacts.Region(name: role, range: $0) }
            }
        }
        let observedRegions = PlanDiff.match(regions(observed[0]), regions(observed[1]))
        func rows(_ list: [PlanDiff.RangeChange]) -> [String] {
            list.map { c -> String in "\(c.name) \(c.kind.rawValue) \(c.a?.description ?? "-") \(c.b?.description ?? "-")" }.sorted()
        }
        #expect(rows(diff.regions) == rows(observedRegions),
                "region changes as the two kernels reserved them")
        func crashLines(_ lines: [String]) -> [String] { lines.filter { $0.hasPrefix("crashkernel") || $0.hasPrefix("cma:") } }
        let observedLog = PlanDiff.lines(crashLines(observed[0]["dmesg"] as? [String] ?? []), crashLines(observed[1]["dmesg"] as? [String] ?? []))
        #expect(diff.dmesg.filter { $0.text.hasPrefix("crashkernel") || $0.text.hasPrefix("cma:") } == observedLog,
                "log-line changes as the two kernels printed them")
        // Every observed run must read: a dropped one would hide a difference.
        func runs(_ o: [String: Any]) throws -> [PlanFacts.Run] {
            let map = o["linearMap"] as? [String: Any] ?? [:]
            let all = try #require(map["runs"] as? [[String: Any]], "an observation without linear-map runs")
            return try all.map { r in
                let range = try #require(range(r), "a run without start and end: \(r)")
                let leaf = try #require((r["leafSize"] as? NSNumber)?.uint64Value, "a run without leafSize: \(r)")
                let cont = try #require(r["contiguous"] as? Bool, "a run without contiguous: \(r)")
                return PlanFacts.Run(range: range, leaf: PlanFacts.Leaf(size: leaf, contiguous: cont))
            }
        }
        #expect(try diff.leafChanges == PlanDiff.leaves(runs(observed[0]), runs(observed[1])),
                "linear-map changes as the two kernels' page tables differ")
    }

    /// Compares rendered outputs with expected/NAME; CKPLAN_RECORD=1 rewrites them and fails.
    func compare(_ s: Scenario, folder: URL, outputs: [(String, String)]) throws {
        let record = ProcessInfo.processInfo.environment["CKPLAN_RECORD"] == "1"
        for (name, actual) in outputs {
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
    }

    static func plan(_ file: File, scenario: String) throws -> Plan {
        let machinePath = try #require(file.machine, "\(scenario): a plan scenario names its machine")
        let path = machinePath.hasPrefix("observed/") ? "Scenarios/\(scenario)/\(machinePath)" : machinePath
        let bytes = Array(try Data(contentsOf: root.appendingPathComponent(path)))
        let machine: Machine
        if bytes.starts(with: MachineLoader.fdtMagic) {
            machine = try DeviceTreeReader.machine(bytes: bytes, file: path)
        } else {
            machine = try IomemReader.machine(String(decoding: bytes, as: UTF8.self), file: path)
        }
        let command = try PlanCommand.parse(file.args ?? [])
        let request = command.options.request(machine: command.options.input.withBanks(machine))
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
