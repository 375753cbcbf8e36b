/// Everything a plan is computed from.
public struct PlanRequest: Sendable {
    public var machine: Machine
    public var profile: KernelProfile
    public var commandLine: String
    /// Where the command line came from ("--cmdline", "/chosen/bootargs", "none").
    public var commandLineOrigin: String
    public var boot: BootFacts
    public var cpu: CPUFeatures
    /// The capture kernel `kexec -p` loads into the reservation; nil plans no kexec.
    public var kexec: KexecInputs?

    public init(machine: Machine, profile: KernelProfile, commandLine: String, commandLineOrigin: String,
                boot: BootFacts, cpu: CPUFeatures) {
        self.machine = machine
        self.profile = profile
        self.commandLine = commandLine
        self.commandLineOrigin = commandLineOrigin
        self.boot = boot
        self.cpu = cpu
    }

    /// The boot facts ckplan assumes when none are given: where the DT says the initrd is, and
    /// otherwise QEMU virt's loader layout relative to the first RAM bank the kernel may be
    /// loaded into (a no-map bank is firmware's; the plan says what was assumed).
    public static func defaultBoot(machine: Machine, profile: KernelProfile) -> BootFacts {
        let loadBank = machine.memory.first { !$0.noMap } ?? machine.memory.first
        let ramBase = loadBank?.range.start ?? 0
        if let code = machine.kernelImage.first {
            // A running system: the image is where /proc/iomem shows it (_text is 2 MiB aligned);
            // its device tree, when there is one, says where the initrd is.
            return BootFacts(imageAt: code.start / (2 << 20) * (2 << 20), image: profile.image, fdt: nil, initrd: machine.chosen.initrd,
                             origin: machine.chosen.initrd == nil ? "/proc/iomem Kernel code; FDT and initrd positions unknown"
                                 : "/proc/iomem Kernel code, /chosen initrd; FDT position unknown")
        }
        let initrdSize = machine.chosen.initrd?.size ?? 0
        var facts = BootFacts.qemuVirt(ramBase: ramBase, ramSize: machine.totalMemory, image: profile.image,
                                       initrdSize: initrdSize)
        if let initrd = machine.chosen.initrd { facts.initrd = initrd }
        if machine.kind == .deviceTree, let shape = machine.deviceTree, let fdt = facts.fdt {
            facts.fdt = PhysRange(base: fdt.start, size: max(shape.totalSize, 1))
        }
        facts.origin = machine.kind == .embedded ? "QEMU virt loader"
            : "assumed: QEMU virt loader layout from the first RAM bank" + (loadBank?.noMap == false && machine.memory.first?.noMap == true ? " that is not no-map" : "")
        return facts
    }
}

/// What `kexec -p` loads (cli-contract.md kexec inputs).
public struct KexecInputs: Sendable {
    public var image: Arm64Image
    public var imagePath: String
    public var initrdSize: UInt64?
    /// The initrd file named in the `kexec -l` command ckplan prints ("initrd.img" when only a
    /// size was given).
    public var initrdPath = "initrd.img"
    public var dtb: KexecDTBSize
    /// The capture kernel's command line (`--append`).
    public var commandLine: String?
    public var cpus: Int
    public var loader: KexecLoader

    public init(image: Arm64Image, imagePath: String, initrdSize: UInt64?, dtb: KexecDTBSize, commandLine: String?,
                cpus: Int, loader: KexecLoader) {
        self.image = image
        self.imagePath = imagePath
        self.initrdSize = initrdSize
        self.dtb = dtb
        self.commandLine = commandLine
        self.cpus = cpus
        self.loader = loader
    }
}

/// The answer: the boot simulated up to the crash reservation, and what follows from it.
public struct Plan: Sendable {
    public enum Outcome: String, Sendable {
        /// The kernel reserved what was asked.
        case reserved
        /// The kernel tried and failed (or would loop forever).
        case failed
        /// No crashkernel= (or crashkernel=0 / a size the kernel turns into nothing).
        case none
        /// The kernel rejects the parameter.
        case invalid
    }

    public var request: PlanRequest
    public var boot: BootSimulation
    /// The crash regions the simulation gives when every estimated size is halved or doubled;
    /// equal to the plan's own regions when the placement does not depend on an estimate.
    public var sensitivity: [[PhysRange]]
    /// Where `kexec -p` puts the capture kernel in the reservation, and what a normal kexec
    /// reboot of the same kernel and initrd would copy.
    public var kdump: KdumpPlan?
    public var relocation: KexecRelocationPlan?
    /// A normal kexec loaded into the crash reservation instead, so nothing is relocated (the
    /// seeds' proposal, James Morse's kexec_in_crashk; not mainline): where kexec-tools would put it.
    public var loadIntoCrashKernel: ReservedRangeLoad?

    public var outcome: Outcome {
        guard let parse = boot.parse else { return .none }
        switch parse.outcome {
        case .absent, .reservesNothing: return .none
        case .invalid: return .invalid
        case .request: return boot.crash?.outcome == .reserved ? .reserved : .failed
        }
    }

