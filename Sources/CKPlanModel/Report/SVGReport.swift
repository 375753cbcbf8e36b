/// `ckplan plan --format svg`: the plan as a memory map a person would rather look at than read.
///
/// A header (machine, kernel, command line, the outcome in one prominent line), then the map
/// (`SVGMap`: RAM banks to scale within themselves, holes and huge spans visibly compressed,
/// memblock reservations, NOMAP, CMA, the crash regions with the kexec segments zoomed, the
/// linear map coloured by leaf size with its breaks), the numbered breaks, the page-table cost
/// against the best layout, a legend and the plan's notes. A pure function of the plan: identical
/// plans give byte-identical documents (standalone SVG 1.1, no scripts, no external fonts).
public enum SVGReport {
    static let width = 1200.0
    static let left = 20.0
    static let right = 1180.0
    /// Breaks listed by number under the map; the rest are on the map (tooltips) and in the JSON.
    static let listedBreaks = 60

    public static func svg(_ plan: Plan) -> String {
        var c = SVGCanvas(width: width)
        header(plan, &c)
        c.y += 6
        let model = SVGMapModel(plan)
        SVGMap(model, left: left, right: right).draw(&c)
        if let map = plan.boot.linearMap {
            breaks(map, &c)
            cost(map, &c)
        }
        legend(model, &c)
        notes(plan, &c)
        let p = plan.request.profile
        return c.document(title: "ckplan plan: \(plan.request.machine.source), \(p.name)",
                          description: "crash-kernel memory map of \(plan.request.machine.source) planned for \(p.version) (\(p.name)): reservation \(plan.outcome.rawValue)",
                          defs: defs)
    }

    static let defs = """
        <pattern id="nomap" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
        <rect width="6" height="6" fill="#bdbdbd"/><line x1="0" y1="0" x2="0" y2="6" stroke="#616161" stroke-width="2.5"/></pattern>
        <pattern id="removed" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">\
        <rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b0bec5" stroke-width="1.5"/></pattern>

        """

    // MARK: - header

    static func header(_ plan: Plan, _ c: inout SVGCanvas) {
        let m = plan.request.machine
        let p = plan.request.profile
        c.y = 28
        c.text(left, c.y, "ckplan plan — crash-kernel memory map", size: 18, fill: "#263238", bold: true)
        c.y += 6
        let banks = m.memory.filter { !$0.range.isEmpty }.count
        c.paragraph("machine  \(m.source) (\(m.kind.rawValue)), \(ByteCount.human(m.totalMemory)) RAM in \(banks) bank\(banks == 1 ? "" : "s")",
                    x: left, size: 12, lineHeight: 16, indent: "         ")
        var kernel = "kernel   \(p.version) (\(p.name)), \(ByteCount.human(p.config.pageSize)) pages, VA/PA \(p.config.vaBits)/\(p.config.paBits)"
        if plan.boot.lpa2Active { kernel += ", LPA2 active" }
        c.paragraph(kernel, x: left, size: 12, lineHeight: 16)
        let cmdline = plan.request.commandLine.isEmpty ? "(empty)" : plan.request.commandLine
        c.paragraph("cmdline  \(cmdline)  [\(plan.request.commandLineOrigin)]", x: left, size: 12, lineHeight: 16, indent: "         ")

        let (word, line, colour) = outcome(plan)
        let lines = SVGCanvas.wrap(line, columns: Int((right - left - 150) / (13 * SVGCanvas.charWidth)), indent: "")
        let boxTop = c.y + 8
        let boxH = 10 + 18 * Double(lines.count)
        c.rect(left, boxTop, right - left, boxH, fill: colour, opacity: 0.1, extra: [("class", "outcome"), ("data-outcome", plan.outcome.rawValue)])
        c.rect(left, boxTop, 6, boxH, fill: colour)
        c.text(left + 16, boxTop + 20, word, size: 15, fill: colour, bold: true)
        for (i, l) in lines.enumerated() {
            c.text(left + 150, boxTop + 20 + 18 * Double(i), l, size: 13, fill: colour, bold: true)
        }
        c.y = boxTop + boxH
        if let kdump = plan.kdump {
            var text = "kexec -p (\(kdump.loader)) into \(kdump.region): "
            if let f = kdump.failure {
                text += "does not load — " + f.messages.joined(separator: " ")
            } else {
                text += "loads" + (kdump.entry.map { ", entry \(Hex.short($0))" } ?? "")
            }
            c.paragraph(text, x: left, size: 12, lineHeight: 17, fill: kdump.fits ? "#263238" : "#b71c1c", bold: !kdump.fits)
        }
        if !plan.placementIsCertain {
            let alternatives = Set(plan.sensitivity.map { $0.map(\.description).joined(separator: " + ") }).sorted()
            c.paragraph("placement depends on estimated boot allocation sizes; with them halved or doubled: \(alternatives.joined(separator: "; "))",
                        x: left, size: 11, lineHeight: 15, fill: "#e65100")
        }
    }

