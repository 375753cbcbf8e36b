/// Where the boot loader put things (U-Boot's `kernel_addr_r`, `fdt_addr_r`, `ramdisk_addr_r`;
/// QEMU's loader): the reservations the kernel makes for them come first in memblock.
public struct BootFacts: Sendable, Equatable {
    /// Physical address of `_text` (the Image is loaded here; nokaslr).
    public var imageAt: UInt64
    public var image: KernelImageLayout
    /// The FDT blob (`memblock_reserve(dt_phys, fdt_totalsize)` in setup_machine_fdt).
    public var fdt: PhysRange?
    /// The initrd as /chosen `linux,initrd-start/end` describes it.
    public var initrd: PhysRange?
    /// How these facts were obtained, for the report ("given", "QEMU virt loader", …).
    public var origin: String

    public init(imageAt: UInt64, image: KernelImageLayout, fdt: PhysRange?, initrd: PhysRange?, origin: String) {
        self.imageAt = imageAt
        self.image = image
        self.fdt = fdt
        self.initrd = initrd
        self.origin = origin
    }

    /// QEMU's `-M virt` direct boot (hw/arm/boot.c, observed with QEMU 7.2; qemu-observation-notes):
    /// Image at RAM base + 2 MiB, initrd at RAM base + min(RAM/2, 128 MiB), a 1 MiB DTB at the
    /// next 2 MiB boundary after the initrd.
    public static func qemuVirt(ramBase: UInt64, ramSize: UInt64, image: KernelImageLayout, initrdSize: UInt64) -> BootFacts {
        let initrdAt = ramBase &+ min(ramSize / 2, 128 << 20)
        let initrd = initrdSize == 0 ? nil : PhysRange(base: initrdAt, size: initrdSize)
        let initrdEnd = initrd?.end ?? initrdAt
        let fdtAt = (initrdEnd &+ (2 << 20) &- 1) / (2 << 20) * (2 << 20)
        return BootFacts(imageAt: ramBase &+ (2 << 20), image: image, fdt: PhysRange(base: fdtAt, size: 1 << 20),
                         initrd: initrd, origin: "QEMU virt loader")
    }

    /// The initramfs of the kernel observations (Tests/KernelObservation: busybox-static + /init),
    /// the initrd size the `--boot qemu-virt` preset assumes when none is given.
    public static let observationInitrdSize: UInt64 = 0x1c3800
}

/// Offsets of the linker symbols that matter, from `_text` (System.map of the Debian images; the
/// Image header's `image_size` is `_end - _text`).
public struct KernelImageLayout: Sendable, Equatable {
    /// `_stext - _text` (the 64 KiB head/PE header).
    public var stext: UInt64
    /// `__init_begin - _text`: the end of the linear alias map_mem() maps specially, and of
    /// "Kernel code" in /proc/iomem.
    public var initBegin: UInt64
    /// `_end - _text`.
    public var end: UInt64
    /// Whether these are the real values of the profile's image (observed in /proc/iomem) or a
    /// size given without the symbol offsets.
    public var observed: Bool

    public init(stext: UInt64, initBegin: UInt64, end: UInt64, observed: Bool) {
        self.stext = stext
        self.initBegin = initBegin
        self.end = end
        self.observed = observed
    }

    /// An image known only by its size: the offsets scale as in the Debian 6.12 image.
    public static func sized(_ end: UInt64) -> KernelImageLayout {
        KernelImageLayout(stext: 0x10000, initBegin: end / 0x24f0 * 0x1d20, end: end, observed: false)
    }
}

/// One reservation or allocation the boot made before the crash reservation, in order.
public struct BootStep: Sendable, Equatable {
    public var what: String
    /// The kernel function that does it.
    public var source: String
    public var ranges: [PhysRange]
    /// Whether its size is an estimate (see `BootSimulation.uncertainty`).
    public var estimated: Bool

    public init(_ what: String, _ source: String, _ ranges: [PhysRange], estimated: Bool = false) {
        self.what = what
        self.source = source
        self.ranges = ranges
        self.estimated = estimated
    }
}

