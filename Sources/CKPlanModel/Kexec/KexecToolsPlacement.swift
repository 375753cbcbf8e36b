/// kexec-tools' memory bookkeeping: usable RAM ranges, the segments added so far, `--mem-min`/
/// `--mem-max`, and `locate_hole` (kexec/kexec.c) over them.
struct KexecToolsMemory {
    /// Usable RAM, inclusive ends as kexec-tools keeps them; sorted.
    var ram: [PhysRange]
    var segments: [KexecSegment] = []
    var memMin: UInt64
    var memMax: UInt64
    var pageSize: UInt64

    /// `locate_hole(hole_size, hole_align, hole_min, hole_max, hole_end)`: the free ranges are RAM
    /// minus the (sorted) segments; each is clipped to `[max(mem_min, hole_min) aligned up,
    /// min(mem_max, hole_max)]`. Bottom-up takes the first that fits, top-down the last, at
    /// `ALIGN_DOWN(end - size + 1)`. `holeMax` is inclusive. nil: "Could not find a free area".
    func locateHole(size: UInt64, align: UInt64, holeMin: UInt64, holeMax: UInt64, topDown: Bool) -> UInt64? {
        let align = max(align, pageSize)
        let sorted = segments.sorted { $0.start < $1.start }
        var base: UInt64?
        for free in rangesAfterExcluding(ram, sorted.map(\.range)) {
            guard let start = Align.up(max(free.start, memMin, holeMin), align) else { continue }
            let end = min(free.last, memMax, holeMax)
            if start >= end || start >= memMax || end <= memMin { continue }
            guard size == 0 || end - start >= size - 1 else { continue }
            if !topDown { return start }
            base = Align.down(end - size + 1, align)
        }
        return base
    }

    /// `add_buffer_phys_virt`: sort (reporting an overlap), page-round `memsz`, locate, add.
    mutating func addBuffer(_ name: KexecSegment.Name, bufsz: UInt64, memsz: UInt64, align: UInt64,
                            holeMin: UInt64, holeMax: UInt64, topDown: Bool) -> Result<UInt64, KexecFailure> {
        if let overlap = overlapEnd() {
            return .failure(KexecFailure(["Overlapping memory segments at \(Hex.short(overlap))", "sort_segments failed"]))
        }
        let size = Align.pages(memsz, pageSize)
        guard let base = locateHole(size: size, align: align, holeMin: holeMin, holeMax: holeMax, topDown: topDown) else {
            return .failure(KexecFailure(["Could not find a free area of memory of \(Hex.short(size)) bytes...", "locate_hole failed"]))
        }
        segments.append(KexecSegment(name: name, start: base, size: size, bufsz: min(bufsz, size)))
        return .success(base)
    }

    /// `sort_segments`' check: the end of the segment that runs into the next one.
    func overlapEnd() -> UInt64? {
        let sorted = segments.sorted { $0.start < $1.start }
        return zip(sorted, sorted.dropFirst()).first { $0.end > $1.start }?.0.end
    }
}

