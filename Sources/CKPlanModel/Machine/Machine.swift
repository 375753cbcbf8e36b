/// What ckplan knows about a machine before any kernel rule is applied: the memory the firmware
/// describes, the carve-outs it asks for, what the boot loader passed in `/chosen`, and the DMA
/// addressing limit the device tree implies. Built by the DTB and /proc/iomem readers; consumed
/// by the boot simulation. Nothing here depends on a kernel version.
public struct Machine: Sendable, Equatable {
    /// Where the description came from (a file name, or the embedded default's name).
    public var source: String
    public var kind: Kind
    /// RAM banks, sorted by address. For a DTB: the `/memory` `reg` (or `linux,usable-memory`)
    /// entries; for /proc/iomem: top-level `System RAM` plus top-level `reserved` (no-map).
    public var memory: [MemoryRegion]
    /// `/reserved-memory` children, in tree order.
    public var reservedMemory: [ReservedMemoryNode]
    /// Whether the kernel honours `/reserved-memory` at all: `fdt_scan_reserved_mem` ignores the
    /// whole node unless its `#address-cells`/`#size-cells` equal the root's and it has `ranges`
    /// (drivers/of/of_reserved_mem.c `__reserved_mem_check_root`).
    public var reservedMemoryHonoured: Bool
    /// The blob header's `/memreserve/` entries.
    public var memreserve: [PhysRange]
    public var chosen: Chosen
    /// `of_dma_get_max_cpu_address(NULL)` (drivers/of/address.c): the lowest, over all available
    /// nodes with `dma-ranges`, of the highest CPU address reachable; inclusive. nil when nothing
    /// restricts DMA (the kernel's PHYS_ADDR_MAX).
    public var dmaMaxCPUAddress: UInt64?
    /// `acpi_iort_dma_get_max_cpu_address()` on an ACPI boot (inclusive), given by option since
    /// ckplan reads no ACPI tables; nil when ACPI does not restrict DMA.
    public var acpiMaxCPUAddress: UInt64?
    /// `Crash kernel` resources of a /proc/iomem dump (the old `Crash kernel (low)` included).
    public var crashKernel: [CrashKernelResource]
    /// Kernel image resources of a /proc/iomem dump (`Kernel code`, `Kernel data`).
    public var kernelImage: [PhysRange]
    /// Things the reader noticed that the user should know; never fatal.
    public var notes: [Note]
    /// For a DTB: what sizes the kernel's unflattened copy of it (nil for other inputs).
    public var deviceTree: DeviceTreeShape?
    /// For a DTB: what kexec-tools' copy of it will weigh (`/sys/firmware/fdt` plus its /chosen edits).
    public var kexecDTB: KexecDTBFacts?
    /// CPUs the DT lists under /cpus (the ELF core header has one note per possible CPU).
    public var cpuCount: Int?

    public enum Kind: String, Sendable, Equatable {
        case deviceTree = "dtb"
        case iomem
        case embedded
        case handWritten = "memory-map"
    }

    public init(source: String, kind: Kind) {
        self.source = source
        self.kind = kind
        memory = []
        reservedMemory = []
        reservedMemoryHonoured = true
        memreserve = []
        chosen = Chosen()
        dmaMaxCPUAddress = nil
        crashKernel = []
        kernelImage = []
        notes = []
        deviceTree = nil
        acpiMaxCPUAddress = nil
        kexecDTB = nil
        cpuCount = nil
    }

    /// True when the description carries no usable RAM size (a DTB whose firmware fills in
    /// `/memory`): the plan needs `--memory BASE+SIZE` or an iomem file.
    public var memoryIsUnknown: Bool { memory.allSatisfy { $0.range.isEmpty } }

    /// Replaces the RAM the input described (`--memory` banks, or a live system's iomem for a
    /// DT whose /memory the EFI stub deleted), dropping the reader's note that asked for it.
    public mutating func replaceMemory(with regions: [MemoryRegion], because reason: String) {
        memory = regions
        notes.removeAll { $0.message.contains("--memory BASE+SIZE") }
        notes.append(Note(.note, reason))
    }

