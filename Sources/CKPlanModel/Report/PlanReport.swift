/// `ckplan plan` output: JSON (schema ckplan/plan/1, cli-contract.md) and text.
public enum PlanReport {
    static func range(_ r: PhysRange) -> JSON { .object([("start", .int(r.start)), ("end", .int(r.end))]) }

    public static func json(_ plan: Plan) -> JSON {
        let p = plan.request.profile
        let boot = plan.boot
        var kernel: [(String, JSON)] = [
            ("version", .string(p.version.description)), ("profile", .string(p.name)),
            ("pageSize", .int(p.config.pageSize)), ("vaBits", .int(UInt64(p.config.vaBits))),
            ("paBits", .int(UInt64(p.config.paBits))),
        ]
        kernel.append(("lpa2Active", .bool(boot.lpa2Active)))
        let memory = plan.request.machine.memory.map { range($0.range) }
        var reservation: [(String, JSON)] = [
            ("outcome", .string(plan.outcome.rawValue)),
            ("regions", .array(plan.regions.map {
                .object([("role", .string($0.role)), ("start", .int($0.range.start)), ("end", .int($0.range.end)),
                         ("size", .int($0.range.size))])
            })),
            ("dmesg", .array(boot.dmesg.map { .string($0) })),
            ("iomem", .array(plan.iomem.map { .string($0) })),
        ]
        reservation.append(("kexecCrashSize", .int(plan.kexecCrashSize)))
        reservation.append(("deferred", .bool(boot.deferred)))
        reservation.append(("placementCertain", .bool(plan.placementIsCertain)))
        reservation.append(("attempts", .array((boot.crash?.attempts ?? []).map { a in
            .object([("what", .string(a.what)), ("size", .int(a.size)),
                     ("window", a.window.map(range) ?? .null), ("result", a.result.map(range) ?? .null)])
        })))
        return .object([
            ("schema", .string("ckplan/plan/1")),
            ("kernel", .object(kernel)),
            ("machine", .object([
                ("source", .string(plan.request.machine.source)),
                ("memory", .array(memory)),
                ("systemRamBytes", .int(plan.request.machine.totalMemory)),
            ])),
            ("commandLine", .object([("text", .string(plan.request.commandLine)),
                                     ("origin", .string(plan.request.commandLineOrigin))])),
            ("dmaLimit", .int(boot.dmaLimit)),
            ("cma", boot.cma.area.map(range) ?? .null),
            ("reservation", .object(reservation)),
            ("linearMap", boot.linearMap?.json() ?? .null),
            ("kexec", plan.kdump.map { KexecReport.json($0, relocation: plan.relocation, inCrashKernel: plan.loadIntoCrashKernel) } ?? .null),
            ("bootAllocations", .array(boot.steps.map { s in
                .object([("what", .string(s.what)), ("source", .string(s.source)),
                         ("ranges", .array(s.ranges.map(range))), ("estimated", .bool(s.estimated))])
            })),
            ("boot", .object([("origin", .string(plan.request.boot.origin)),
                              ("imageAt", .int(plan.request.boot.imageAt)),
                              ("imageSize", .int(plan.request.boot.image.end)),
                              ("fdt", plan.request.boot.fdt.map(range) ?? .null),
                              ("initrd", plan.request.boot.initrd.map(range) ?? .null)])),
            ("notes", .array((plan.request.machine.notes + boot.notes).map { .string($0.description) })),
        ])
    }

    static func entries(_ layout: LinearMap.Layout) -> UInt64 { layout.leafEntries.reduce(0) { $0 &+ $1.entries } }

