import CKPlanModel
import CKPlanReaders
import Glibc

/// A running arm64 system (`--live`), or a copy of its files under a root directory (`--root`):
/// the device tree the kernel booted with (/sys/firmware/fdt), /proc/iomem, /proc/cmdline and
/// the release (/proc/sys/kernel/osrelease).
struct LiveSystem {
    var machine: Machine
    var commandLine: String?
    var release: String?

    static let fdt = "sys/firmware/fdt"
    static let iomem = "proc/iomem"
    static let cmdline = "proc/cmdline"
    static let osrelease = "proc/sys/kernel/osrelease"

    /// Reads the system under `root` ("/" for this host). The device tree is the machine when
    /// there is one (a DT boot); /proc/iomem adds where the running kernel's image and crash
    /// regions are. An ACPI boot has no /sys/firmware/fdt: the machine is /proc/iomem alone.
    static func read(root: String) throws(InputError) -> LiveSystem {
        func path(_ relative: String) -> String { root.hasSuffix("/") ? root + relative : root + "/" + relative }
        let exists = POSIXFile.exists
        var machine: Machine
        let iomemMachine = exists(path(iomem)) ? try MachineLoader.iomem(path: path(iomem)) : nil
        if exists(path(fdt)) {
            machine = try MachineLoader.dtb(path: path(fdt))
            if let running = iomemMachine {
                if machine.memoryIsUnknown {
                    // An EFI boot: the stub deletes /memory from the DT and passes the EFI memory map.
                    machine.replaceMemory(with: running.memory, because: "memory from \(path(iomem)) System RAM: the device tree has none (an EFI boot)")
                }
                machine.kernelImage = running.kernelImage
                machine.crashKernel = running.crashKernel
                machine.notes.append(Note(.note, "the running kernel's image and Crash kernel regions from \(path(iomem))"))
            }
        } else if let running = iomemMachine {
            machine = running
        } else {
            throw InputError(file: root, location: .none,
                             message: "neither \(fdt) nor \(iomem) found: not the root of an arm64 Linux system")
        }
        machine.source = "live:\(root) (\(machine.source))"
        return LiveSystem(machine: machine, commandLine: try text(path(cmdline)), release: try text(path(osrelease)))
    }

    /// A one-line file's content without its newline, or nil when the file is absent.
    static func text(_ path: String) throws(InputError) -> String? {
        guard POSIXFile.exists(path) else { return nil }
        let bytes = try MachineLoader.read(path, limit: 1 << 16)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw InputError(file: path, location: .byteOffset(MachineLoader.firstInvalidUTF8(bytes)), message: "not text (invalid UTF-8)")
        }
        return String(s.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// `--live` without `--root` reads this host, which must be arm64: an x86 host's files
    /// describe an x86 machine.
    static var hostIsArm64: Bool {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: &u.machine) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        return machine == "aarch64" || machine == "arm64"
    }
}