    /// Sum of all memory, no-map included: what `memblock_phys_mem_size()` starts from.
    public var totalMemory: UInt64 {
        memory.reduce(0) { $0 &+ $1.range.size }
    }
}

/// One RAM bank (a `memblock.memory` region to be).
public struct MemoryRegion: Sendable, Equatable {
    public var range: PhysRange
    /// DT `hotpluggable` → MEMBLOCK_HOTPLUG.
    public var hotpluggable: Bool
    /// Memory the kernel must not map (MEMBLOCK_NOMAP): top-level `reserved` in /proc/iomem.
    public var noMap: Bool
    /// DT `numa-node-id`.
    public var numaNode: UInt32?

    public init(range: PhysRange, hotpluggable: Bool = false, noMap: Bool = false, numaNode: UInt32? = nil) {
        self.range = range
        self.hotpluggable = hotpluggable
        self.noMap = noMap
        self.numaNode = numaNode
    }
}

/// A child of `/reserved-memory` (Documentation/devicetree/bindings/reserved-memory).
public struct ReservedMemoryNode: Sendable, Equatable {
    public var name: String
    /// Static placement: the `reg` entries (a node may list several).
    public var reg: [PhysRange]
    /// Dynamic placement: `size` (used only when there is no `reg`).
    public var size: UInt64?
    /// Dynamic placement: `alignment`.
    public var alignment: UInt64?
    /// Dynamic placement: `alloc-ranges`.
    public var allocRanges: [PhysRange]
    public var noMap: Bool
    public var reusable: Bool
    public var compatible: [String]
    /// `linux,cma-default`: this pool replaces the default CMA area.
    public var cmaDefault: Bool
    /// `status` allows it (absent, "okay" or "ok").
    public var available: Bool

    public init(name: String) {
        self.name = name
        reg = []
        size = nil
        alignment = nil
        allocRanges = []
        noMap = false
        reusable = false
        compatible = []
        cmaDefault = false
        available = true
    }

    /// Allocated by the kernel at boot (`size` without `reg`).
    public var isDynamic: Bool { reg.isEmpty && size != nil }
    /// Total bytes: the sum of `reg` sizes, or `size`.
    public var totalSize: UInt64 {
        reg.isEmpty ? (size ?? 0) : reg.reduce(0) { $0 &+ $1.size }
    }
}

/// The `/chosen` facts that change a plan.
public struct Chosen: Sendable, Equatable {
    public var bootargs: String?
    /// `linux,initrd-start` / `linux,initrd-end` (end exclusive, as the properties are).
    public var initrd: PhysRange?
    /// `linux,elfcorehdr`: present only when this is a capture kernel's DTB.
    public var elfcorehdr: PhysRange?
    /// `linux,usable-memory-range`: one or two ranges, capture kernel only.
    public var usableMemoryRange: [PhysRange]

    public init() {
        bootargs = nil
        initrd = nil
        elfcorehdr = nil
        usableMemoryRange = []
    }
}

/// A `Crash kernel` line of /proc/iomem.
public struct CrashKernelResource: Sendable, Equatable {
    public var range: PhysRange
    /// Named `Crash kernel (low)` (pre-5.19 out-of-tree patch series) rather than `Crash kernel`.
    public var explicitLow: Bool
    public init(range: PhysRange, explicitLow: Bool) {
        self.range = range
        self.explicitLow = explicitLow
    }
}

/// A non-fatal finding of a reader or planner.
public struct Note: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case note, warning }
    public var severity: Severity
    public var message: String
    public init(_ severity: Severity, _ message: String) {
        self.severity = severity
        self.message = message
    }
    public var description: String { "\(severity.rawValue): \(message)" }
}

/// A malformed input: where, and what was expected. Rendered as one line, exit status 65.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Location: Equatable, Sendable {
        case byteOffset(Int)
        case line(Int)
        case none
    }
    public var file: String
    public var location: Location
    public var message: String

    public init(file: String, location: Location, message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String {
        switch location {
        case .byteOffset(let o): "\(file): byte \(o): \(message)"
        case .line(let l): "\(file):\(l): \(message)"
        case .none: "\(file): \(message)"
        }
    }
}
