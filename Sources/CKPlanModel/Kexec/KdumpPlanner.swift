/// Which program places the kdump segments.
public enum KexecLoader: Sendable, Equatable, CustomStringConvertible {
    /// kexec-tools places them and calls `kexec_load` (Debian: always, its kernels lack KEXEC_FILE).
    case kexecLoad(KexecToolsVersion)
    /// The kernel places them (`kexec_file_load`, CONFIG_KEXEC_FILE).
    case kexecFileLoad

    public var syscall: String {
        switch self {
        case .kexecLoad: "kexec_load"
        case .kexecFileLoad: "kexec_file_load"
        }
    }
    public var description: String {
        switch self {
        case .kexecLoad(let v): "kexec_load (kexec-tools \(v))"
        case .kexecFileLoad: "kexec_file_load"
        }
    }
}

/// The DTB handed to the next kernel: its size as given, or the facts it is built from.
public enum KexecDTBSize: Sendable, Equatable {
    /// `--kexec-dtb-size`, or a measured `bufsz`.
    case bytes(UInt64)
    /// The first DTB kexec-tools reads (`/sys/firmware/fdt`): the size follows exactly for
    /// `kexec_load`; for `kexec_file_load` it is an estimate (see `KdumpPlanner.kernelDTBEstimate`).
    case derived(KexecDTBFacts)
    /// No information: `estimateBytes`, QEMU virt's 8 KiB class. A firmware DTB of real hardware
    /// is typically 20–200 KiB, so this can be short by up to ~200 KiB (50 pages); only the
    /// purgatory's address and the minimum region size move with it.
    case unknown

    public static let estimateBytes: UInt64 = 0x2000
}

/// Everything a kdump placement depends on.
public struct KdumpRequest: Sendable, Equatable {
    /// `crashk_res`: the `Crash kernel` region (the high one with `,high`).
    public var main: PhysRange
    /// `crashk_low_res`, if any.
    public var low: PhysRange?
    public var image: Arm64Image
    /// For messages ("Cannot load /kexec/Image").
    public var imagePath: String
    /// The initrd file's length; nil or 0 for none.
    public var initrdSize: UInt64?
    /// The capture kernel's command line (`--append`, `--command-line`); nil keeps the DTB's.
    public var commandLine: String?
    public var dtb: KexecDTBSize
    /// The ranges the ELF core header describes before the crash regions are cut out: the
    /// top-level `System RAM` lines of /proc/iomem (kexec-tools) or memblock.memory without
    /// NOMAP (kexec_file_load).
    public var systemRAM: [PhysRange]
    /// `sysconf(_SC_NPROCESSORS_CONF)` for kexec-tools; `num_possible_cpus()` for the kernel.
    public var cpus: Int
    public var kernel: KernelVersion
    public var pageSize: UInt64
    public var loader: KexecLoader
    /// `--mem-min` / `--mem-max` (inclusive), kexec-tools only.
    public var memMin: UInt64
    public var memMax: UInt64

    public init(main: PhysRange, low: PhysRange? = nil, image: Arm64Image, imagePath: String = "Image",
                initrdSize: UInt64?, commandLine: String?, dtb: KexecDTBSize, systemRAM: [PhysRange], cpus: Int,
                kernel: KernelVersion, pageSize: UInt64, loader: KexecLoader,
                memMin: UInt64 = 0, memMax: UInt64 = .max) {
        self.main = main
        self.low = low
        self.image = image
        self.imagePath = imagePath
        self.initrdSize = initrdSize
        self.commandLine = commandLine
        self.dtb = dtb
        self.systemRAM = systemRAM
        self.cpus = cpus
        self.kernel = kernel
        self.pageSize = pageSize
        self.loader = loader
        self.memMin = memMin
        self.memMax = memMax
    }

    var initrd: UInt64? { (initrdSize ?? 0) > 0 ? initrdSize : nil }
}

/// Where a kdump image lands, or why it does not.
public struct KdumpPlan: Sendable, Equatable {
    public var loader: KexecLoader
    /// The region the segments go into (kexec-tools: the last `Crash kernel` range; kernel: crashk_res).
    public var region: PhysRange
    /// In the order the kernel receives them (kexec-tools sorts by address; the kernel keeps
    /// kernel, elfcorehdr, initrd, dtb).
    public var segments: [KexecSegment]
    /// The two pages the kernel then takes from crashk_res (control code page, vmcoreinfo copy).
    public var controlPages: [PhysRange]
    /// `kexec_load`'s entry (purgatory_start) or the kernel's `image->start`.
    public var entry: UInt64?
    public var failure: KexecFailure?
    /// The smallest region at the same start that fits these inputs; nil when no size fits.
    public var minimumRegionSize: UInt64?
    public var notes: [Note]

    public var fits: Bool { failure == nil }
}

public enum KdumpPlanner {
    /// kexec-tools 2.0.29's `purgatory_start` offset inside the purgatory segment (X1: entry −
    /// purgatory `mem` = 0x660 in all six observations).
    public static let purgatoryEntryOffset: UInt64 = 0x660

