import CKPlanModel
import Foundation
import PlanHarness

/// In-process timings of the planner (what a whole-process `hyperfine` cannot separate from start-up).
///
///   ckplan-bench plan FILE [CMDLINE] [REPEAT]   read + plan one DTB or iomem REPEAT times (default 5):
///                                               min and median wall time of one plan, in ms
///   ckplan-bench batch DIR [CMDLINE] [REPEAT]   every file of DIR read into memory first, then each
///                                               parsed and planned; plans per second over REPEAT passes
///
/// Profile debian-6.12-arm64, kexec -p planned with kexec_load, as `ckplan plan --cmdline CMDLINE`
/// (default crashkernel=512M). Reports are not rendered.
let arguments = CommandLine.arguments
guard arguments.count >= 3, ["plan", "batch"].contains(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: ckplan-bench plan FILE [CMDLINE] [REPEAT] | batch DIR [CMDLINE] [REPEAT]\n".utf8))
    exit(64)
}
let commandLine = arguments.count > 3 ? arguments[3] : "crashkernel=512M"
let repeats = arguments.count > 4 ? max(1, Int(arguments[4]) ?? 5) : 5

/// Reads (from memory) and plans one input; the outcome keeps the work from being optimised away.
func plan(_ bytes: [UInt8], file: String) -> Plan.Outcome? {
    guard let machine = try? PlanHarness.machine(bytes, file: file) else { return nil }
    return Planner.plan(PlanHarness.request(machine: machine, profile: .debian612, commandLine: commandLine)).outcome
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

let clock = ContinuousClock()
if arguments[1] == "plan" {
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: arguments[2])))
    var times: [Double] = []
    var outcome: Plan.Outcome?
    for _ in 0..<repeats {
        let t = clock.measure { outcome = plan(bytes, file: arguments[2]) }
        times.append(seconds(t) * 1000)
    }
    times.sort()
    print(String(format: "plan %@: outcome %@, min %.2f ms, median %.2f ms over %d runs",
                 arguments[2], outcome?.rawValue ?? "unreadable", times[0], times[times.count / 2], repeats))
} else {
    let dir = URL(fileURLWithPath: arguments[2])
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    let inputs = try names.map { (name: $0, bytes: Array(try Data(contentsOf: dir.appendingPathComponent($0)))) }
    var rates: [Double] = []
    var outcomes: [String: Int] = [:]
    for pass in 0..<repeats {
        let t = clock.measure {
            for input in inputs {
                let outcome = plan(input.bytes, file: input.name)
                if pass == 0 { outcomes[outcome?.rawValue ?? "unreadable", default: 0] += 1 }
            }
        }
        rates.append(Double(inputs.count) / seconds(t))
    }
    rates.sort()
    let summary = outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    print(String(format: "batch %@: %d files (%@), median %.0f plans/s, best %.0f plans/s over %d passes",
                 arguments[2], inputs.count, summary, rates[rates.count / 2], rates[rates.count - 1], repeats))
}