/// Facts about the CPU that change the boot (`--cpu`).
public struct CPUFeatures: Sendable, Equatable {
    /// FEAT_LPA2: 52-bit VA/PA with 4K/16K granules (6.9+ kernels built for 52 bits use it).
    public var lpa2: Bool
    /// FEAT_BBML2 without aborts: 6.18+ keeps block mappings under rodata=full.
    public var bbml2: Bool
    public init(lpa2: Bool = false, bbml2: Bool = false) {
        self.lpa2 = lpa2
        self.bbml2 = bbml2
    }
}

/// The boot of one kernel on one machine, from the first memblock call to the crash reservation
/// (setup_arch → arm64_memblock_init → paging_init → unflatten_device_tree → bootmem_init), with
/// the allocations that can sit in a window the crash search looks at (kernel-rules.md §5.2,
/// calibrated by kernel-rules-observed.md §3).
public struct BootSimulation: Sendable {
    public var steps: [BootStep] = []
    /// memblock after the crash reservation.
    public var memblock: Memblock
    /// memblock as reserve_crashkernel found it (what `explain` shows).
    public var memblockBeforeCrash: Memblock?
    /// The linear map as map_mem() built it, and the flags it was built with.
    public var linearMap: LinearMap?
    public var linearMapFlags: LinearMapFlags?
    /// Page-table pages `early_pgtable_alloc` took for the linear (and on ≤6.8 the kernel) map.
    public var pageTablePages: UInt64 = 0
    /// `arm64_dma_phys_limit` = CRASH_ADDR_LOW_MAX.
    public var dmaLimit: UInt64 = 0
    public var cma: DMAContiguous.Result = .init(area: nil, dmesg: [])
    public var parse: CrashKernelParseResult?
    public var crash: CrashReservation?
    /// Whether the reservation ran in `bootmem_init()` (deferred) or `arm64_memblock_init()`.
    public var deferred = true
    public var kfencePool: PhysRange?
    public var lpa2Active = false
    /// Kernel log lines the boot printed that a plan reports, in order (CMA, reserved-memory,
    /// crashkernel).
    public var dmesg: [String] = []
    /// Warnings about the input the kernel would print or that limit the plan.
    public var notes: [Note] = []

    public struct Input: Sendable {
        public var machine: Machine
        public var profile: KernelProfile
        public var commandLine: String
        public var boot: BootFacts
        public var cpu: CPUFeatures
        /// Scales every estimated size (1 = the estimate); the plan runs 0.5 and 2 to bound its error.
        public var estimateScale: Double = 1
        /// A linear map an earlier run built; used instead of building again when map_mem gets
        /// the same input (every estimated size is allocated after map_mem, so a rerun with
        /// another `estimateScale` maps the same memory).
        public var earlierLinearMap: LinearMap?

        public init(machine: Machine, profile: KernelProfile, commandLine: String, boot: BootFacts, cpu: CPUFeatures) {
            self.machine = machine
            self.profile = profile
            self.commandLine = commandLine
            self.boot = boot
            self.cpu = cpu
        }
    }

    init(pageSize: UInt64) {
        memblock = Memblock(pageSize: pageSize)
    }