    public static func plan(_ r: KdumpRequest) -> KdumpPlan {
        var plan = place(r)
        plan.minimumRegionSize = minimumRegionSize(r)
        if plan.failure != nil, plan.failure?.shortfall == nil, let m = plan.minimumRegionSize, m > r.main.size {
            plan.failure?.shortfall = m - r.main.size
        }
        return plan
    }

    /// The segments, then the two pages the kernel takes from crashk_res once it has them: the
    /// control code page (`kimage_alloc_init` / `kimage_file_alloc_init`: "Could not allocate
    /// control_code_buffer") and the vmcoreinfo copy (`kimage_crash_copy_vmcoreinfo`: "Could not
    /// allocate vmcoreinfo buffer"). Either missing fails the syscall with -ENOMEM, so a region
    /// the segments fill to the last page does not load.
    static func place(_ r: KdumpRequest) -> KdumpPlan {
        var plan = switch r.loader {
        case .kexecLoad(let v): KexecToolsPlacement.crash(r, rules: .forVersion(v))
        case .kexecFileLoad: KexecFilePlacement.crash(r, rules: .forVersion(r.kernel))
        }
        guard plan.fits else { return plan }
        plan.controlPages = controlPages(r.main, plan.segments, pageSize: r.pageSize)
        if plan.controlPages.count < 2 {
            let what = plan.controlPages.isEmpty ? "control code page" : "vmcoreinfo page"
            plan.failure = KexecFailure(["\(r.loader.syscall) failed: Cannot allocate memory"])
            plan.notes.append(Note(.warning, "no free page left in crashk_res for the \(what) (kimage_alloc_crash_control_pages): the kernel refuses the load with -ENOMEM"))
        }
        return plan
    }

    /// The smallest `crashk_res` size, same start, for which `place` succeeds, control pages
    /// included. Fitting is monotone in the size for both loaders (every placement only gains
    /// room), so a binary search over page multiples finds it; nil when even 1 TiB more does not
    /// fit (DTB too big, window, mem-max).
    static func minimumRegionSize(_ r: KdumpRequest) -> UInt64? {
        func fits(_ size: UInt64) -> Bool {
            guard let region = PhysRange(base: r.main.start, size: size) else { return false }
            var t = r
            t.main = region
            return place(t).fits
        }
        let page = r.pageSize
        var high = Align.pages(max(r.main.size, 16 << 20), page)
        while !fits(high) {
            guard high < 1 << 40 else { return nil }
            high *= 2
        }
        var low: UInt64 = 0  // never fits: nothing fits in zero bytes
        while high - low > page {
            let mid = Align.down(low + (high - low) / 2, page)
            if mid == low { break }
            if fits(mid) { high = mid } else { low = mid }
        }
        return high
    }

    /// `kimage_alloc_crash_control_pages` (kernel/kexec_core.c), order 0, twice: first fit from
    /// crashk_res.start, a candidate that overlaps a segment moves to that segment's end; the
    /// second search starts after the first page (`image->control_page = hole_end + 1`).
    static func controlPages(_ region: PhysRange, _ segments: [KexecSegment], pageSize: UInt64) -> [PhysRange] {
        var pages: [PhysRange] = []
        var from = region.start
        for _ in 0..<2 {
            guard var hole = Align.up(from, pageSize) else { break }
            var found = false
            while let r = PhysRange(base: hole, size: pageSize), r.end <= region.end {
                if let s = segments.first(where: { $0.range.overlaps(r) }) {
                    guard let next = Align.up(s.end, pageSize) else { break }
                    hole = next
                    continue
                }
                pages.append(r)
                from = r.end
                found = true
                break
            }
            if !found { break }
        }
        return pages
    }

    /// The DTB `bufsz` for the request's loader and whether it is exact.
    static func dtbSize(_ r: KdumpRequest, crashRanges: Int) -> (bytes: UInt64, exact: Bool) {
        switch r.dtb {
        case .bytes(let b): return (b, true)
        case .unknown: return (KexecDTBSize.estimateBytes, false)
        case .derived(let facts):
            let tools = facts.kexecToolsSize(commandLine: r.commandLine, crash: true, crashRanges: crashRanges,
                                             initrd: r.initrd != nil)
            if case .kexecLoad = r.loader { return (tools, true) }
            return (kernelDTBEstimate(tools, facts, initrd: r.initrd != nil), false)
        }
    }

    /// The kernel's own DTB (`of_kexec_alloc_and_setup_fdt`, drivers/of/kexec.c, 5.15+) is built
    /// from the same blob with the same `/chosen` edits as kexec-tools', plus a `/memreserve/` entry
    /// for the ELF header and one for the initrd (16 bytes each) and `kaslr-seed` (8 bytes) and
    /// `rng-seed` (128 bytes) when absent. Estimate: the rng-seed is skipped when the kernel's RNG is
    /// not ready, so this is high by up to 149 bytes.
    static func kernelDTBEstimate(_ tools: UInt64, _ facts: KexecDTBFacts, initrd: Bool) -> UInt64 {
        var size = tools + 16 * (initrd ? 2 : 1)
        for (prop, length) in [("kaslr-seed", UInt64(8)), ("rng-seed", 128)] where facts.chosenPropertyLengths[prop] == nil {
            size += 12 + length
            if !facts.stringsContain(prop) { size += UInt64(prop.utf8.count + 1) }
        }
        return size
    }
}
