import ArgumentParser
import CKPlanModel

/// `ckplan profiles`: the named kernel builds and what each one sets.
struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the named kernel profiles and their configuration.",
        discussion: """
        Examples:
          ckplan profiles
          ckplan profiles --format json
        """
    )

    @Option(help: "Output format.")
    var format: OutputFormat = .text

    func run() throws {
        try emit { () throws(InputError) in
            switch format {
            case .json:
                return JSON.array(KernelProfile.named.map(Self.json)).rendered()
            case .text:
                var t = Table()
                t.add(["profile", "kernel", "page", "VA/PA", "ZONE_DMA/DMA32", "CMA", "KFENCE", "rodata default", "kexec_file"])
                for p in KernelProfile.named {
                    let c = p.config
                    t.add([p.name, p.version.description, ByteCount.human(c.pageSize), "\(c.vaBits)/\(c.paBits)",
                           "\(c.zoneDMA ? "y" : "n")/\(c.zoneDMA32 ? "y" : "n")", "\(c.cmaSizeMBytes) MiB",
                           c.kfence ? "y (interval \(c.kfenceSampleInterval))" : "n",
                           c.rodataFullDefault ? "full" : "on", c.kexecFile ? "y" : "n"])
                }
                return t.render()
            }
        }
    }

    static func json(_ p: KernelProfile) -> JSON {
        let c = p.config
        return .object([
            ("name", .string(p.name)), ("version", .string(p.version.description)),
            ("pageSize", .int(c.pageSize)), ("vaBits", .int(UInt64(c.vaBits))), ("paBits", .int(UInt64(c.paBits))),
            ("zoneDMA", .bool(c.zoneDMA)), ("zoneDMA32", .bool(c.zoneDMA32)),
            ("cmaSizeMBytes", .int(UInt64(c.cmaSizeMBytes))), ("kfence", .bool(c.kfence)),
            ("kfenceSampleInterval", .int(UInt64(c.kfenceSampleInterval))),
            ("rodataFullDefault", .bool(c.rodataFullDefault)), ("kexecFile", .bool(c.kexecFile)),
        ])
    }
}
