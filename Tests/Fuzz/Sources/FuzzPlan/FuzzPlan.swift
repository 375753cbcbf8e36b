import CKPlanModel
import FuzzSupport
import PlanHarness

/// The whole plan, as `ckplan plan` assembles it: reader -> PlanRequest -> Planner.plan -> one of
/// the text, JSON, explain and SVG reports, for one named profile.
///
/// Input: a 2-byte little-endian length L, L bytes of command line, one flags byte, one choice
/// byte, then the machine: a DTB if it starts with the FDT magic, otherwise /proc/iomem text.
/// Flags: bit 0 the CPU has LPA2, bit 1 BBML2, bit 2 no kexec plan, bit 3 kexec_file_load instead
/// of kexec_load; bits 4-7 pick the RAM a DTB without /memory gets (as `--memory
/// 0x40000000+SIZE`, 256 MiB << n). Choice: the profile is `KernelProfile.named[choice % 3]`, the
/// report `choice / 3 % 4` (text, JSON, explain, SVG). One profile and one report per execution,
/// not all twelve pairs: the SVG alone costs two thirds of a plan-and-render under the fuzzer's
/// instrumentation, and the input picks the pair, so the fuzzer explores each of them.
func fuzzPlan(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard bytes.count >= 4 else { return 0 }
    let length = Int(bytes[0]) | Int(bytes[1]) << 8
    guard bytes.count >= 4 + length else { return 0 }
    let commandLine = String(decoding: bytes[2..<(2 + length)], as: UTF8.self)
    let flags = bytes[2 + length], choice = Int(bytes[3 + length])
    let ram = UInt64(256 << 20) << (flags >> 4)
    guard let machine = try? PlanHarness.machine(Array(bytes[(4 + length)...]), file: "fuzz", unknownMemory: ram) else {
        return 0
    }
    let cpu = CPUFeatures(lpa2: flags & 1 != 0, bbml2: flags & 2 != 0)
    let loader: KexecLoader? = flags & 4 != 0 ? nil : flags & 8 == 0 ? .kexecLoad(.observed) : .kexecFileLoad
    let profiles = KernelProfile.named
    let plan = Planner.plan(PlanHarness.request(machine: machine, profile: profiles[choice % profiles.count],
                                                commandLine: commandLine, cpu: cpu, loader: loader))
    switch choice / profiles.count % 4 {
    case 0: _ = PlanReport.text(plan)
    case 1: _ = PlanReport.json(plan).rendered()
    case 2: _ = ExplainReport.text(plan)
    default: _ = SVGReport.svg(plan)
    }
    return 0
}

@_cdecl("FuzzPlan_main")
func fuzzPlanMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzPlan)
}
