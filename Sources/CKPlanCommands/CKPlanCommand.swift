import ArgumentParser
import CKPlanModel

/// `ckplan`: plans arm64 Linux crash-kernel memory before anyone reboots.
public struct CKPlanCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ckplan",
        abstract: "Plan arm64 Linux crash-kernel memory offline, as each kernel version would.",
        discussion: """
        Reads a machine (a device tree blob or a /proc/iomem dump, or an embedded QEMU virt machine
        when none is given) and answers what the kernel does with it.

        Exit status: 0 success; 1 the kernel would fail to reserve or kexec would fail to load;
        64 usage error; 65 unreadable or malformed input.
        """,
        version: "0.1.0",
        subcommands: [PlanCommand.self, DiffCommand.self, ExplainCommand.self, SuggestCommand.self, MachineCommand.self, ProfilesCommand.self],
        defaultSubcommand: PlanCommand.self
    )

    public init() {}
}

/// An option whose values are an enum's raw strings. ArgumentParser's default witnesses name
/// each value with `String(describing:)`, whose dynamic casts took about 5% of the instructions
/// of a whole `ckplan plan --dtb` process (callgrind); the raw value is already that name.
protocol ArgumentChoice: ExpressibleByArgument, CaseIterable, RawRepresentable<String> {}

extension ArgumentChoice {
    var defaultValueDescription: String { rawValue }
    static var allValueStrings: [String] { allCases.map(\.rawValue) }
    /// None: ArgumentParser's default lists only values whose description differs from the raw
    /// value, and here they never do.
    static var allValueDescriptions: [String: String] { [:] }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// Output formats shared by the commands.
enum OutputFormat: String, ArgumentChoice {
    case text, json
}

/// `ckplan plan` alone also draws its plan (cli-contract.md: `plan ... --format text|json|svg`).
enum PlanOutputFormat: String, ArgumentChoice {
    case text, json, svg
}

/// Runs a command body: output is built whole and written only on success, so a failure leaves
/// stdout empty; an `InputError` becomes one line on stderr and exit status 65.
func emit(_ body: () throws(InputError) -> String) throws {
    do {
        let output = try body()
        print(output, terminator: "")
    } catch {
        POSIXFile.writeStandardError("ckplan: error: \(error)\n")
        throw ExitCode(65)
    }
}

/// `emit` for the planning commands, whose body also yields the exit status (1: the kernel would
/// fail to reserve, kexec would fail to load, no size fits); it is thrown after the output is written.
func emitWithStatus(_ body: () throws(InputError) -> (output: String, status: Int32)) throws {
    var status: Int32 = 0
    try emit { () throws(InputError) in
        let result = try body()
        status = result.status
        return result.output
    }
    if status != 0 { throw ExitCode(status) }
}