    /// The regions reserved, main first.
    public var regions: [(role: String, range: PhysRange)] {
        var r: [(String, PhysRange)] = []
        if let main = boot.crash?.main { r.append(("crashkernel", main)) }
        if let low = boot.crash?.low { r.append(("crashkernel-low", low)) }
        return r
    }

    /// `/proc/iomem` lines: both regions are "Crash kernel" under System RAM (kernel-rules-observed K2).
    public var iomem: [String] {
        regions.sorted { $0.range < $1.range }.map { "\(String($0.range.start, radix: 16))-\(String($0.range.last, radix: 16)) : Crash kernel" }
    }

    /// `/sys/kernel/kexec_crash_size`.
    public var kexecCrashSize: UInt64 {
        boot.crash?.kexecCrashSize(ReserveCrashkernelRules.rules(for: request.profile.version)) ?? 0
    }

    /// Whether an estimated boot-time size could move the reservation.
    public var placementIsCertain: Bool {
        let ours = regions.map(\.range)
        return sensitivity.allSatisfy { $0 == ours }
    }

    /// 0 planned and reserved (or nothing asked); 1 the kernel would fail to reserve or kexec
    /// would fail to load.
    public var exitStatus: Int32 {
        switch outcome {
        case .reserved: return kdump?.fits == false ? 1 : 0
        case .none: return 0
        case .failed, .invalid: return 1
        }
    }
}

public enum Planner {
    public static func plan(_ request: PlanRequest) -> Plan {
        var input = BootSimulation.Input(machine: request.machine, profile: request.profile,
                                         commandLine: request.commandLine, boot: request.boot, cpu: request.cpu)
        let boot = BootSimulation.run(input)
        var sensitivity: [[PhysRange]] = []
        input.earlierLinearMap = boot.linearMap
        for scale in [0.5, 2.0] {
            input.estimateScale = scale
            let other = BootSimulation.run(input)
            sensitivity.append([other.crash?.main, other.crash?.low].compactMap { $0 })
        }
        var plan = Plan(request: request, boot: boot, sensitivity: sensitivity)
        if request.machine.kind == .iomem {
            // A what-if on a running system: iomem shows the result of its own boot, not the steps.
            var note = "planned from /proc/iomem: its Crash kernel lines are the running kernel's and are not reused; "
            note += "the FDT blob, the initrd and the memblock-only allocations (page tables, unflattened DT, NODE_DATA, "
            note += "sparse memmap, CMA) are not visible in iomem and are simulated; "
            note += request.boot.fdt == nil ? "FDT and initrd positions are unknown and left out"
                : "the dump shows no Kernel code, so the image, FDT and initrd are placed as the boot facts line says"
            plan.boot.notes.append(Note(.note, note))
        }
        if !request.machine.crashKernel.isEmpty {
            // The running kernel's own answer (/proc/iomem): the plan should reproduce it when it
            // is given the same command line, kernel and boot layout.
            let running = request.machine.crashKernel.map(\.range).sorted()
            let same = running == plan.regions.map(\.range).sorted()
            let list = running.map(\.description).joined(separator: " + ")
            plan.boot.notes.append(Note(same ? .note : .warning, same
                ? "the running kernel reserved the same Crash kernel region(s): \(list)"
                : "the running kernel reserved \(list), which this plan does not reproduce (another command line, kernel or boot layout?)"))
        }
        if let k = request.kexec, let main = boot.crash?.main {
            let ram = request.machine.memory.filter { !$0.noMap }.map(\.range)
            let kdump = KdumpPlanner.plan(KdumpRequest(
                main: main, low: boot.crash?.low, image: k.image, imagePath: k.imagePath, initrdSize: k.initrdSize,
                commandLine: k.commandLine, dtb: k.dtb, systemRAM: ram, cpus: k.cpus, kernel: request.profile.version,
                pageSize: request.profile.config.pageSize, loader: k.loader))
            plan.kdump = kdump
            let normalDTB: UInt64 = switch k.dtb {
            case .bytes(let b): b
            case .derived(let facts): facts.kexecToolsSize(commandLine: k.commandLine, crash: false, crashRanges: 0, initrd: k.initrdSize != nil)
            case .unknown: KexecDTBSize.estimateBytes
            }
            plan.loadIntoCrashKernel = ReservedRangeLoad(range: main, image: k.image, imagePath: k.imagePath, initrdSize: k.initrdSize,
                                                         initrdPath: k.initrdPath, dtbBytes: normalDTB,
                                                         pageSize: request.profile.config.pageSize)
            plan.relocation = KexecRelocation.plan(segments: kdump.segments.filter { $0.name != .elfcorehdr },
                                                   pageSize: request.profile.config.pageSize, kernel: request.profile.version,
                                                   linearMapTableBytes: boot.linearMap?.layout.tablePageBytes ?? 0,
                                                   lpa2: boot.lpa2Active)
        }
        return plan
    }
}
