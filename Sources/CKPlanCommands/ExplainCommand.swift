import ArgumentParser
import CKPlanModel

/// `ckplan explain`: every decision, in order, with its kernel source.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the reservation step by step: what filled memblock, each window searched, what was free.",
        discussion: """
        Examples:
          ckplan explain --cmdline 'crashkernel=3G' --profile debian-6.1-arm64
          ckplan explain --dtb board.dtb --memory 0x80000000+2G --cmdline 'crashkernel=1G,high'

        Exit status as for `ckplan plan`.
        """
    )

    @OptionGroup var options: PlanOptions

    func run() throws {
        try emitWithStatus { () throws(InputError) in
            let plan = Planner.plan(try options.request())
            return (ExplainReport.text(plan), plan.exitStatus)
        }
    }
}
