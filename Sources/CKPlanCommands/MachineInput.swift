import ArgumentParser
import CKPlanModel
import CKPlanReaders

/// Where the machine comes from: `--dtb`, `--iomem`, a file recognised by content, or the
/// embedded default.
struct MachineInputOptions: ParsableArguments {
    @Option(name: .customLong("dtb"), help: ArgumentHelp("A flattened device tree blob.", valueName: "file"))
    var dtb: String?

    @Option(name: .customLong("iomem"), help: ArgumentHelp("A /proc/iomem dump (read as root).", valueName: "file"))
    var iomem: String?

    @Argument(help: ArgumentHelp("A DTB or /proc/iomem file, recognised by its content.", valueName: "input"))
    var file: String?

    @Flag(help: "Read this arm64 host: /sys/firmware/fdt, /proc/iomem (as root), /proc/cmdline and the running release.")
    var live = false

    @Option(help: ArgumentHelp("Read a live system's files under this directory instead of / (implies --live).", valueName: "dir"))
    var root: String?

    @Option(name: .customLong("memory"), help: ArgumentHelp(
        "A RAM bank, BASE+SIZE in the kernel's memparse forms (e.g. 0x80000000+8G); repeatable. Replaces the input's memory: for DTBs whose firmware fills in /memory.",
        valueName: "base+size"))
    var memory: [String] = []

    func validate() throws {
        let given = [dtb, iomem, file].compactMap { $0 }.count + (live || root != nil ? 1 : 0)
        if given > 1 { throw ValidationError("give one input: --dtb, --iomem, --live or a file") }
        if live && root == nil && !LiveSystem.hostIsArm64 {
            throw ValidationError("--live reads an arm64 host; this one is not: copy its files and use --root DIR")
        }
        _ = try banks()
    }

    /// `--memory` banks, sorted; a malformed or overlapping bank is a usage error (exit 64).
    func banks() throws -> [PhysRange] {
        var result: [PhysRange] = []
        for text in memory {
            let parts = text.split(separator: "+", maxSplits: 1)
            guard parts.count == 2, let base = parseMemSize(String(parts[0])), let size = parseMemSize(String(parts[1])) else {
                throw ValidationError("--memory \(text): expected BASE+SIZE, e.g. 0x80000000+8G")
            }
            guard size > 0, let range = PhysRange(base: base, size: size) else {
                throw ValidationError("--memory \(text): the bank is empty or wraps past 2^64")
            }
            if let clash = result.first(where: { $0.overlaps(range) }) {
                throw ValidationError("--memory \(text) overlaps \(clash)")
            }
            result.append(range)
        }
        return result.sorted()
    }

    /// Reads and parses the input. Errors are `InputError` (exit 65).
    func load() throws(InputError) -> Machine { try loadInput().machine }

    /// The machine, and for `--live`/`--root` the running system's command line and release.
    func loadInput() throws(InputError) -> (machine: Machine, live: LiveSystem?) {
        var machine: Machine
        var live: LiveSystem?
        if self.live || root != nil {
            let system = try LiveSystem.read(root: root ?? "/")
            machine = system.machine
            live = system
        } else if let dtb {
            machine = try MachineLoader.dtb(path: dtb)
        } else if let iomem {
            machine = try MachineLoader.iomem(path: iomem)
        } else if let file {
            machine = try MachineLoader.recognise(path: file)
        } else {
            machine = try MachineLoader.embedded()
        }
        return (withBanks(machine), live)
    }

    /// The machine with its memory replaced by the `--memory` banks, if any were given.
    func withBanks(_ machine: Machine) -> Machine {
        guard let banks = try? banks(), !banks.isEmpty else { return machine }
        var machine = machine
        machine.replaceMemory(with: banks.map { MemoryRegion(range: $0) }, because: "memory given with --memory replaces what the input describes")
        return machine
    }
}

enum MachineLoader {
    static let fdtMagic: [UInt8] = [0xd0, 0x0d, 0xfe, 0xed]
    /// Inputs beyond this are refused rather than read: a DTB is at most a few MiB, and the largest
    /// /proc/iomem seen has a few hundred lines.
    static let maximumInputBytes = 64 << 20

    static func read(_ path: String, limit: Int? = nil) throws(InputError) -> [UInt8] {
        switch POSIXFile.read(path, limit: limit ?? (maximumInputBytes + 1)) {
        case .failure(.noSuchFile):
            throw InputError(file: path, location: .none, message: "no such file")
        case .failure(.unreadable(let reason)):
            throw InputError(file: path, location: .none, message: "cannot be read (\(reason))")
        case .success(let bytes):
            guard bytes.count <= maximumInputBytes else {
                throw InputError(file: path, location: .byteOffset(maximumInputBytes),
                                 message: "larger than \(maximumInputBytes >> 20) MiB; not a DTB or /proc/iomem dump")
            }
            return bytes
        }
    }

    static func dtb(path: String) throws(InputError) -> Machine {
        try DeviceTreeReader.machine(bytes: read(path), file: path)
    }

    static func iomem(path: String) throws(InputError) -> Machine {
        let bytes = try read(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let offset = firstInvalidUTF8(bytes)
            throw InputError(file: path, location: .byteOffset(offset), message: "not text (invalid UTF-8); /proc/iomem is plain text")
        }
        return try IomemReader.machine(text, file: path)
    }

    static func recognise(path: String) throws(InputError) -> Machine {
        let bytes = try read(path)
        if bytes.starts(with: fdtMagic) { return try DeviceTreeReader.machine(bytes: bytes, file: path) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError(file: path, location: .byteOffset(0),
                             message: "neither a device tree blob (no 0xd00dfeed magic) nor a /proc/iomem text dump")
        }
        return try IomemReader.machine(text, file: path)
    }

    static func embedded() throws(InputError) -> Machine {
        var m = try DeviceTreeReader.machine(bytes: EmbeddedMachine.dtb, file: EmbeddedMachine.name)
        m.kind = .embedded
        return m
    }

    /// The offset of the first line that is not valid UTF-8 (the error points at its start).
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var start = 0
        for line in bytes.split(separator: 0x0a, omittingEmptySubsequences: false) {
            if String(validating: line, as: UTF8.self) == nil { return start }
            start += line.count + 1
        }
        return 0
    }
}
