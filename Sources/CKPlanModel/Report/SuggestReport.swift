/// `ckplan suggest` output: text, and JSON with schema `ckplan/suggest/1`.
public enum SuggestReport {
    static func regions(_ plan: Plan) -> JSON {
        .array(plan.regions.map {
            .object([("role", .string($0.role)), ("start", .int($0.range.start)), ("end", .int($0.range.end)),
                     ("size", .int($0.range.size))])
        })
    }

    static func trial(_ t: SuggestTrial) -> JSON {
        .object([("parameter", .string(t.parameter)), ("size", .int(t.size)), ("verdict", .string(t.verdict.rawValue)),
                 ("outcome", .string(t.plan.outcome.rawValue)), ("regions", regions(t.plan)), ("why", .string(t.why))])
    }

    /// The capture kernel as the plans load it: loader, Image, initrd, DTB, and the region it needs.
    struct Capture {
        var loader: String
        var imageSize: UInt64
        var initrdSize: UInt64?
        var dtbBytes: UInt64?
        var minimumRegionSize: UInt64?

        init(_ s: Suggestion) {
            let k = s.request.base.kexec
            loader = k.map { $0.loader.description } ?? "none"
            imageSize = k?.image.kexecToolsLayout.imageSize ?? 0
            initrdSize = k?.initrdSize
            let plans = [s.plain, s.high].compactMap { $0 }.flatMap { [$0.answer, $0.smaller, $0.failure].compactMap { $0 } }
            dtbBytes = plans.lazy.compactMap { $0.plan.kdump?.segments.first { $0.name == .dtb }?.bufsz }.first
            minimumRegionSize = (s.best ?? plans.first)?.plan.kdump?.minimumRegionSize
        }
    }

    static func notes(_ s: Suggestion) -> [String] {
        var notes: [String] = []
        let shown = s.best?.plan ?? s.baseline
        for n in shown.request.machine.notes + shown.boot.notes + (shown.kdump?.notes ?? []) {
            let text = n.description
            if !notes.contains(text) { notes.append(text) }
        }
        if s.request.base.kexec?.initrdSize == nil {
            notes.append("note: no capture initrd given (--kexec-initrd FILE or --kexec-initrd-size SIZE): a kdump initramfs adds its size to what the region must hold")
        }
        return notes
    }