    /// The outcome's word, its line and colour.
    static func outcome(_ plan: Plan) -> (String, String, String) {
        let boot = plan.boot
        let green = "#2e7d32", red = "#b71c1c", grey = "#455a64"
        switch plan.outcome {
        case .reserved:
            var line = plan.regions.map { "\($0.role) \($0.range) \(ByteCount.human($0.range.size))" }.joined(separator: ", ")
            line += boot.deferred ? " — deferred to bootmem_init" : " — early, in arm64_memblock_init"
            return ("RESERVED", line, green)
        case .failed:
            let searched = (boot.crash?.attempts ?? []).map { a in
                "\(a.what) \(ByteCount.human(a.size)) in \(a.window?.description ?? "-") → \(a.result?.description ?? "nothing free")"
            }
            let said = boot.crash?.dmesg ?? []
            if boot.crash?.outcome == .hangs {
                return ("HANGS", (["the kernel retries the same window forever and the boot hangs"] + said + searched).joined(separator: "; "), red)
            }
            return ("FAILED", (said.isEmpty ? ["memblock_phys_alloc_range found no room"] : said).joined(separator: "; ")
                        + (searched.isEmpty ? "" : " — searched: " + searched.joined(separator: "; ")), red)
        case .invalid:
            let said = boot.parse?.messages.map(\.text) ?? []
            return ("INVALID", said.isEmpty ? "the kernel rejects crashkernel= (\(invalidReason(boot.parse)))" : said.joined(separator: "; "), red)
        case .none:
            return ("NO CRASH KERNEL", noneReason(boot.parse), grey)
        }
    }

    static func invalidReason(_ parse: CrashKernelParseResult?) -> String {
        guard case .invalid(let reason) = parse?.outcome else { return "unparsable" }
        switch reason {
        case .plainToken: return "the size[@offset] or range list does not parse"
        case .highToken: return "the ,high value does not parse"
        case .lowToken: return "the ,low value does not parse, which aborts the whole reservation"
        case .sizeNotBelowSystemRAM: return "the size is not below system RAM: rejected silently"
        }
    }

    static func noneReason(_ parse: CrashKernelParseResult?) -> String {
        guard let parse else { return "the reservation was never attempted (no memory to place it in)" }
        switch parse.outcome {
        case .absent: return "no usable crashkernel= on the command line: nothing is reserved"
        case .reservesNothing(.zeroSize): return "crashkernel= asks for 0 bytes: nothing is reserved"
        case .reservesNothing(.noRangeMatched): return "no crashkernel= range entry contains the RAM size: nothing is reserved"
        case .invalid, .request: return "nothing is reserved"
        }
    }

    // MARK: - under the map

    static func section(_ c: inout SVGCanvas, _ title: String) {
        c.y += 26
        c.text(left, c.y, title, size: 13, fill: "#263238", bold: true)
        c.y += 2
    }

    static func breaks(_ map: LinearMap, _ c: inout SVGCanvas) {
        guard !map.breaks.isEmpty else { return }
        section(&c, "linear-map breaks — where a larger mapping fitted by size but was not used (\(map.breaks.count))")
        let columns = Int((right - left) / (10.5 * SVGCanvas.charWidth))
        for (i, b) in map.breaks.prefix(listedBreaks).enumerated() {
            let prefix = "\(i + 1). \(Hex.short(b.at))  "
            c.paragraph(prefix + b.reason, x: left, size: 10.5, lineHeight: 13, maxWidth: Double(columns) * 10.5 * SVGCanvas.charWidth,
                        indent: String(repeating: " ", count: prefix.count))
            c.y += 2
        }
        if map.breaks.count > listedBreaks {
            c.paragraph("… \(map.breaks.count - listedBreaks) more breaks: each is marked on the map with its reason as a tooltip, and `--format json` lists all",
                        x: left, size: 10.5, lineHeight: 13, fill: "#616161")
        }
    }

