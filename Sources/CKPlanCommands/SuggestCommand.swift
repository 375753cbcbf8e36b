import ArgumentParser
import CKPlanModel

/// `ckplan suggest`: what crashkernel= fits, and the distribution defaults evaluated.
struct SuggestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract: "Find the smallest crashkernel= that reserves and holds the capture kernel; compare ,high; evaluate distribution defaults.",
        discussion: """
        Every candidate is planned as `ckplan plan` would plan it: the command
        line's crashkernel= tokens are replaced by the candidate, every other
        parameter (mem=, cma=, rodata=, ...) is kept. Sizes go in CRASH_ALIGN
        (2 MiB) steps; the answer is checked to reserve and to load the capture
        kernel (its sizes: --kexec-image/--kexec-initrd or --kexec-*-size), and
        one step less is planned to show why it does not.

        Examples:
          ckplan suggest
          ckplan suggest --profile debian-6.1-arm64 --kexec-initrd-size 30M
          ckplan suggest board.dtb --memory 0x40000000+8G --format json
          ckplan suggest --memory 0x40000000+1G    # range lists that select nothing

        Exit status: 0 a crashkernel= works; 1 none does; 64 usage error;
        65 unreadable or malformed input.
        """
    )

    @OptionGroup var options: PlanOptions

    @Option(help: "Output format.")
    var format: OutputFormat = .text

    func validate() throws {
        if options.noKexec {
            throw ValidationError("suggest sizes the region for the capture kernel: drop --no-kexec")
        }
    }

    func run() throws {
        try emitWithStatus { () throws(InputError) in
            let suggestion = Suggester.suggest(SuggestRequest(base: try options.request(),
                                                              captureCommandLineFollows: options.kexecAppend == nil))
            let output = format == .json ? SuggestReport.json(suggestion).rendered() : SuggestReport.text(suggestion)
            return (output, suggestion.exitStatus)
        }
    }
}
