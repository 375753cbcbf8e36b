import ArgumentParser
import CKPlanModel

/// `ckplan plan`: the main job.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan where the crash kernel lands (or why it fails), as the chosen kernel would.",
        discussion: """
        Examples:
          ckplan plan                                   # the embedded QEMU virt 4 GiB machine
          ckplan plan --dtb imx8mp-evk.dtb --memory 0x40000000+6G --cmdline 'crashkernel=512M'
          ckplan plan --dtb board.dtb --profile debian-6.1-arm64 --cmdline 'crashkernel=1G,high'
          ckplan plan /proc/iomem --cmdline 'crashkernel=384M' --format json
          ckplan plan --kernel 6.6 --set CONFIG_ARM64_16K_PAGES=y --cmdline 'crashkernel=2G'
          ckplan plan --root /srv/copy-of-host --format json  # a live system's files
          ckplan plan --batch fleet/ --cmdline 'crashkernel=512M' --format json
          ckplan plan --dtb imx8mp-evk.dtb --format svg > map.svg   # open map.svg in a browser

        Exit status: 0 reserved (or nothing asked); 1 the kernel would fail to reserve or
        rejects the parameter; 64 usage error; 65 unreadable or malformed input.
        """
    )

    @OptionGroup var options: PlanOptions

    @Option(help: "Output format: text, json, or svg (a memory map to open in a browser).")
    var format: PlanOutputFormat = .text

    @Option(help: ArgumentHelp("Plan every DTB or /proc/iomem file in this directory: one JSON line (or text line) per file.", valueName: "dir"))
    var batch: String?

    func validate() throws {
        if batch != nil {
            let input = options.input
            if input.dtb != nil || input.iomem != nil || input.file != nil || input.live || input.root != nil {
                throw ValidationError("--batch takes its machines from the directory: give no other input")
            }
            if format == .svg { throw ValidationError("--batch writes text or JSON lines, not SVG") }
        }
    }

    func run() throws {
        if let batch {
            let status = try BatchRun.run(directory: batch, options: options, json: format == .json)
            if status != 0 { throw ExitCode(status) }
            return
        }
        try emitWithStatus { () throws(InputError) in
            let plan = Planner.plan(try options.request())
            return (Self.render(plan, format), plan.exitStatus)
        }
    }

    static func render(_ plan: Plan, _ format: PlanOutputFormat) -> String {
        switch format {
        case .text: return PlanReport.text(plan)
        case .json: return PlanReport.json(plan).rendered()
        case .svg: return SVGReport.svg(plan)
        }
    }
}