    public static func json(_ s: Suggestion) -> JSON {
        let p = s.request.base.profile
        let m = s.request.base.machine
        let capture = Capture(s)
        func search(_ x: SizeSearch) -> JSON {
            .object([
                ("form", .string(x.form.rawValue)),
                ("parameter", .optional(x.answer) { .string($0.parameter) }),
                ("size", .optional(x.answer) { .int($0.size) }),
                ("regions", x.answer.map { regions($0.plan) } ?? .array([])),
                ("minimumRegionSize", .optional(x.answer?.plan.kdump?.minimumRegionSize) { .int($0) }),
                ("spare", .optional(x.answer?.plan.kdump) { k in .optional(k.minimumRegionSize) { .int(k.region.size &- $0) } }),
                ("smaller", .optional(x.smaller, trial)),
                ("failure", .optional(x.failure, trial)),
                ("reason", .optional(x.failureReason) { .string($0) }),
                ("plans", .int(UInt64(x.trials.count))),
            ])
        }
        func cost(_ c: FormCost) -> JSON {
            .object([
                ("parameter", .string(c.trial.parameter)), ("verdict", .string(c.trial.verdict.rawValue)),
                ("regions", regions(c.trial.plan)), ("belowDmaLimit", .int(c.belowDMALimit)), ("below4GiB", .int(c.below4GiB)),
                ("tablePages", .int(c.tablePages)), ("tablePagesVsNone", .signed(c.tablePagesVsNone)),
                ("leafEntries", .int(c.leafEntries)), ("linearMapEffect", .string(c.linearMapEffect)),
            ])
        }
        var high: [(String, JSON)] = [("available", .bool(s.high != nil))]
        if let why = s.highUnavailable { high.append(("reason", .string(why))) }
        if let a = s.advice {
            high += [("size", .int(a.size)), ("forms", .array([cost(a.plain), cost(a.high)])),
                     ("recommendation", .optional(a.recommendation) { .string($0.rawValue) }), ("reason", .string(a.reason))]
        }
        let distros: [JSON] = s.distros.map { d in
            .object([
                ("name", .string(d.entry.name)), ("crashkernel", .string(d.entry.value)),
                ("pageSize", .optional(d.entry.pageSize) { .int($0) }), ("source", .string(d.entry.source)),
                ("notApplied", .optional(d.entry.notApplied) { .string($0) }),
                ("selectedSize", .optional(d.selected) { .int($0) }),
                ("rangeSystemRamBytes", .optional(d.rangeSystemRAM) { .int($0) }),
                ("outcome", .string(d.outcome.rawValue)), ("regions", regions(d.plan)),
                ("fits", .optional(d.fits) { .bool($0) }), ("spare", .optional(d.spare) { .int($0) }),
                ("dmesg", .array(d.plan.boot.dmesg.map { .string($0) })),
                ("pitfalls", .array(d.pitfalls.map { .string($0) })), ("summary", .string(d.summary)),
            ])
        }
        return .object([
            ("schema", .string("ckplan/suggest/1")),
            ("kernel", .object([("version", .string(p.version.description)), ("profile", .string(p.name)),
                                ("pageSize", .int(p.config.pageSize))])),
            ("machine", .object([("source", .string(m.source)), ("memory", .array(m.memory.map { .range($0.range) })),
                                 ("systemRamBytes", .int(m.totalMemory)),
                                 ("memblockBytes", .optional(s.baseline.boot.memblockBeforeCrash) { .int($0.physMemSize) })])),
            ("commandLine", .object([("kept", .string(s.keptCommandLine)), ("origin", .string(s.request.base.commandLineOrigin)),
                                     ("removed", .array(s.removed.map { .string($0) }))])),
            ("dmaLimit", .int(s.baseline.boot.dmaLimit)),
            ("capture", .object([("loader", .string(capture.loader)), ("imageSize", .int(capture.imageSize)),
                                 ("initrdSize", .optional(capture.initrdSize) { .int($0) }),
                                 ("dtbBytes", .optional(capture.dtbBytes) { .int($0) }),
                                 ("minimumRegionSize", .optional(capture.minimumRegionSize) { .int($0) })])),
            ("recommended", .optional(s.best) { .string($0.parameter) }),
            ("suggestions", .array([search(s.plain)] + (s.high.map { [search($0)] } ?? []))),
            ("high", .object(high)),
            ("distroDefaults", .array(distros)),
            ("notes", .array(notes(s).map { .string($0) })),
        ])
    }