    static func cost(_ map: LinearMap, _ c: inout SVGCanvas) {
        section(&c, "page tables of the linear map (\(ByteCount.human(map.geometry.pageSize)) granule, \(map.geometry.levels) levels)")
        func row(_ name: String, _ l: LinearMap.Layout) -> [String] {
            let t = l.tablePages
            return [name, PlanReport.grouped(t.pgd), PlanReport.grouped(t.p4d), PlanReport.grouped(t.pud), PlanReport.grouped(t.pmd),
                    PlanReport.grouped(t.pte), PlanReport.grouped(t.allocated), ByteCount.human(l.tablePageBytes),
                    PlanReport.grouped(PlanReport.entries(l))]
        }
        var t = Table()
        t.add(["", "pgd", "p4d", "pud", "pmd", "pte", "allocated", "bytes", "leaf entries"])
        t.add(row("map_mem()", map.layout))
        t.add(row("best layout", map.best))
        let extraPages = map.layout.tablePages.allocated &- map.best.tablePages.allocated
        let worse = map.layout.tablePages.allocated > map.best.tablePages.allocated
        if worse {
            t.add(["cost", "", "", "", "", "", "+" + PlanReport.grouped(extraPages),
                   "+" + ByteCount.human(map.layout.tablePageBytes &- map.best.tablePageBytes),
                   "\(PlanReport.grouped(PlanReport.entries(map.layout))) instead of \(PlanReport.grouped(PlanReport.entries(map.best)))"])
        }
        for line in t.render().split(separator: "\n") {
            c.y += 14
            c.text(left, c.y, String(line), size: 11, fill: "#263238", extra: [("xml:space", "preserve")])
        }
        c.paragraph("map_mem(): \(PlanReport.tableSummary(map.layout))", x: left, size: 10.5, lineHeight: 14, fill: "#455a64", indent: "    ")
        c.paragraph("best:      \(PlanReport.tableSummary(map.best))", x: left, size: 10.5, lineHeight: 14, fill: "#455a64", indent: "    ")
        c.paragraph("pgd is the static swapper_pg_dir; \"allocated\" counts the pages early_pgtable_alloc takes from memblock.",
                    x: left, size: 10.5, lineHeight: 14, fill: "#757575")
    }

    static func legend(_ model: SVGMapModel, _ c: inout SVGCanvas) {
        section(&c, "legend")
        var entries: [(fill: String, dashed: Bool, text: String)] = []
        let kinds = Set((model.memory + model.reserved + model.crash + model.searched).map(\.kind)).union([.ram])
        for kind in SVGMapModel.Kind.allCases where kinds.contains(kind) {
            entries.append((kind == .searched ? "none" : kind.fill, kind == .searched, kind.legend))
        }
        if let kdump = model.kdump {
            var names: [KexecSegment.Name] = []
            for s in kdump.segments where !names.contains(s.name) { names.append(s.name) }
            entries += names.map { ($0.fill, false, "kexec \($0.rawValue)") }
            if !kdump.controlPages.isEmpty { entries.append(("#37474f", false, "control page")) }
        }
        if let map = model.linearMap {
            entries += map.geometry.units.map { (map.geometry.fill($0), false, map.geometry.describe($0)) }
        }
        var x = left
        c.y += 6
        for e in entries {
            let w = 20 + SVGCanvas.textWidth(e.text, size: 10.5) + 18
            if x + w > right {
                x = left
                c.y += 18
            }
            c.rect(x, c.y, 14, 11, fill: e.fill, stroke: e.dashed ? SVGMapModel.Kind.crashkernel.fill : "#616161",
                   strokeWidth: e.dashed ? 1.2 : 0.5, dash: e.dashed ? "3,2" : nil)
            c.text(x + 20, c.y + 10, e.text, size: 10.5, fill: "#37474f")
            x += w
        }
        c.y += 18
        c.polygon([(left, c.y + 1), (left + 7, c.y + 1), (left + 3.5, c.y + 8)], fill: "#b71c1c")
        c.text(left + 20, c.y + 9, "linear-map break (number = list above)   ≈ compressed piece (true size labelled)   hole: no memory, not to scale   dashed green: 4 GiB / arm64_dma_phys_limit",
               size: 10.5, fill: "#37474f")
        c.y += 12
        c.paragraph("Regions too small to see are drawn at a minimum width; every label and tooltip gives the true size.",
                    x: left, size: 10.5, lineHeight: 14, fill: "#757575")
    }

    static func notes(_ plan: Plan, _ c: inout SVGCanvas) {
        let notes = plan.request.machine.notes + plan.boot.notes
        guard !notes.isEmpty || plan.request.boot.origin != "" else { return }
        section(&c, "notes")
        c.paragraph("boot facts: \(plan.request.boot.origin)", x: left, size: 10.5, lineHeight: 14, fill: "#37474f")
        for n in notes {
            c.paragraph(n.description, x: left, size: 10.5, lineHeight: 14, fill: n.severity == .warning ? "#e65100" : "#37474f",
                        indent: "  ")
        }
    }
}