    public static func run(_ input: Input) -> BootSimulation {
        let profile = input.profile
        let config = profile.config
        let rules = BootRules.rules(for: profile.version)
        let mapRules = LinearMapRules.rules(for: profile.version)
        let pageSize = config.pageSize
        let cmdline = KernelCommandLine(input.commandLine)
        var sim = BootSimulation(pageSize: pageSize)
        var mb = Memblock(pageSize: pageSize)
        func scaled(_ v: UInt64) -> UInt64 {
            input.estimateScale == 1 ? v : UInt64((Double(v) * input.estimateScale).rounded())
        }

        // LPA2: a 52-bit kernel on 4K/16K uses it only when the CPU has it and it is not
        // disabled (arm64.nolva); otherwise it runs with 48 (4K) / 47 (16K) bits.
        let lpa2Capable = rules.lpa2 && config.vaBits == 52 && pageSize != 65536
        sim.lpa2Active = lpa2Capable && input.cpu.lpa2 && !cmdline.contains("arm64.nolva")
        let vaBits = LinearMapGeometry.runtimeVABits(configured: config.vaBits, pageSize: pageSize,
                                                     largeVA: sim.lpa2Active || pageSize == 65536)
        let paBits = config.paBits == 52 && lpa2Capable && !sim.lpa2Active ? 48 : config.paBits

        // setup_machine_fdt → early_init_dt_add_memory_arch: page-trimmed banks, hotpluggable
        // flag, NUMA node from numa-node-id (of_numa_init → memblock_set_node).
        for bank in input.machine.memory where !bank.range.isEmpty {
            let start = (bank.range.start &+ pageSize &- 1) / pageSize * pageSize
            let end = bank.range.end / pageSize * pageSize
            guard bank.range.start <= UInt64.max - pageSize, let r = PhysRange(start: start, end: max(start, end)),
                  !r.isEmpty else { continue }
            var flags: Memblock.Flags = bank.hotpluggable ? [.hotplug] : []
            if bank.noMap { flags.insert(.noMap) }
            mb.add(r, flags: flags, nid: bank.numaNode ?? 0)
        }
        // linux,usable-memory-range (a capture kernel's DT): cap to the first range, add the
        // second from 5.19 (early_init_dt_check_for_usable_mem_range, drivers/of/fdt.c), which
        // stops at the first empty one.
        if let first = input.machine.chosen.usableMemoryRange.first {
            let usable = input.machine.chosen.usableMemoryRange.count
            if usable > rules.usableMemoryRanges {
                sim.notes.append(Note(.warning, "/chosen: linux,usable-memory-range has \(usable) ranges; this kernel reads the first \(rules.usableMemoryRanges)"))
            }
            mb.capMemoryRange(base: first.start, size: first.size)
            for extra in input.machine.chosen.usableMemoryRange.dropFirst().prefix(rules.usableMemoryRanges - 1) {
                guard !extra.isEmpty else { break }
                mb.add(extra, nid: 0)
            }
        }
        if let fdt = input.boot.fdt {
            mb.reserve(fdt)
            sim.steps.append(BootStep("FDT blob", "setup_machine_fdt", [fdt]))
        }

        // arm64_memblock_init.
        let physMask = paBits >= 64 ? UInt64.max : (1 << UInt64(paBits))
        if let above = PhysRange(start: physMask, end: .max) { mb.remove(above) }
        let memstart = LinearMapGeometry.memstartAddr(firstMemoryStart: mb.startOfDRAM ?? 0, pageSize: pageSize,
                                                      version: profile.version)
        let linearRegion: UInt64 = 1 << UInt64(vaBits - 1)
        let text = input.boot.imageAt
        let imageEnd = text &+ input.boot.image.end
        let (linearEnd, linearOverflow) = memstart.addingReportingOverflow(linearRegion)
        if !linearOverflow, let beyond = PhysRange(start: max(linearEnd, imageEnd), end: .max) {
            if mb.memoryOverlaps(beyond) {
                sim.notes.append(Note(.warning, "memory above \(Hex.short(beyond.start)) is beyond the \(vaBits)-bit linear map and is removed (arm64_memblock_init)"))
            }
            mb.remove(beyond)
        }
        // mem=: the last one wins (early_mem); memblock_mem_limit_remove_map keeps that much
        // memory from the bottom, then the kernel image is added back.
        if let value = cmdline.last(named: "mem")?.value {
            let limit = MemParse.memparse(value, from: 0).value & ~(pageSize - 1)
            // memblock_mem_limit_remove_map: nothing for a limit of 0; __find_max_addr counts
            // every region (NOMAP too) from the bottom; a limit beyond all memory changes nothing;
            // else memblock_cap_memory_range(0, max_addr), which keeps NOMAP regions above.
            var left = limit
            var cap: UInt64?
            for r in mb.memory where limit > 0 && cap == nil {
                if left <= r.range.size { cap = r.range.start + left } else { left -= r.range.size }
            }
            if let cap {
                mb.capMemoryRange(base: 0, size: cap)
                sim.steps.append(BootStep("mem=\(String(decoding: value, as: UTF8.self)) removes memory above \(Hex.short(cap))", "memblock_mem_limit_remove_map", []))
            }
            // arm64_memblock_init adds the kernel image back whenever mem= is given.
            if let image = PhysRange(start: text, end: imageEnd) { mb.add(image, nid: 0) }
        }
        if let initrd = input.boot.initrd {
            let base = initrd.start / pageSize * pageSize
            let end = (initrd.end &+ pageSize &- 1) / pageSize * pageSize
            if let r = PhysRange(start: base, end: max(base, end)), let dram = mb.startOfDRAM,
               r.start >= dram, r.end <= dram &+ linearRegion {
                mb.add(r, nid: mb.memory.first { $0.range.contains(r.start) }?.nid ?? 0)
                mb.setFlags(.noMap, false, in: r)
                mb.reserve(r)
                sim.steps.append(BootStep("initrd (page-rounded)", "arm64_memblock_init", [r]))
            } else {
                sim.notes.append(Note(.warning, "initrd not fully accessible via the linear mapping -- the kernel ignores it"))
            }
        }
        // [_stext, _end) from 5.11 (e2a073dde921), [_text, _end) again from 5973a62efa34 (6.18,
        // 6.12.y, 6.17.y): the same symbol the linear alias starts at.
        let fromText = mapRules.aliasStart == .text
        let imageStart = fromText ? text : text &+ input.boot.image.stext
        if let image = PhysRange(start: imageStart, end: max(imageStart, imageEnd)) {
            mb.reserve(image)
            sim.steps.append(BootStep(fromText ? "kernel image [_text, _end)" : "kernel image [_stext, _end)",
                                      "arm64_memblock_init", [image], estimated: !input.boot.image.observed))
        }
        sim.scanReservedMemory(input, &mb, version: profile.version)

        // The early path (no DMA zones, ≤6.3): the reservation happens now, limit PHYS_MASK + 1.
        sim.deferred = mapRules.reservationDeferred(config)
        if !sim.deferred {
            sim.dmaLimit = physMask
            sim.reserveCrashkernel(input, &mb, highMax: physMask)
        }

        // paging_init → map_mem: the KFENCE pool first, then the page tables, one page each.
        let facts = LinearMapFacts(commandLine: LinearMapCommandLine(cmdline), crashReservationDeferred: sim.deferred,
                                   bbml2NoAbort: input.cpu.bbml2)
        let flags = mapRules.flags(config: config, facts: facts)
        sim.linearMapFlags = flags
        if flags.kfenceEarlyPool {
            let poolSize = 256 * 2 * pageSize   // (CONFIG_KFENCE_NUM_OBJECTS + 1) * 2 * PAGE_SIZE
            if let pool = mb.allocTopDown(size: poolSize, align: pageSize, start: 0, end: 0) {
                sim.kfencePool = pool
                sim.steps.append(BootStep("KFENCE pool", "arm64_kfence_alloc_pool", [pool]))
            }
        }
        if let geometry = LinearMapGeometry(pageSize: pageSize, vaBits: vaBits, memstartAddr: memstart) {
            // for_each_mem_range: memory minus NOMAP. On a DT boot the NUMA ids are set later
            // (arch_numa_init), so neighbouring banks are still one region here.
            var mapped: [PhysRange] = []
            for r in mb.memory where !r.flags.contains(.noMap) {
                if let last = mapped.last, last.end == r.range.start, let joined = PhysRange(start: last.start, end: r.range.end) {
                    mapped[mapped.count - 1] = joined
                } else {
                    mapped.append(r.range)
                }
            }
            let image = KernelImageSymbols(text: text, stextOffset: input.boot.image.stext, initBeginOffset: input.boot.image.initBegin)
            let mapInput = LinearMapInput(
                mapped: mapped, nomap: mb.memory.filter { $0.flags.contains(.noMap) }.map(\.range), kernelImage: image,
                kfencePool: sim.kfencePool, crashRegion: sim.deferred ? nil : sim.crash?.main, flags: flags, geometry: geometry)
            let map = input.earlierLinearMap.flatMap { $0.input == mapInput ? $0 : nil } ?? LinearMap.build(mapInput)
            sim.linearMap = map
            sim.pageTablePages = map.tablePages.allocated &+ (mapRules.mapsKernelImageInPagingInit ? rules.kernelMappingTablePages : 0)
        }
        let tables = mb.allocPagesTopDown(count: sim.pageTablePages)
        sim.steps.append(BootStep("\(sim.pageTablePages) page-table pages", "early_pgtable_alloc", tables))

        // unflatten_device_tree: one allocation for the expanded tree.
        if let shape = input.machine.deviceTree {
            let size = scaled(shape.unflattenedSize(deviceNode: rules.deviceNodeSize, property: rules.propertySize))
            if let r = mb.allocTopDown(size: size, align: 8, start: 0, end: 0) {
                sim.steps.append(BootStep("unflattened device tree", "unflatten_device_tree", [r], estimated: true))
            }
        }

        let reservedNodes = UInt64(input.machine.reservedMemory.filter(\.available).count)
        if let entry = rules.reservedMemArrayEntry, input.machine.reservedMemoryHonoured, reservedNodes > 0,
           let r = mb.allocTopDown(size: reservedNodes &* entry, align: 64, start: 0, end: 0) {
            sim.steps.append(BootStep("reserved_mem array (\(reservedNodes) entries)", "alloc_reserved_mem_array", [r]))
        }

        // bootmem_init → arch_numa_init: NODE_DATA of each node, top-down inside the node.
        var nodeSet = Set<UInt32>()
        var previousNid: UInt32?
        for nid in mb.memory.lazy.compactMap(\.nid) where nid != previousNid {
            nodeSet.insert(nid)
            previousNid = nid
        }
        let nodes = nodeSet.sorted()
        func extra() {
            if let r = mb.allocTopDown(size: rules.numaExtraSize, align: rules.numaExtraAlign, start: 0, end: 0) {
                sim.steps.append(BootStep(rules.numaExtraBeforeNodeData ? "NUMA distance table" : "boot cpumask",
                                          rules.numaExtraBeforeNodeData ? "numa_alloc_distance" : "alloc_bootmem_cpumask_var", [r]))
            }
        }
        if rules.numaExtraBeforeNodeData { extra() }
        for nid in nodes {
            let size = scaled(rules.nodeDataSize + (pageSize == 4096 ? 0 : rules.nodeDataLargePageExtra))
            if let r = mb.allocTopDown(size: size, align: 64, start: 0, end: 0, nid: nid)
                ?? mb.allocTopDown(size: size, align: 64, start: 0, end: 0) {
                sim.steps.append(BootStep("NODE_DATA(\(nid))", "alloc_node_data", [r], estimated: rules.estimatedSizes))
            }
        }
        if !rules.numaExtraBeforeNodeData { extra() }

        // sparse_init: the mem_section root array, one section array per root in use, then per
        // node the usemap (near NODE_DATA) and the memmap buffer, whose unused tail is freed.
        sim.sparseInit(&mb, rules: rules, paBits: paBits, nodes: nodes, scaled: scaled)

        // zone_sizes_init → arm64_dma_phys_limit; dma_contiguous_reserve; the deferred reservation.
        if let first = mb.startOfDRAM, let last = mb.endOfDRAM, let dram = PhysRange(start: first, end: last) {
            let limit = ZoneDMALimitRules.rules(for: profile.version).limit(
                zoneDMA: config.zoneDMA, zoneDMA32: config.zoneDMA32, paBits: paBits,
                dtMaxCPUAddress: input.machine.dmaMaxCPUAddress, acpiMaxCPUAddress: input.machine.acpiMaxCPUAddress, dram: dram)
            if sim.deferred { sim.dmaLimit = limit }
            let cmaDefault = input.machine.reservedMemory.contains { $0.cmaDefault && $0.available }
            sim.cma = DMAContiguous.reserve(rules: CMARules.rules(for: profile.version), memblock: &mb, dmaLimit: limit,
                                            configMBytes: config.cmaSizeMBytes, cmdline: CMACommandLine(cmdline),
                                            replacedByDT: cmaDefault)
            sim.dmesg += sim.cma.dmesg
            if let area = sim.cma.area { sim.steps.append(BootStep("default CMA area", "dma_contiguous_reserve", [area])) }
        }
        if sim.deferred {
            sim.reserveCrashkernel(input, &mb, highMax: physMask)
        }
        sim.memblock = mb
        return sim
    }

