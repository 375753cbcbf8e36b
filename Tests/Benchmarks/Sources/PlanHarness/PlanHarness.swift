import CKPlanModel
import CKPlanReaders

/// What `ckplan plan` does between reading its input and rendering, without the command-line
/// layer (CKPlanCommands is not a product): shared by the benchmarks and the plan fuzz target.
public enum PlanHarness {
    /// A DTB if `bytes` start with the FDT magic, otherwise /proc/iomem text. A DTB whose
    /// firmware fills in /memory gets `unknownMemory` at 0x40000000 (as `--memory 0x40000000+SIZE`).
    public static func machine(_ bytes: [UInt8], file: String, unknownMemory: UInt64 = 4 << 30) throws(InputError) -> Machine {
        guard bytes.starts(with: [0xd0, 0x0d, 0xfe, 0xed]) else {
            return try IomemReader.machine(String(decoding: bytes, as: UTF8.self), file: file)
        }
        var machine = try DeviceTreeReader.machine(bytes: bytes, file: file)
        if machine.memoryIsUnknown, let bank = PhysRange(base: 0x4000_0000, size: unknownMemory) {
            machine.memory = [MemoryRegion(range: bank)]
        }
        return machine
    }

    /// The request PlanOptions.request(machine:) builds when only `--cmdline` (and `--profile`)
    /// are given; `loader` nil is `--no-kexec`.
    public static func request(machine: Machine, profile: KernelProfile, commandLine: String,
                               cpu: CPUFeatures = CPUFeatures(),
                               loader: KexecLoader? = .kexecLoad(.observed)) -> PlanRequest {
        let boot = PlanRequest.defaultBoot(machine: machine, profile: profile)
        var request = PlanRequest(machine: machine, profile: profile, commandLine: commandLine,
                                  commandLineOrigin: "--cmdline", boot: boot, cpu: cpu)
        if let loader {
            let initrd = boot.initrd?.size
            request.kexec = KexecInputs(
                image: Arm64Image(imageSize: boot.image.end), imagePath: "Image", initrdSize: initrd == 0 ? nil : initrd,
                dtb: machine.kexecDTB.map { .derived($0) } ?? .unknown,
                commandLine: commandLine.isEmpty ? nil : commandLine, cpus: machine.cpuCount ?? 1, loader: loader)
        }
        return request
    }
}
