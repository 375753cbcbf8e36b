import ArgumentParser
import CKPlanModel

/// The options every planning command shares (cli-contract.md PLAN OPTIONS).
struct PlanOptions: ParsableArguments {
    @OptionGroup var input: MachineInputOptions

    @Option(help: ArgumentHelp("The kernel command line (default: /chosen/bootargs of the DTB).", valueName: "text"))
    var cmdline: String?

    @Option(help: ArgumentHelp("A named kernel build (see `ckplan profiles`). Default: debian-6.12-arm64.", valueName: "name"))
    var profile: String?

    @Option(help: ArgumentHelp("An upstream release (\(KernelProfile.modelledReleasesText)) with upstream defaults, e.g. 6.6 or 5.15.167.", valueName: "version"))
    var kernel: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a configuration value, e.g. CONFIG_ARM64_16K_PAGES=y (repeatable).", valueName: "CONFIG=value"))
    var settings: [String] = []

    @Option(help: ArgumentHelp("CPU features that change the outcome: lpa2, bbml2 (comma list). Default: none.", valueName: "features"))
    var cpu: String?

    @Option(name: .customLong("acpi-dma-limit"), help: ArgumentHelp("The highest CPU address DMA reaches per ACPI IORT (inclusive), on an ACPI boot.", valueName: "addr"))
    var acpiDMALimit: String?

    @Option(help: ArgumentHelp("Where the boot loader puts things: qemu-virt (QEMU -M virt direct boot).", valueName: "preset"))
    var boot: BootPreset?

    @Option(name: .customLong("image"), help: ArgumentHelp("The booted arm64 Image: its header gives image_size.", valueName: "file"))
    var imageFile: String?

    @Option(name: .customLong("image-size"), help: ArgumentHelp("Size of the booted Image (_end - _text).", valueName: "size"))
    var imageSize: String?

    @Option(name: .customLong("image-at"), help: ArgumentHelp("Physical address the Image is loaded at (_text).", valueName: "addr"))
    var imageAt: String?

    @Option(name: .customLong("initrd-at"), help: ArgumentHelp("Physical address of the initrd.", valueName: "addr"))
    var initrdAt: String?

    @Option(name: .customLong("initrd-size"), help: ArgumentHelp("Size of the initrd.", valueName: "size"))
    var initrdSize: String?

    @Option(name: .customLong("fdt-at"), help: ArgumentHelp("Physical address of the device tree blob.", valueName: "addr"))
    var fdtAt: String?

    @Option(name: .customLong("kexec-image"), help: ArgumentHelp("The capture kernel's Image for kexec -p (default: the booted image).", valueName: "file"))
    var kexecImage: String?

    @Option(name: .customLong("kexec-image-size"), help: ArgumentHelp("Its image_size instead of a file.", valueName: "size"))
    var kexecImageSize: String?

    @Option(name: .customLong("kexec-initrd"), help: ArgumentHelp("The capture initrd (default: the booted one, if known).", valueName: "file"))
    var kexecInitrd: String?

    @Option(name: .customLong("kexec-initrd-size"), help: ArgumentHelp("Its size instead of a file (0: none).", valueName: "size"))
    var kexecInitrdSize: String?

    @Option(name: .customLong("kexec-dtb-size"), help: ArgumentHelp("The DTB kexec-tools builds (default: derived from the input DTB).", valueName: "size"))
    var kexecDTBSize: String?

    @Option(name: .customLong("kexec-append"), help: ArgumentHelp("The capture kernel's command line (default: the booted one).", valueName: "text"))
    var kexecAppend: String?

    @Option(help: ArgumentHelp("How the capture kernel is loaded: kexec_load (kexec-tools places it) or kexec_file_load.", valueName: "syscall"))
    var load: LoadMethod = .kexecLoad

    @Flag(name: .customLong("no-kexec"), help: "Do not plan the kexec segments.")
    var noKexec = false

    enum LoadMethod: String, ArgumentChoice {
        case kexecLoad = "kexec_load"
        case kexecFileLoad = "kexec_file_load"
    }

    enum BootPreset: String, ArgumentChoice {
        case qemuVirt = "qemu-virt"
    }