    /// early_init_fdt_scan_reserved_mem (drivers/of/fdt.c, of_reserved_mem.c): static
    /// `/reserved-memory` regions, `linux,elfcorehdr`, `/memreserve/`, then the dynamic regions in
    /// tree order.
    mutating func scanReservedMemory(_ input: Input, _ mb: inout Memblock, version: KernelVersion) {
        let machine = input.machine
        let nodes = machine.reservedMemoryHonoured ? machine.reservedMemory.filter(\.available) : []
        for node in nodes where !node.isDynamic {
            for r in node.reg where !r.isEmpty {
                if node.noMap {
                    // early_init_dt_reserve_memory: no-map over memory that is already reserved is
                    // refused with -EBUSY (the region stays as it was).
                    let inMemory = mb.memoryOverlaps(r)
                    if inMemory && mb.isReserved(r) {
                        notes.append(Note(.warning, "/reserved-memory/\(node.name): no-map region \(r) overlaps a reservation; the kernel refuses it (-EBUSY)"))
                        continue
                    }
                    mb.setFlags(.noMap, true, in: r)
                    steps.append(BootStep("reserved-memory \(node.name) (no-map)", "__reserved_mem_reserve_reg", [r]))
                } else {
                    mb.reserve(r)
                    steps.append(BootStep("reserved-memory \(node.name)", "__reserved_mem_reserve_reg", [r]))
                }
            }
        }
        if let hdr = machine.chosen.elfcorehdr {
            if mb.isReserved(hdr) {
                notes.append(Note(.warning, "elfcorehdr is overlapped"))
            } else {
                mb.reserve(hdr)
                steps.append(BootStep("linux,elfcorehdr", "fdt_reserve_elfcorehdr", [hdr]))
            }
        }
        for r in machine.memreserve where !r.isEmpty {
            mb.reserve(r)
            steps.append(BootStep("/memreserve/", "early_init_fdt_scan_reserved_mem", [r]))
        }
        let cmaAlign = CMARules.rules(for: version).alignmentBytes(pageSize: mb.pageSize)
        let dynamicNoMapRemoves = BootRules.rules(for: version).dynamicNoMapRemoves
        for node in nodes where node.isDynamic {
            guard let size = node.size, size > 0 else { continue }
            var align = node.alignment ?? 64   // SMP_CACHE_BYTES
            if node.reusable && !node.noMap && node.compatible.contains("shared-dma-pool") { align = max(align, cmaAlign) }
            var got: PhysRange?
            if node.allocRanges.isEmpty {
                got = mb.allocTopDown(size: size, align: align, start: 0, end: 0)
            } else {
                for window in node.allocRanges {
                    if let r = mb.allocTopDown(size: size, align: align, start: window.start, end: window.end) {
                        got = r
                        break
                    }
                }
            }
            guard let r = got else {
                dmesg.append("OF: reserved mem: failed to allocate memory for node '\(node.name)'")
                continue
            }
            if node.noMap {
                if dynamicNoMapRemoves {
                    // 5.10: a dynamic no-map region is removed from memory (a hole, not NOMAP).
                    mb.remove(r)
                } else {
                    mb.setFlags(.noMap, true, in: r)
                }
            }
            steps.append(BootStep("reserved-memory \(node.name) (dynamic\(node.noMap ? ", no-map" : ""))", "__reserved_mem_alloc_size", [r]))
        }
    }

