/// The kernel's own placement of a kdump image (`kexec_file_load`, kernel-rules.md §7.4):
/// arch/arm64/kernel/kexec_image.c `image_load` (kernel, and the retry loop), machine_kexec_file.c
/// `load_other_segments` (ELF header, initrd, DTB), kernel/kexec_file.c `kexec_add_buffer` and
/// `locate_mem_hole_{bottom_up,top_down}`. A crash image searches crashk_res only.
enum KexecFilePlacement {
    /// What `kexec_add_buffer` is asked for: `memsz` page-rounded, alignment at least a page.
    struct Buffer {
        var name: KexecSegment.Name
        var bufsz: UInt64
        var memsz: UInt64
        var align: UInt64
        var bufMin: UInt64
        var bufMax: UInt64
        var topDown: Bool
    }

    /// `locate_mem_hole_callback` on one range (`[region.start, region.last]`). Stepping past a
    /// segment visits every aligned candidate in turn, so the next candidate is computed directly:
    /// bottom-up, the segment's end aligned up; top-down, the highest aligned start below it.
    static func locate(_ b: Buffer, in region: PhysRange, avoiding segments: [KexecSegment], oneByteLow: Bool) -> UInt64? {
        let start = region.start, end = region.last
        guard region.size >= b.memsz, end >= b.bufMin, start <= b.bufMax else { return nil }
        if b.topDown {
            let top = min(end, b.bufMax)
            guard top >= b.memsz else { return nil }
            var candidate = Align.down(top - b.memsz + (oneByteLow ? 0 : 1), b.align)
            while true {
                guard candidate >= start, candidate >= b.bufMin else { return nil }
                let r = PhysRange(base: candidate, size: b.memsz)!
                guard let s = segments.first(where: { $0.range.overlaps(r) }) else { return candidate }
                guard s.start >= b.memsz else { return nil }
                candidate = Align.down(s.start - b.memsz, b.align)
            }
        } else {
            guard var candidate = Align.up(max(start, b.bufMin), b.align) else { return nil }
            while true {
                let (last, o) = candidate.addingReportingOverflow(b.memsz - 1)
                guard !o, last <= end, last <= b.bufMax else { return nil }
                let r = PhysRange(base: candidate, size: b.memsz)!
                guard let s = segments.first(where: { $0.range.overlaps(r) }) else { return candidate }
                guard let next = Align.up(s.end, b.align) else { return nil }
                candidate = next
            }
        }
    }

    static func crash(_ r: KdumpRequest, rules: KexecFileRules) -> KdumpPlan {
        let region = r.main
        var plan = KdumpPlan(loader: r.loader, region: region, segments: [], controlPages: [], entry: nil,
                             failure: nil, minimumRegionSize: nil, notes: [])
        let noLocation = ["kexec_file(Image): Could not find any suitable kernel location!",
                          "kexec_file_load failed: Cannot assign requested address"]
        guard rules.supportsCrash else {
            plan.failure = KexecFailure(["kexec_file_load failed: Operation not supported"])
            return plan
        }
        guard r.image.headerImageSize != 0 else {
            // -EINVAL: kexec-tools 2.0.27+ then falls back to kexec_load.
            plan.failure = KexecFailure(["kexec_file_load failed: Invalid argument"])
            return plan
        }
        if rules.kernelStartMayBeRandom {
            plan.notes.append(Note(.warning, "\(r.kernel.series): image_load leaves kbuf.random uninitialised; the kernel segment may start anywhere in the region"))
        }
        let page = r.pageSize
        func buffer(_ name: KexecSegment.Name, _ size: UInt64, align: UInt64, min: UInt64, max: UInt64 = .max, topDown: Bool) -> Buffer {
            Buffer(name: name, bufsz: size, memsz: Align.pages(size, page), align: Swift.max(align, page),
                   bufMin: min, bufMax: max, topDown: topDown)
        }
        // The ELF header's ranges: memory minus crashk_res (and crashk_low_res from 5.19).
        let excluded = [region] + (rules.elfHeadersExcludeLow ? [r.low].compactMap { $0 } : [])
        let elfSize = elfCoreHeaderSize(cpus: r.cpus, memoryRanges: rangesAfterExcluding(r.systemRAM, excluded).count,
                                        align: KexecFileRules.elfHeaderSizeAlign)
        let (dtbBytes, dtbExact) = KdumpPlanner.dtbSize(r, crashRanges: r.low == nil ? 1 : 2)
        if !dtbExact {
            plan.notes.append(Note(.note, "DTB size \(Hex.short(dtbBytes)) is an estimate (the kernel builds its own DTB)"))
        }
        let textOffset = r.image.textOffset
        var kernel = buffer(.kernel, r.image.headerImageSize + textOffset, align: 2 << 20, min: 0, topDown: false)
        kernel.bufsz = r.image.fileSize
        // image_load: place the kernel, then the others; when they do not fit, retry the kernel
        // above its previous slot until it no longer fits itself.
        while let k = locate(kernel, in: region, avoiding: [], oneByteLow: rules.topDownOneByteLow) {
            var segments = [KexecSegment(name: .kernel, start: k, size: kernel.memsz, bufsz: min(kernel.bufsz, kernel.memsz))]
            let kernelEnd = k + kernel.memsz
            var others = [buffer(.elfcorehdr, elfSize, align: KexecFileRules.elfHeaderAlign, min: kernelEnd, topDown: true)]
            if let initrd = r.initrd {
                // "within 1GB-aligned window of up to 32GB in size" (buf_max is inclusive).
                others.append(buffer(.initrd, initrd, align: 0, min: kernelEnd,
                                     max: Align.down(k, 1 << 30) + KexecToolsRules.window, topDown: false))
            }
            others.append(buffer(.dtb, dtbBytes, align: KexecFileRules.dtbAlign, min: kernelEnd, topDown: true))
            for b in others {
                guard let at = locate(b, in: region, avoiding: segments, oneByteLow: rules.topDownOneByteLow) else { break }
                segments.append(KexecSegment(name: b.name, start: at, size: b.memsz, bufsz: min(b.bufsz, b.memsz)))
            }
            if segments.count == others.count + 1 {
                // The recorded kernel segment starts at text_offset.
                segments[0].start += textOffset
                segments[0].size -= textOffset
                plan.segments = segments
                plan.entry = segments[0].start
                return plan
            }
            kernel.bufMin = kernelEnd
        }
        plan.failure = KexecFailure(noLocation)
        return plan
    }
}
