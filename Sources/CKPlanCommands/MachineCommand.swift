import ArgumentParser
import CKPlanModel

/// `ckplan machine INPUT`: what was read, nothing planned.
struct MachineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machine",
        abstract: "Show what was read from a DTB or /proc/iomem dump; nothing is planned.",
        discussion: """
        Examples:
          ckplan machine --dtb imx8mp-evk.dtb
          ckplan machine /proc/iomem --format json
          ckplan machine            # the embedded QEMU virt 4 GiB machine
        """
    )

    @OptionGroup var input: MachineInputOptions

    @Option(help: "Output format.")
    var format: OutputFormat = .text

    func run() throws {
        try emit { () throws(InputError) in
            let machine = try input.load()
            switch format {
            case .text: return MachineReport.text(machine)
            case .json: return MachineReport.json(machine).rendered()
            }
        }
    }
}