    /// sparse_init (mm/sparse.c) with SPARSEMEM_VMEMMAP: see kernel-rules-observed.md §2.1–2.2.
    mutating func sparseInit(_ mb: inout Memblock, rules: BootRules, paBits: Int, nodes: [UInt32], scaled: (UInt64) -> UInt64) {
        let pageSize = mb.pageSize
        let sectionBits = pageSize == 65536 ? rules.sectionSizeBits64K : rules.sectionSizeBits
        let sectionSize = UInt64(1) << sectionBits
        let memSectionSize: UInt64 = 32   // struct mem_section with PAGE_EXTENSION (Debian)
        let sectionsPerRoot = pageSize / memSectionSize
        // MAX_PHYSMEM_BITS as the running kernel sees it: 52 only with LPA2 active on 6.9+
        // (observed: 2 MiB of roots on 6.12 with LPA2, 128 KiB without; §2.2).
        let physBits = UInt64(paBits)
        let rootsSize = (UInt64(1) << (physBits - sectionBits)) / sectionsPerRoot * 8
        if let r = mb.allocTopDown(size: rootsSize, align: 64, start: 0, end: 0) {
            steps.append(BootStep("mem_section roots", "sparse_init", [r]))
        }
        // Present sections per node, and the roots they fall in: counted per region (memory is
        // sorted, so a section or root shared with the previous region is counted once).
        var sectionsByNode: [UInt32: UInt64] = [:]
        var lastSection: [UInt32: UInt64] = [:]
        var roots: UInt64 = 0
        var lastRoot: UInt64?
        let rootShift = sectionBits + UInt64(sectionsPerRoot.trailingZeroBitCount)
        // Consecutive regions nearly always share a node: its counts stay in locals meanwhile.
        var currentNid: UInt32?
        var sections: UInt64 = 0
        var lastOfNode: UInt64?
        func flush() {
            guard let nid = currentNid else { return }
            sectionsByNode[nid] = sections
            lastSection[nid] = lastOfNode
        }
        for region in mb.memory where !region.range.isEmpty {
            let nid = region.nid ?? 0
            if currentNid != nid {
                flush()
                (currentNid, sections, lastOfNode) = (nid, sectionsByNode[nid] ?? 0, lastSection[nid])
            }
            let first = region.range.start >> sectionBits, last = region.range.last >> sectionBits
            sections += last - first + 1 - (lastOfNode == first ? 1 : 0)
            lastOfNode = last
            let firstRoot = region.range.start >> rootShift, lastRootHere = region.range.last >> rootShift
            roots += lastRootHere - firstRoot + 1 - (lastRoot == firstRoot ? 1 : 0)
            lastRoot = lastRootHere
        }
        flush()
        // sparse_index_alloc: one section array (one page) per root in use, each top-down.
        let arrays = mb.allocRunTopDown(count: roots, size: sectionsPerRoot * memSectionSize, align: 64)
        if !arrays.isEmpty { steps.append(BootStep("mem_section arrays (\(roots))", "sparse_index_alloc", arrays)) }
        let pagesPerSection = sectionSize / pageSize
        let pmdSize = pageSize * (pageSize / 8)
        let memmapPerSection = pagesPerSection * 64   // sizeof(struct page)
        let sectionMapSize = (memmapPerSection + pmdSize - 1) / pmdSize * pmdSize
        // pageblock_order: PMD order with hugepages (4K: 9, 16K: 11, 64K: 13), 4 bits each.
        let pageblocksPerSection = max(1, sectionSize / pmdSize)
        let usemapBytes = rules.sectionUsageHeader + ((pageblocksPerSection * 4 + 63) / 64) * 8
        for nid in nodes {
            let sections = sectionsByNode[nid] ?? 0
            guard sections > 0 else { continue }
            // usemap: goal is the section that holds NODE_DATA (sparse_early_usemaps_alloc_pgdat_section).
            let nodeData = steps.last { $0.what == "NODE_DATA(\(nid))" }?.ranges.first?.start
            let goal = (nodeData ?? 0) & ~(sectionSize - 1)
            let usemap = scaled(usemapBytes * sections)
            if let r = mb.allocTopDown(size: usemap, align: 64, start: goal, end: goal &+ sectionSize, nid: nid)
                ?? mb.allocTopDown(size: usemap, align: 64, start: 0, end: 0) {
                steps.append(BootStep("usemap node \(nid)", "sparse_early_usemaps_alloc_pgdat_section", [r]))
            }
            // memmap_alloc(map_count × section_map_size, section_map_size, nid), then
            // sparse_buffer_fini frees what the vmemmap did not use: the memmap proper is at the
            // start of the buffer.
            let request = sections * sectionMapSize
            guard let buffer = mb.allocTopDown(size: request, align: sectionMapSize, start: 0, end: 0, nid: nid)
                    ?? mb.allocTopDown(size: request, align: sectionMapSize, start: 0, end: 0) else {
                notes.append(Note(.warning, "sparse_init: the memmap of node \(nid) does not fit; the kernel would panic"))
                continue
            }
            let used = sectionMapSize == memmapPerSection ? request : sections * memmapPerSection
            if used < request, let tail = PhysRange(start: buffer.start + used, end: buffer.end) { mb.free(tail) }
            let kept = PhysRange(start: buffer.start, end: buffer.start + used) ?? buffer
            steps.append(BootStep("memmap node \(nid)", "sparse_buffer_init", [kept]))
            // vmemmap page tables for this node's memmap (vmemmap_populate): with 4K pages PMD
            // blocks need one PMD table per GiB of vmemmap plus a PUD table; otherwise base pages
            // need one PTE table per table span plus a PMD table.
            let span = pageSize == 4096 ? UInt64(1 << 30) : pageSize / 8 * pageSize
            let tables = (used + span - 1) / span + 1
            let got = mb.allocPagesTopDown(count: tables, nid: nid)
            steps.append(BootStep("vmemmap page tables node \(nid)", "vmemmap_populate", got))
        }
    }