    public static func text(_ s: Suggestion) -> String {
        let p = s.request.base.profile
        let m = s.request.base.machine
        let capture = Capture(s)
        var out = "machine: \(m.source) (\(m.kind.rawValue)), \(ByteCount.human(m.totalMemory)) RAM"
        if let mb = s.baseline.boot.memblockBeforeCrash, mb.physMemSize != m.totalMemory {
            out += "; \(ByteCount.human(mb.physMemSize)) in memblock at the reservation"
        }
        out += "\nkernel:  \(p.version) (\(p.name)), \(p.config.pageSize >> 10)K pages; arm64_dma_phys_limit \(Hex.short(s.baseline.boot.dmaLimit))\n"
        out += "cmdline: \(s.keptCommandLine.isEmpty ? "(empty)" : s.keptCommandLine)  [\(s.request.base.commandLineOrigin)]\n"
        out += "  each candidate is this command line plus one crashkernel=; "
        out += s.removed.isEmpty ? "it had none" : "replaced: \(s.removed.joined(separator: " "))"
        out += "; every other parameter (mem=, cma=, rodata=, …) is kept\n"
        out += "capture kernel: \(capture.loader), Image \(Hex.short(capture.imageSize)), "
        out += "initrd \(capture.initrdSize.map(Hex.short) ?? "none"), DTB \(capture.dtbBytes.map(Hex.short) ?? "?")"
        if let need = capture.minimumRegionSize { out += "; needs a region of \(Hex.short(need)) (\(ByteCount.human(need)))" }
        out += "\n"

        out += "\nsmallest crashkernel= that reserves and lets kexec -p load the capture kernel (CRASH_ALIGN 2 MiB steps, each one planned;\n"
        out += "the capture kernel also needs memory to run, which is not sized here):\n"
        for search in [s.plain] + (s.high.map { [$0] } ?? []) {
            let label = search.form == .plain ? "crashkernel=SIZE" : "crashkernel=SIZE,high"
            if let a = search.answer {
                out += "  \(a.parameter): \(a.why)\n"
                if let smaller = search.smaller {
                    out += "    one step less, \(smaller.parameter): \(smaller.why)\n"
                } else {
                    out += "    one step less is crashkernel=0, which reserves nothing\n"
                }
            } else {
                out += "  \(label): none works: \(search.failureReason ?? "")\n"
            }
            out += "    (\(search.trials.count) plan\(search.trials.count == 1 ? "" : "s"))\n"
        }
        if let why = s.highUnavailable { out += "  crashkernel=SIZE,high: \(why)\n" }

        if let a = s.advice {
            out += "\n,high or not, at \(Suggester.sizeText(a.size)):\n"
            var t = Table()
            t.add(["form", "regions", "below DMA limit", "below 4 GiB", "table pages (vs none)", "leaf entries"])
            for c in [a.plain, a.high] {
                let regions = c.trial.verdict == .notReserved ? "not reserved" : Suggester.regionsText(c.trial.plan)
                t.add([c.trial.parameter, regions, ByteCount.human(c.belowDMALimit), ByteCount.human(c.below4GiB),
                       "\(PlanReport.grouped(c.tablePages)) (\(c.tablePagesVsNone >= 0 ? "+" : "-")\(PlanReport.grouped(c.tablePagesVsNone.magnitude)))",
                       PlanReport.grouped(c.leafEntries)])
            }
            out += t.render(indent: 2)
            out += "  linear map: \(a.plain.linearMapEffect)\n"
            if a.high.linearMapEffect != a.plain.linearMapEffect { out += "  linear map with ,high: \(a.high.linearMapEffect)\n" }
            let chosen = a.recommendation == .high ? a.high.trial.parameter : a.recommendation == .plain ? a.plain.trial.parameter : "none"
            out += "  recommendation: \(chosen): \(a.reason)\n"
        }

        out += "\ndistribution defaults (this kernel's parser and reservation, the same command line):\n"
        var t = Table()
        t.add(["default", "crashkernel=", "selects", "result"])
        for d in s.distros {
            t.add([d.entry.name, d.entry.value, d.selected.map(Suggester.sizeText) ?? "-", "\(d.outcome.rawValue): \(d.summary)"])
        }
        out += t.render(indent: 2)
        let flagged = s.distros.filter { !$0.pitfalls.isEmpty }
        if !flagged.isEmpty {
            out += "  pitfalls:\n"
            for d in flagged { for pitfall in d.pitfalls { out += "    \(d.entry.name): \(pitfall)\n" } }
        }
        out += "  sources:\n"
        for d in s.distros {
            out += "    \(d.entry.name): \(d.entry.source)\(d.entry.notApplied.map { "; not applied: \($0)" } ?? "")\n"
        }
        if let best = s.best {
            out += "\nsuggested: \(best.parameter)\n"
        } else {
            out += "\nsuggested: nothing fits (exit 1)\n"
        }
        let notes = notes(s)
        if !notes.isEmpty { out += "\n" + notes.map { "\($0)\n" }.joined() }
        return out
    }
}