    /// 1,234,567: counts a person reads at a glance.
    static func grouped(_ n: UInt64) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }

    static func tableSummary(_ layout: LinearMap.Layout) -> String {
        let t = layout.tablePages
        let levels = [("p4d", t.p4d), ("pud", t.pud), ("pmd", t.pmd), ("pte", t.pte)].filter { $0.1 > 0 }
        let leaves = layout.leafEntries.map { "\(grouped($0.entries)) × \(ByteCount.human($0.leafSize))\($0.contiguous ? " CONT" : "")" }
        return "\(grouped(t.allocated)) pages (\(levels.map { "\($0.0) \(grouped($0.1))" }.joined(separator: ", "))), leaves \(leaves.joined(separator: " + "))"
    }

    public static func text(_ plan: Plan) -> String {
        let p = plan.request.profile
        let boot = plan.boot
        let m = plan.request.machine
        var out = TextBuffer()
        out += "machine: \(m.source) (\(m.kind.rawValue)), \(ByteCount.human(m.totalMemory)) RAM\n"
        out += "kernel:  \(p.version) (\(p.name)), \(p.config.pageSize >> 10)K pages, VA/PA \(p.config.vaBits)/\(p.config.paBits)"
        out += boot.lpa2Active ? ", LPA2 active\n" : "\n"
        out += "cmdline: \(plan.request.commandLine.isEmpty ? "(empty)" : plan.request.commandLine)  [\(plan.request.commandLineOrigin)]\n"
        out += "\nmemory:\n"
        var mem = Table()
        for r in m.memory {
            mem.cell { $0.hex(r.range.start, width: 16, prefix: true) }
            mem.cell { $0.hex(r.range.end, width: 16, prefix: true) }
            mem.cell { $0.byteCount(r.range.size) }
            mem.cell(r.noMap ? "no-map" : "")
            mem.cell(r.numaNode.map { "node \($0)" } ?? "")
            mem.endRow()
        }
        mem.render(indent: 2, into: &out)
        out += "  arm64_dma_phys_limit \(Table.hex(boot.dmaLimit))\n"

        out += "\nreservation: \(plan.outcome.rawValue)"
        if let crash = boot.crash, crash.outcome == .hangs { out += " (the kernel retries forever: boot hangs)" }
        out += plan.outcome == .reserved ? ", \(boot.deferred ? "deferred to bootmem_init" : "early, in arm64_memblock_init")\n" : "\n"
        if !plan.regions.isEmpty {
            var t = Table()
            t.add(["role", "start", "end", "size"])
            for r in plan.regions { t.add([r.role, Table.hex(r.range.start), Table.hex(r.range.end), ByteCount.human(r.range.size)]) }
            t.render(indent: 2, into: &out)
            out += "  /sys/kernel/kexec_crash_size: \(plan.kexecCrashSize)\n"
        }
        if !plan.placementIsCertain {
            let alternatives = Set(plan.sensitivity.map { $0.map(\.description).joined(separator: " + ") })
            out += "  placement depends on estimated boot allocation sizes; with them halved or doubled: \(alternatives.sorted().joined(separator: "; "))\n"
        }
        if !boot.dmesg.isEmpty {
            out += "\ndmesg:\n" + boot.dmesg.map { "  \($0)\n" }.joined()
        }
        if !plan.iomem.isEmpty {
            out += "\n/proc/iomem:\n" + plan.iomem.map { "  \($0)\n" }.joined()
        }
        if let crash = boot.crash, !crash.attempts.isEmpty {
            out += "\nsearch (memblock_phys_alloc_range, top-down, 2 MiB aligned):\n"
            var t = Table()
            for a in crash.attempts {
                t.add([a.what, ByteCount.human(a.size), a.window.map { "in \($0)" } ?? "", a.result.map { "-> \($0)" } ?? "-> failed"])
            }
            t.render(indent: 2, into: &out)
        }
        if let map = boot.linearMap {
            out += "\nlinear map (map_mem, \(map.geometry.levels) levels):\n"
            map.textTable().render(indent: 2, into: &out)
            if let forced = map.forcedReason { out += "  forced to pages: \(forced)\n" }
            out += "  page tables: \(tableSummary(map.layout))\n  best the memory map allows: \(tableSummary(map.best))\n"
            let extra = map.layout.tablePages.allocated &- map.best.tablePages.allocated
            if map.layout.tablePages.allocated > map.best.tablePages.allocated {
                out += "  cost of this layout: +\(grouped(extra)) page-table pages (\(ByteCount.human(map.layout.tablePageBytes &- map.best.tablePageBytes))), \(grouped(entries(map.layout))) leaf entries instead of \(grouped(entries(map.best)))\n"
            }
        }
        if let kdump = plan.kdump {
            out += "\n" + KexecReport.text(kdump, relocation: plan.relocation, inCrashKernel: plan.loadIntoCrashKernel).map { "\($0)\n" }.joined()
        }
        out += "\nboot allocations before the reservation (memblock, in order):\n"
        var t = Table()
        for s in boot.steps {
            let bytes = s.ranges.reduce(UInt64(0)) { $0 &+ $1.size }
            let where_ = s.ranges.count == 1 ? s.ranges[0].description : (s.ranges.isEmpty ? "" : "\(s.ranges.count) ranges")
            t.add([s.what, where_, ByteCount.human(bytes), s.source + (s.estimated ? " (estimated size)" : "")])
        }
        t.render(indent: 2, into: &out)
        out += "  boot facts: \(plan.request.boot.origin)\n"
        let notes = m.notes + boot.notes
        if !notes.isEmpty { out += "\n" + notes.map { "\($0)\n" }.joined() }
        return out.string
    }
}
