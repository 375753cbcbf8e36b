import ArgumentParser
import CKPlanModel
import CKPlanReaders

/// `ckplan diff`: what changes between two plans.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two plans: reservation regions, kernel log, linear map and kexec segments.",
        discussion: """
        Each plan is a saved `ckplan plan --format json` file, or a full set of
        plan arguments between [ and ] (each bracket a word of its own). The
        options of `diff` itself go outside the brackets.

        Examples:
          ckplan diff [ --cmdline crashkernel=512M ] [ --cmdline crashkernel=1G,high ]
          ckplan diff [ --dtb m.dtb --profile debian-6.1-arm64 ] \\
                      [ --dtb m.dtb --profile debian-6.12-arm64 ]
          ckplan diff before.json [ --dtb m.dtb --cmdline crashkernel=1G ] \\
                      --format json
          ckplan diff a.json b.json --exit-code    # exit 1 when they differ

        Exit status: 0 compared (with --exit-code: 0 identical, 1 different);
        64 usage error; 65 unreadable or malformed input or saved plan.
        """
    )

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp(
        "Two plans: FILE.json or [ PLAN OPTIONS ], then --format text|json and --exit-code.", valueName: "plan"))
    var words: [String] = []

    @Option(help: "Output format (may also follow the plans).")
    var format: OutputFormat = .text

    @Flag(name: .customLong("exit-code"), help: "Exit 1 when the plans differ (may also follow the plans).")
    var exitCode = false

    /// One side of the diff, as the user wrote it.
    enum Side: Equatable {
        case saved(String)
        case arguments([String])
    }

    /// Splits the words into the two sides and diff's own options.
    static func sides(_ words: [String]) throws -> (sides: [Side], format: OutputFormat?, exitCode: Bool) {
        var sides: [Side] = []
        var format: OutputFormat?
        var exitCode = false
        var i = 0
        while i < words.count {
            let w = words[i]
            switch w {
            case "[":
                guard let close = words[(i + 1)...].firstIndex(of: "]") else {
                    throw ValidationError("diff: '[' at word \(i + 1) has no matching ']'")
                }
                let inner = Array(words[(i + 1)..<close])
                if inner.contains("[") { throw ValidationError("diff: brackets do not nest") }
                sides.append(.arguments(inner))
                i = close + 1
                continue
            case "]":
                throw ValidationError("diff: ']' at word \(i + 1) without '['")
            case "--format":
                guard i + 1 < words.count, let f = OutputFormat(rawValue: words[i + 1]) else {
                    throw ValidationError("diff: --format takes text or json")
                }
                format = f
                i += 1
            case _ where w.hasPrefix("--format="):
                guard let f = OutputFormat(rawValue: String(w.dropFirst("--format=".count))) else {
                    throw ValidationError("diff: --format takes text or json")
                }
                format = f
            case "--exit-code":
                exitCode = true
            case "--help", "-h", "help":
                throw CleanExit.helpRequest(DiffCommand.self)
            case _ where w.hasPrefix("-"):
                throw ValidationError("diff: \(w) belongs inside [ … ] (plan options) or is unknown")
            default:
                sides.append(.saved(w))
            }
            i += 1
        }
        guard sides.count == 2 else {
            throw ValidationError("diff: expected two plans (FILE.json or [ PLAN OPTIONS ]), got \(sides.count)")
        }
        return (sides, format, exitCode)
    }

    /// The plan options of a bracketed side, checked now so a usage error is exit 64 before any
    /// input is read.
    static func options(_ words: [String], _ which: String) throws -> PlanOptions {
        do {
            return try PlanOptions.parse(words)
        } catch {
            throw ValidationError("diff: plan \(which): \(PlanOptions.message(for: error))")
        }
    }

    static func label(_ words: [String]) -> String {
        "[ " + words.map { w in w.contains(where: { " '\"\\$".contains($0) }) ? "'" + w.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'" : w }
            .joined(separator: " ") + " ]"
    }

    func validate() throws {
        for (side, which) in zip(try Self.sides(words).sides, ["A", "B"]) {
            if case .arguments(let w) = side { _ = try Self.options(w, which) }
        }
    }

    func run() throws {
        let (sides, wordsFormat, wordsExitCode) = try Self.sides(words)
        let format = wordsFormat ?? self.format
        let parsed: [(Side, PlanOptions?)] = try zip(sides, ["A", "B"]).map { side, which in
            if case .arguments(let w) = side { return (side, try Self.options(w, which)) }
            return (side, nil)
        }
        var different = false
        try emit { () throws(InputError) in
            var facts: [PlanFacts] = []
            for (side, options) in parsed {
                switch side {
                case .saved(let path):
                    let json = try JSONReader.parse(try MachineLoader.read(path), file: path)
                    facts.append(try PlanFacts(json: json, label: path, file: path))
                case .arguments(let words):
                    guard let options else { continue }
                    let plan = Planner.plan(try options.request())
                    facts.append(try PlanFacts(json: PlanReport.json(plan), label: Self.label(words), file: "plan"))
                }
            }
            let diff = PlanDiff(facts[0], facts[1])
            different = !diff.identical
            return format == .json ? DiffReport.json(diff).rendered() : DiffReport.text(diff)
        }
        if (exitCode || wordsExitCode) && different { throw ExitCode(1) }
    }
}