    mutating func reserveCrashkernel(_ input: Input, _ mb: inout Memblock, highMax: UInt64) {
        memblockBeforeCrash = mb
        let version = input.profile.version
        let parsed = CrashKernelParser.parse(input.commandLine, kernel: version, systemRAM: mb.physMemSize)
        parse = parsed
        dmesg += parsed.messages.map(\.text)
        guard case .request(let request) = parsed.outcome else { return }
        let result = ReserveCrashkernel.run(request, rules: ReserveCrashkernelRules.rules(for: version), memblock: &mb,
                                            lowMax: dmaLimit, highMax: highMax)
        crash = result
        dmesg += result.dmesg
    }
}

/// The shape of a device tree that decides how much memory `unflatten_device_tree()` takes.
public struct DeviceTreeShape: Sendable, Equatable {
    /// `fdt_totalsize`.
    public var totalSize: UInt64
    public var nodes: UInt64
    public var properties: UInt64
    /// Σ ALIGN(strlen(node name) + 1, 8).
    public var nodeNameBytes: UInt64
    /// Nodes without a `name` property (all of them in a v17 blob): each gets one made up.
    public var nodesWithoutName: UInt64
    /// Σ ALIGN(strlen(name before '@') + 1, 8) over those nodes.
    public var madeUpNameBytes: UInt64

    public init(totalSize: UInt64, nodes: UInt64, properties: UInt64, nodeNameBytes: UInt64, nodesWithoutName: UInt64,
                madeUpNameBytes: UInt64) {
        self.totalSize = totalSize
        self.nodes = nodes
        self.properties = properties
        self.nodeNameBytes = nodeNameBytes
        self.nodesWithoutName = nodesWithoutName
        self.madeUpNameBytes = madeUpNameBytes
    }

    /// unflatten_dt_nodes sizing pass (drivers/of/fdt.c): a device_node plus its name per node, a
    /// property per property, a property plus a name for nodes without `name`; 8-byte aligned;
    /// +4 for the end marker (memblock=debug: 43556 bytes on 6.12, 41276 on 6.1 for QEMU's virt DTB).
    public func unflattenedSize(deviceNode: UInt64, property: UInt64) -> UInt64 {
        nodes &* deviceNode &+ nodeNameBytes &+ properties &* property
            &+ nodesWithoutName &* property &+ madeUpNameBytes &+ 4
    }
}
