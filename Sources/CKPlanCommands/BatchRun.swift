import ArgumentParser
import CKPlanModel
import Dispatch

/// `ckplan plan --batch DIR`: every DTB or /proc/iomem file in DIR (not recursive, hidden files
/// skipped, in name order) planned with the same options. JSON: one line per file — the plan
/// (schema ckplan/plan/1), or `{"schema": "ckplan/batch-error/1", "file", "error"}` for a file
/// that cannot be read. Text: one summary line per file. Output streams in chunks, so a fleet of
/// any size runs in bounded memory; the plans of a chunk are computed on all cores.
enum BatchRun {
    static let chunk = 256

    /// The exit status: 65 if any file was malformed (its line says why), else 1 if any plan
    /// fails, else 0.
    static func run(directory: String, options: PlanOptions, json: Bool) throws -> Int32 {
        guard case .success(let names) = POSIXFile.directoryEntries(directory) else {
            POSIXFile.writeStandardError("ckplan: error: \(directory): not a readable directory\n")
            throw ExitCode(65)
        }
        let paths = names.filter { !$0.hasPrefix(".") }.sorted()
            .map { directory.hasSuffix("/") ? directory + $0 : directory + "/" + $0 }
            .filter { !POSIXFile.isDirectory($0) }
        var status: Int32 = 0
        var start = 0
        while start < paths.count {
            let slice = Array(paths[start..<min(start + chunk, paths.count)])
            start += slice.count
            // Reading and option handling stay on this thread; the plans are pure.
            let requests: [Result<PlanRequest, InputError>] = slice.map { path in
                do throws(InputError) {
                    return .success(try options.request(loaded: options.input.withBanks(MachineLoader.recognise(path: path))))
                } catch {
                    return .failure(error)
                }
            }
            let lines = parallelMap(requests) { request -> (String, Int32) in
                switch request {
                case .failure(let error):
                    return (json ? JSON.object([("schema", .string("ckplan/batch-error/1")), ("file", .string(error.file)),
                                                ("error", .string(error.description))]).compact()
                                 : "\(error.file)  error  \(error.description.dropFirst(error.description.hasPrefix(error.file) ? error.file.count + 2 : 0))", 65)
                case .success(let r):
                    let plan = Planner.plan(r)
                    return (json ? PlanReport.json(plan).compact() : summary(plan), plan.exitStatus)
                }
            }
            var out = ""
            for (line, s) in lines {
                out += line + "\n"
                status = s == 65 || status == 65 ? 65 : max(status, s)
            }
            print(out, terminator: "")
        }
        return status
    }

    /// `file  outcome  role [start, end) size …` — one line a fleet report can grep.
    static func summary(_ plan: Plan) -> String {
        let regions = plan.regions.map { "\($0.role) \($0.range) \(ByteCount.human($0.range.size))" }.joined(separator: "  ")
        var line = "\(plan.request.machine.source)  \(plan.outcome.rawValue)"
        if !regions.isEmpty { line += "  " + regions }
        if plan.outcome == .failed || plan.outcome == .invalid, let why = plan.boot.dmesg.last(where: { $0.contains("crashkernel") }) {
            line += "  \"\(why)\""
        }
        if let failure = plan.kdump?.failure { line += "  kexec: \(failure.description)" }
        return line
    }

    /// `map` over all cores, results in input order.
    static func parallelMap<T: Sendable, U: Sendable>(_ items: [T], _ transform: @Sendable (T) -> U) -> [U] {
        var values = [U?](repeating: nil, count: items.count)
        values.withUnsafeMutableBufferPointer { buffer in
            // Each index is written by exactly one iteration; all have finished when this returns.
            nonisolated(unsafe) let buffer = buffer
            DispatchQueue.concurrentPerform(iterations: items.count) { i in buffer[i] = transform(items[i]) }
        }
        return values.compactMap { $0 }
    }
}