/// kexec-tools' arm64 placement for `kexec -p` through `kexec_load` (kernel-rules.md §7.3):
/// kexec/arch/arm64/kexec-image-arm64.c `image_arm64_load`, kexec-arm64.c
/// `arm64_locate_kernel_segment` / `arm64_load_other_segments`, crashdump-arm64.c
/// `load_crashdump_segments`. The order of the steps is theirs, so the first failure is theirs.
enum KexecToolsPlacement {
    static func crash(_ r: KdumpRequest, rules: KexecToolsRules) -> KdumpPlan {
        // /proc/iomem order is ascending; only `maxCrashRanges` are kept and the last is used.
        let crashRanges = Array([r.low, r.main].compactMap { $0 }.sorted().prefix(rules.maxCrashRanges))
        let region = crashRanges.last ?? r.main
        var plan = KdumpPlan(loader: r.loader, region: region, segments: [], controlPages: [], entry: nil,
                             failure: nil, minimumRegionSize: nil, notes: [])
        let loadFailed = ["kexec: load failed.", "Cannot load \(r.imagePath)"]
        if !rules.purgatoryMeasured {
            plan.notes.append(Note(.note, "purgatory size of kexec-tools \(rules.version) not measured: 2.0.29's (bufsz 0x3580, 16 KiB on 4K pages) assumed"))
        }
        if [r.low, r.main].compactMap({ $0 }).count > rules.maxCrashRanges {
            plan.notes.append(Note(.warning, "kexec-tools \(rules.version) keeps \(rules.maxCrashRanges) Crash kernel range: the low region is ignored"))
        }

        // The Image: `hole = ALIGN_UP(max(crash.start, mem_min), 2 MiB)`; it must end at or below
        // the region's inclusive end and mem_max (an image ending exactly at the end fails).
        let (textOffset, imageSize) = r.image.kexecToolsLayout
        if r.image.headerImageSize == 0 {
            plan.notes.append(Note(.warning, Arm64Image.oldImageWarning.split(separator: "\n").joined(separator: " ")))
        }
        guard let hole = Align.up(max(region.start, r.memMin), KexecToolsRules.kernelAlign),
              case let (holeEnd, o) = (hole + textOffset).addingReportingOverflow(imageSize), !o,
              holeEnd <= r.memMax, holeEnd <= region.last else {
            plan.failure = KexecFailure(loadFailed)
            return plan
        }

        var mem = KexecToolsMemory(ram: [region], memMin: r.memMin, memMax: r.memMax, pageSize: r.pageSize)
        func fail(_ f: KexecFailure) -> KdumpPlan {
            plan.failure = f
            plan.segments = mem.segments.sorted { $0.start < $1.start }
            return plan
        }
        var failure = KexecFailure([])
        /// `add_buffer_phys_virt` bottom-up above the Image; nil with `failure` set.
        func add(_ name: KexecSegment.Name, bufsz: UInt64, memsz: UInt64, holeMin: UInt64, topDown: Bool = false) -> UInt64? {
            switch mem.addBuffer(name, bufsz: bufsz, memsz: memsz, align: 0, holeMin: holeMin, holeMax: region.last, topDown: topDown) {
            case .success(let base): return base
            case .failure(let f):
                failure = f
                return nil
            }
        }

        // elfcorehdr first, top-down in the region (`add_buffer_phys_virt(..., -1)`).
        let coredumpRanges = rangesAfterExcluding(r.systemRAM, crashRanges).count
        let elfSize = elfCoreHeaderSize(cpus: r.cpus, memoryRanges: coredumpRanges, align: KexecToolsRules.elfCoreHeaderAlign)
        guard add(.elfcorehdr, bufsz: elfSize, memsz: elfSize, holeMin: region.start, topDown: true) != nil else {
            return fail(failure)
        }

        // The kernel segment (`add_segment_phys_virt`: no search, just checks).
        let imageBase = hole + textOffset
        guard imageBase % r.pageSize == 0 else {
            return fail(KexecFailure(["Base address: \(Hex.short(imageBase)) is not page aligned"]))
        }
        let kernelSize = Align.pages(imageSize, r.pageSize)
        guard imageBase + kernelSize - 1 <= r.memMax else {
            return fail(KexecFailure(["Invalid memory segment \(Hex.short(imageBase)) - \(Hex.short(imageBase + kernelSize - 1))"]))
        }
        mem.segments.append(KexecSegment(name: .kernel, start: imageBase, size: kernelSize, bufsz: min(r.image.fileSize, kernelSize)))

        // The DTB is edited before anything else is placed (`setup_2nd_dtb`).
        if case .derived(let facts) = r.dtb, facts.kaslrSeedNonZero {
            return fail(KexecFailure(["kexec: setup_2nd_dtb failed."] + loadFailed))
        }
        let holeMin = imageBase + imageSize
        if let initrd = r.initrd {
            guard let base = add(.initrd, bufsz: initrd, memsz: initrd, holeMin: holeMin) else { return fail(failure) }
            let span = (Align.up(base + initrd, KexecToolsRules.windowAlign) ?? .max) - Align.down(imageBase, KexecToolsRules.windowAlign)
            if span > KexecToolsRules.window {
                return fail(KexecFailure(["kexec: Error: image + initrd too big."] + loadFailed, shortfall: span - KexecToolsRules.window))
            }
        }
        let (dtbBytes, dtbExact) = KdumpPlanner.dtbSize(r, crashRanges: crashRanges.count)
        if !dtbExact {
            plan.notes.append(Note(.note, "DTB size \(Hex.short(dtbBytes)) is an estimate; give --kexec-dtb-size or the booted DTB"))
        }
        if dtbBytes > KexecToolsRules.dtbLimit {
            return fail(KexecFailure(["kexec: Error: dtb too big."] + loadFailed, shortfall: dtbBytes - KexecToolsRules.dtbLimit))
        }
        guard add(.dtb, bufsz: dtbBytes, memsz: dtbBytes, holeMin: holeMin) != nil else { return fail(failure) }
        // Purgatory: `elf_rel_build_load` → `add_buffer`; a failure dies with "locate_hole failed".
        guard let purgatory = add(.purgatory, bufsz: rules.purgatoryBufsz, memsz: rules.purgatoryFootprint, holeMin: holeMin) else {
            return fail(failure)
        }
        if let overlap = mem.overlapEnd() {
            return fail(KexecFailure(["Overlapping memory segments at \(Hex.short(overlap))"]))
        }
        plan.entry = purgatory + KdumpPlanner.purgatoryEntryOffset
        plan.segments = mem.segments.sorted { $0.start < $1.start }
        return plan
    }
}
