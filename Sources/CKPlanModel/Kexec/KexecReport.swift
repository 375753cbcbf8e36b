/// The `"kexec"` member of `ckplan/plan/1` (reference/cli-contract.md) and its text rendering.
public enum KexecReport {
    /// Seconds with microsecond precision, formatted without Foundation so output is stable.
    static func seconds(_ s: Double) -> JSON {
        let micros = Int64((max(s, 0) * 1_000_000).rounded())
        let frac = String(micros % 1_000_000)
        return .number("\(micros / 1_000_000).\(String(repeating: "0", count: 6 - frac.count))\(frac)")
    }

    /// `{"segments": [...], "relocation": {...}}`, required keys first, then the extras
    /// (`bufsz`, `loader`, `region`, `fits`, `error`, `shortfall`, `minimumRegionSize`, …).
    public static func json(_ plan: KdumpPlan, relocation: KexecRelocationPlan?, inCrashKernel: ReservedRangeLoad? = nil) -> JSON {
        var fields: [(String, JSON)] = [
            ("segments", .array(plan.segments.map { s in
                .object([("name", .string(s.name.rawValue)), ("start", .int(s.start)), ("size", .int(s.size)), ("bufsz", .int(s.bufsz))])
            })),
            ("relocation", .optional(relocation) { r in
                .object([
                    ("bytes", .int(r.bytes)), ("mmuOffSeconds", seconds(r.mmuOffSeconds)), ("mmuOnSeconds", seconds(r.mmuOnSeconds)),
                    ("transPgdBytes", .int(r.transPgdBytes)), ("mmuOn", .bool(r.mmuOn)), ("pageSize", .int(r.pageSize)),
                    ("entries", .object([("destination", .int(r.destinationEntries)), ("source", .int(r.sourceEntries)),
                                         ("indirection", .int(r.indirectionEntries)), ("done", .int(r.doneEntries))])),
                    ("indirectionPages", .int(r.indirectionPages)), ("overheadBytes", .int(r.overheadBytes)),
                    ("timingModel", .string(r.model.name)),
                ])
            }),
            ("loader", .string(plan.loader.syscall)),
            ("region", .range(plan.region)),
            ("fits", .bool(plan.fits)),
            ("error", .optional(plan.failure) { .string($0.description) }),
            ("shortfall", .optional(plan.failure?.shortfall) { .int($0) }),
            ("minimumRegionSize", .optional(plan.minimumRegionSize) { .int($0) }),
            ("entry", .optional(plan.entry) { .int($0) }),
            ("controlPages", .array(plan.controlPages.map(JSON.range))),
        ]
        if let load = inCrashKernel {
            fields.append(("loadIntoCrashKernel", .object([
                ("command", .string(load.command)), ("fits", .bool(load.fits)),
                ("error", .optional(load.failure) { .string($0.description) }),
                ("segments", .array(load.segments.map { s in
                    .object([("name", .string(s.name.rawValue)), ("start", .int(s.start)), ("size", .int(s.size))])
                })),
                ("requires", .string(ReservedRangeLoad.requirement)),
            ])))
        }
        fields.append(("notes", .array((plan.notes + (relocation?.notes ?? [])).map { .string($0.description) })))
        return .object(fields)
    }