    func validate() throws {
        if profile != nil && kernel != nil { throw ValidationError("give --profile or --kernel, not both") }
        _ = try kernelProfile()
        _ = try cpuFeatures()
        for (name, value) in [("--image-size", imageSize), ("--image-at", imageAt), ("--initrd-at", initrdAt),
                              ("--initrd-size", initrdSize), ("--fdt-at", fdtAt), ("--kexec-image-size", kexecImageSize),
                              ("--kexec-initrd-size", kexecInitrdSize), ("--kexec-dtb-size", kexecDTBSize),
                              ("--acpi-dma-limit", acpiDMALimit)] {
            if let value, parseMemSize(value) == nil { throw ValidationError("\(name) \(value): expected a size or address such as 512M or 0x48000000") }
        }
        for (name, text) in [("--cmdline", cmdline), ("--kexec-append", kexecAppend)] {
            if let count = text?.utf8.count, count > InputLimits.commandLineBytes {
                throw ValidationError("\(name) is \(count) bytes; ckplan reads at most \(InputLimits.commandLineBytes) (arm64 kernels keep 2047: COMMAND_LINE_SIZE)")
            }
        }
        if (initrdAt == nil) != (initrdSize == nil) && boot == nil {
            throw ValidationError("--initrd-at and --initrd-size go together")
        }
    }

