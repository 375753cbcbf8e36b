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
          ckplan plan --dtb imx8mp-evk.dtb --format svg > map.svg   # open map.svg in a browser

        Exit status: 0 reserved (or nothing asked); 1 the kernel would fail to reserve or
        rejects the parameter; 64 usage error; 65 unreadable or malformed input.
        """
    )

    @OptionGroup var options: PlanOptions

    @Option(help: "Output format: text, json, or svg (a memory map to open in a browser).")
    var format: PlanOutputFormat = .text

    func run() throws {
        var status: Int32 = 0
        try emit { () throws(InputError) in
            let plan = Planner.plan(try options.request())
            status = plan.exitStatus
            return Self.render(plan, format)
        }
        if status != 0 { throw ExitCode(status) }
    }

    static func render(_ plan: Plan, _ format: PlanOutputFormat) -> String {
        switch format {
        case .text: return PlanReport.text(plan)
        case .json: return PlanReport.json(plan).rendered()
        case .svg: return SVGReport.svg(plan)
        }
    }
}