    /// An aligned table of the segments, then the outcome, as lines.
    public static func text(_ plan: KdumpPlan, relocation: KexecRelocationPlan?, inCrashKernel: ReservedRangeLoad? = nil) -> [String] {
        var lines = ["kexec (\(plan.loader)) into \(plan.region), \(ByteCount.human(plan.region.size)):"]
        let rows = [["segment", "start", "end", "memsz", "bufsz"]] + plan.segments.map { s in
            [s.name.rawValue, Hex.short(s.start), Hex.short(s.end), Hex.short(s.size), Hex.short(s.bufsz)]
        } + plan.controlPages.map { ["control page", Hex.short($0.start), Hex.short($0.end), Hex.short($0.size), "-"] }
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { c, cell in
                c == 0 ? cell + String(repeating: " ", count: widths[c] - cell.count)
                       : String(repeating: " ", count: widths[c] - cell.count) + cell
            }
            lines.append("  " + cells.joined(separator: "  "))
        }
        if let f = plan.failure {
            lines.append("  does not load:")
            lines += f.messages.map { "    " + $0 }
            if let s = f.shortfall { lines.append("  short by \(Hex.short(s)) (\(ByteCount.human(s)))") }
        } else if let entry = plan.entry {
            lines.append("  loads; entry \(Hex.short(entry))")
        }
        if let m = plan.minimumRegionSize {
            lines.append("  smallest region for these inputs: \(Hex.short(m)) (\(ByteCount.human(m)))")
        }
        if let r = relocation {
            lines.append("relocation at kexec -e (\(r.mmuOn ? "MMU on" : "MMU off")): \(ByteCount.human(r.bytes)) copied, "
                         + "\(r.sourceEntries) source + \(r.destinationEntries) destination entries in \(r.indirectionPages) indirection page(s)")
            lines.append("  estimate (\(r.model.name)): MMU off \(seconds(r.mmuOffSeconds).compact()) s, MMU on \(seconds(r.mmuOnSeconds).compact()) s; trans_pgd \(ByteCount.human(r.transPgdBytes))")
        }
        if let load = inCrashKernel {
            lines.append("no relocation instead: the next kernel loaded into the crash reservation")
            lines.append("  kexec -p -u; \(load.command)")
            lines.append(load.fits ? "  fits: " + load.segments.map { "\($0.name.rawValue) \(Hex.short($0.start))" }.joined(separator: ", ")
                                   : "  does not fit: \(load.failure?.description ?? "")")
            lines.append("  " + ReservedRangeLoad.requirement)
        }
        lines += (plan.notes + (relocation?.notes ?? [])).map { "  \($0)" }
        return lines
    }

    /// Where each segment's rule put it, in placement order, for `ckplan explain`. The sizes come
    /// from the rule tables that place the segments (KexecToolsRules, KexecFileRules).
    static func rule(_ name: KexecSegment.Name, _ loader: KexecLoader) -> String {
        let h = ByteCount.human
        return switch (loader, name) {
        case (.kexecLoad, .elfcorehdr): "first, top-down at the region's end, page-rounded (crashdump-arm64.c load_crashdump_segments)"
        case (.kexecLoad, .kernel): "ALIGN_UP(region start, \(h(KexecToolsRules.kernelAlign))) + text_offset, no search (kexec-arm64.c arm64_locate_kernel_segment)"
        case (.kexecLoad, .initrd): "bottom-up above the Image's end; Image + initrd inside one \(h(KexecToolsRules.windowAlign))-aligned \(h(KexecToolsRules.window)) window (kexec-arm64.c arm64_load_other_segments)"
        case (.kexecLoad, .dtb): "bottom-up above the Image's end, after the initrd; at most \(h(KexecToolsRules.dtbLimit)) (arm64_load_other_segments)"
        case (.kexecLoad, .purgatory): "bottom-up above the Image's end, after the DTB (kexec-elf-rel.c elf_rel_build_load)"
        case (.kexecFileLoad, .kernel): "bottom-up, \(h(KexecToolsRules.kernelAlign)) aligned (arch/arm64/kernel/kexec_image.c image_load)"
        case (.kexecFileLoad, .elfcorehdr): "top-down, \(h(KexecFileRules.elfHeaderAlign)) aligned (machine_kexec_file.c load_other_segments)"
        case (.kexecFileLoad, .initrd): "bottom-up above the kernel, within \(h(KexecToolsRules.window)) of it (load_other_segments)"
        case (.kexecFileLoad, .dtb): "top-down, \(h(KexecFileRules.dtbAlign)) aligned so it never crosses a \(h(KexecFileRules.dtbAlign)) boundary (load_other_segments)"
        case (.kexecFileLoad, .purgatory): "none on arm64"
        }
    }

    /// The kexec decisions as numbered explain lines.
    public static func explain(_ plan: KdumpPlan, relocation: KexecRelocationPlan?, inCrashKernel: ReservedRangeLoad?) -> [String] {
        var lines = ["kexec -p through \(plan.loader) into \(plan.region) (\(ByteCount.human(plan.region.size))); kernel-rules.md §7.3-§7.5:"]
        let order: [KexecSegment.Name] = plan.loader == .kexecFileLoad ? [.kernel, .elfcorehdr, .initrd, .dtb]
                                                                         : [.elfcorehdr, .kernel, .initrd, .dtb, .purgatory]
        var step = 0
        for name in order {
            guard let s = plan.segments.first(where: { $0.name == name }) else { continue }
            step += 1
            lines.append("   \(step). \(name.rawValue) \(PhysRange(base: s.start, size: s.size)?.description ?? Hex.short(s.start)) (\(ByteCount.human(s.size))): \(rule(name, plan.loader))")
        }
        if !plan.controlPages.isEmpty {
            step += 1
            lines.append("   \(step). \(plan.controlPages.count) control pages \(plan.controlPages.map(\.description).joined(separator: " ")): kimage_alloc_control_pages takes them from crashk_res after the segments (kernel/kexec_core.c)")
        }
        if let f = plan.failure {
            lines.append("   does not load: \(f.messages.joined(separator: " / "))")
            if let s = f.shortfall { lines.append("   short by \(ByteCount.human(s))") }
        }
        if let m = plan.minimumRegionSize {
            lines.append("   the smallest region at \(Hex.short(plan.region.start)) that fits these inputs: \(ByteCount.human(m)) (the same rules, searched)")
        }
        if let r = relocation {
            lines.append("normal kexec (kexec -l, then kexec -e) of the same image: \(r.mmuOn ? "MMU on through a trans_pgd copy of the linear map (5.16+)" : "MMU off (before 5.16)")")
            lines.append("   \(ByteCount.human(r.bytes)) copied page by page: \(r.sourceEntries) IND_SOURCE + \(r.destinationEntries) IND_DESTINATION entries in \(r.indirectionPages) indirection page(s); model \(r.model.name): MMU off \(seconds(r.mmuOffSeconds).compact()) s, MMU on \(seconds(r.mmuOnSeconds).compact()) s")
        }
        if let load = inCrashKernel {
            lines.append("   without the copy: \(load.command) \(load.fits ? "fits" : "does not fit") (\(ReservedRangeLoad.requirement))")
        }
        return lines
    }
}