    /// The kernel: --kernel, --profile, else the running release's (--live), else debian-6.12-arm64;
    /// then the --set overrides.
    func kernelProfile(release: String? = nil) throws -> KernelProfile {
        var p: KernelProfile
        if profile == nil, kernel == nil, let release, let running = KernelProfile.forRelease(release) {
            p = running.profile
        } else if let kernel {
            guard let v = KernelVersion(parsing: kernel), KernelProfile.modelledReleases.contains(v) else {
                throw ValidationError("--kernel \(kernel): expected a release in \(KernelProfile.modelledReleasesText), e.g. 6.6")
            }
            p = KernelProfile.upstream(v)
        } else {
            let name = profile ?? KernelProfile.debian612.name
            guard let named = KernelProfile.named(name) else {
                throw ValidationError("--profile \(name): unknown; known: \(KernelProfile.named.map(\.name).joined(separator: ", "))")
            }
            p = named
        }
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--set \(setting): expected CONFIG_NAME=VALUE") }
            do {
                try p.set(String(parts[0]), String(parts[1]))
            } catch {
                throw ValidationError("--set \(setting): \(error)")
            }
        }
        return p
    }

    func cpuFeatures() throws -> CPUFeatures {
        var f = CPUFeatures()
        for name in (cpu ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
            switch name {
            case "lpa2": f.lpa2 = true
            case "bbml2": f.bbml2 = true
            case "", "none": break
            default: throw ValidationError("--cpu \(name): unknown feature; known: lpa2, bbml2")
            }
        }
        return f
    }

    /// Reads the machine and assembles the request. Input errors are exit 65.
    func request() throws(InputError) -> PlanRequest {
        let (machine, live) = try input.loadInput()
        return try request(loaded: machine, live: live)
    }

    /// The request for a machine read by the caller (`--batch` reads one per file), with the
    /// Image files of the boot and kexec options read here.
    func request(loaded machine: Machine, live: LiveSystem? = nil) throws(InputError) -> PlanRequest {
        if machine.memoryIsUnknown {
            throw InputError(file: machine.source, location: .none, message: machine.kind == .deviceTree
                ? "no RAM to plan: the device tree carries no /memory size (firmware fills it in at boot); give --memory BASE+SIZE"
                : "no RAM to plan: the input describes no System RAM")
        }
        var r = request(machine: machine, live: live)
        if let path = imageFile {
            let header = try Arm64Image(bytes: try MachineLoader.read(path, limit: Arm64Image.headerSize), file: path)
            r.boot.image = .sized(header.kexecToolsLayout.imageSize)
            if r.kexec != nil && kexecImage == nil && kexecImageSize == nil {
                r.kexec?.image = Arm64Image(imageSize: header.kexecToolsLayout.imageSize, textOffset: header.textOffset)
            }
        }
        if r.kexec != nil, let path = kexecImage {
            let bytes = try MachineLoader.read(path, limit: Arm64Image.headerSize)
            r.kexec?.image = try Arm64Image(bytes: bytes, file: path, fileSize: try? POSIXFile.size(path).get())
            r.kexec?.imagePath = path
        }
        if r.kexec != nil, let path = kexecInitrd {
            switch POSIXFile.size(path) {
            case .success(let size): r.kexec?.initrdSize = size
            case .failure(.noSuchFile): throw InputError(file: path, location: .none, message: "no such file")
            case .failure(.unreadable(let reason)): throw InputError(file: path, location: .none, message: "cannot be read (\(reason))")
            }
            r.kexec?.initrdPath = path
        }
        return r
    }

    /// Assembles the request for a machine already read (the Scenario runner reads its own).
    func request(machine: Machine, live: LiveSystem? = nil) -> PlanRequest {
        var machine = machine
        if let limit = acpiDMALimit.flatMap(parseMemSize) { machine.acpiMaxCPUAddress = limit }
        // validate() has already checked everything below.
        let profile = (try? kernelProfile(release: live?.release)) ?? KernelProfile.debian612
        if self.profile == nil, kernel == nil, let release = live?.release {
            let how = KernelProfile.forRelease(release)?.how
                ?? "the running release \(release) is not one ckplan models (\(KernelProfile.modelledReleasesText)): planned for \(profile.name); give --profile or --kernel"
            machine.notes.append(Note(.note, "kernel: \(how)"))
        }
        let cpu = (try? cpuFeatures()) ?? CPUFeatures()
        let commandLine: String
        let origin: String
        if let cmdline {
            (commandLine, origin) = (cmdline, "--cmdline")
        } else if let running = live?.commandLine {
            (commandLine, origin) = (running, "/proc/cmdline")
        } else if let bootargs = machine.chosen.bootargs {
            (commandLine, origin) = (bootargs, "/chosen/bootargs")
        } else {
            (commandLine, origin) = ("", "none given")
        }
        var image = profile.image
        if let size = imageSize.flatMap(parseMemSize) { image = .sized(size) }
        var boot = PlanRequest.defaultBoot(machine: machine, profile: profile)
        boot.image = image
        if self.boot == .qemuVirt {
            let ramBase = machine.memory.first?.range.start ?? 0
            let initrd = initrdSize.flatMap(parseMemSize) ?? machine.chosen.initrd?.size ?? BootFacts.observationInitrdSize
            boot = BootFacts.qemuVirt(ramBase: ramBase, ramSize: machine.totalMemory, image: image, initrdSize: initrd)
        }
        if let at = imageAt.flatMap(parseMemSize) { boot.imageAt = at; boot.origin = "given" }
        if let at = fdtAt.flatMap(parseMemSize) {
            boot.fdt = PhysRange(base: at, size: max(machine.deviceTree?.totalSize ?? (1 << 20), 1))
            boot.origin = "given"
        }
        if let at = initrdAt.flatMap(parseMemSize), let size = initrdSize.flatMap(parseMemSize) {
            boot.initrd = PhysRange(base: at, size: size)
            boot.origin = "given"
        }
        var request = PlanRequest(machine: machine, profile: profile, commandLine: commandLine, commandLineOrigin: origin,
                                  boot: boot, cpu: cpu)
        if !noKexec {
            let image = Arm64Image(imageSize: kexecImageSize.flatMap(parseMemSize) ?? image.end)
            let initrd = kexecInitrdSize.flatMap(parseMemSize) ?? boot.initrd?.size
            let dtb: KexecDTBSize = kexecDTBSize.flatMap(parseMemSize).map { .bytes($0) }
                ?? machine.kexecDTB.map { .derived($0) } ?? .unknown
            request.kexec = KexecInputs(image: image, imagePath: "Image", initrdSize: initrd == 0 ? nil : initrd, dtb: dtb,
                                        commandLine: kexecAppend ?? (commandLine.isEmpty ? nil : commandLine),
                                        cpus: machine.cpuCount ?? 1,
                                        loader: load == .kexecLoad ? .kexecLoad(.observed) : .kexecFileLoad)
        }
        return request
    }
}
