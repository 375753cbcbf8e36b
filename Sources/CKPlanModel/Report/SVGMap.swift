/// The map part of the SVG report: an address axis, then three lanes on it — memory, the crash
/// kernel (with a zoomed inset of the kexec segments), the linear map — and the marks that cross
/// them (4 GiB, `arm64_dma_phys_limit`, holes, compressed pieces).
struct SVGMap {
    let model: SVGMapModel
    let axis: AddressAxis
    let left: Double
    let right: Double

    static let labelSize = 10.0
    static let rowHeight = 13.0

    init(_ model: SVGMapModel, left: Double, right: Double) {
        self.model = model
        self.left = left
        self.right = right
        let spans = model.allRanges
        var boundaries: [UInt64] = spans.flatMap { [$0.start, $0.end] }
        boundaries += model.guides.map(\.address)
        axis = AddressAxis(spans: spans, boundaries: boundaries, important: model.important, x0: left,
                           width: right - left)
    }

    /// Draws the map from `c.y` down: axis, memory lane, crash lane, the kexec inset, the linear
    /// map lane. The marks that cross the lanes are drawn over the lanes that share the axis,
    /// never over the inset, which has its own.
    func draw(_ c: inout SVGCanvas) {
        axisBand(&c)
        guard !axis.pieces.isEmpty else {
            c.y += 16
            c.text(left, c.y, "no memory to draw: the input gives no RAM (give --memory BASE+SIZE)", size: 12, fill: "#b71c1c", bold: true)
            return
        }
        memoryLane(&c)
        let crashRow = crashLane(&c)
        if let kdump = model.kdump, let row = crashRow {
            inset(&c, kdump, from: row)
        }
        linearMapLane(&c)
    }

    // MARK: - axis

    /// Hex addresses at the span edges, the holes' and compressed pieces' true sizes, 4 GiB and
    /// `arm64_dma_phys_limit`, in three rows of labels over the axis line.
    private func axisBand(_ c: inout SVGCanvas) {
        let rowCount = 3
        var rows = LabelRows(rows: rowCount, minX: left, maxX: right)
        let baseline = c.y + Double(rowCount) * Self.rowHeight + 6
        func add(_ text: String, at x: Double, align: SVGCanvas.Anchor, fill: String = "#37474f", title: String? = nil) {
            let w = SVGCanvas.textWidth(text, size: Self.labelSize)
            let centre = align == .start ? x + w / 2 : align == .end ? x - w / 2 : x
            guard let spot = rows.place(center: centre, width: w) else { return }
            let y = c.y + Self.rowHeight * Double(rowCount - spot.row)
            c.text(spot.x, y, text, size: Self.labelSize, fill: fill, title: title)
            c.line(x, y + 3, x, baseline, stroke: fill, width: 0.5, dash: "1,2")
        }
        for span in axis.spans {
            add(Hex.short(span.range.start), at: span.x0, align: .start, title: "start of a span of memory \(span.range)")
        }
        for span in axis.spans {
            add(Hex.short(span.range.end), at: span.x1, align: .end, title: "end of a span of memory \(span.range)")
        }
        for gap in axis.gaps {
            add("hole \(ByteCount.human(gap.hole.size))", at: (gap.x0 + gap.x1) / 2, align: .middle, fill: "#616161",
                title: "no memory in \(gap.hole) (\(ByteCount.human(gap.hole.size))): not to scale")
        }
        for g in model.guides where axis.contains(g.address) {
            add("\(g.label) \(Hex.short(g.address))", at: axis.x(g.address), align: .middle, fill: "#1b5e20")
        }
        for p in axis.pieces where p.compressed {
            add("≈ \(ByteCount.human(p.range.size))", at: (p.x0 + p.x1) / 2, align: .middle, fill: "#616161",
                title: "\(p.range) is \(ByteCount.human(p.range.size)), drawn compressed so the crash kernel stays visible")
        }
        for span in axis.spans {
            c.line(span.x0, baseline, span.x1, baseline, stroke: "#37474f", width: 1.5)
            c.line(span.x0, baseline - 4, span.x0, baseline + 2, stroke: "#37474f")
            c.line(span.x1, baseline - 4, span.x1, baseline + 2, stroke: "#37474f")
        }
        for p in axis.pieces where p.compressed {
            let mid = (p.x0 + p.x1) / 2
            c.rect(mid - 3, baseline - 3, 6, 6, fill: "#ffffff")
            c.line(mid - 5, baseline + 3, mid - 1, baseline - 3, stroke: "#37474f")
            c.line(mid + 1, baseline + 3, mid + 5, baseline - 3, stroke: "#37474f")
        }
        c.y = baseline + 4
    }

    // MARK: - lanes

    private func title(_ c: inout SVGCanvas, _ text: String) {
        c.y += 16
        c.text(left, c.y, text, size: 12, fill: "#263238", bold: true)
        c.y += 4
    }

    private func memoryLane(_ c: inout SVGCanvas) {
        title(&c, "memory — memblock.memory (RAM, NOMAP hatched) and memblock.reserved before the crash reservation")
        let bankY = c.y, bankH = 22.0
        for span in axis.spans {
            c.rect(span.x0, bankY, span.x1 - span.x0, bankH + 24, fill: "#fafafa")
        }
        var inside = LabelRows(rows: 1, minX: left, maxX: right)
        let memory = model.memory.sorted { $0.range < $1.range }
        for group in groups(memory.map(\.range)) {
            let items = memory[group]
            guard let item = items.first else { continue }
            if items.count > 1 {
                let kinds = Self.tally(items.map { ($0.kind.rawValue, $0.range.size) })
                let kind = items.first { $0.kind.rawValue == kinds.first?.name }?.kind ?? item.kind
                let r = Self.hull(items.map(\.range))
                let e = axis.extent(r, minWidth: 1.5)
                c.rect(e.x, bankY, e.w, bankH, fill: kind.fill, extra: [
                    ("class", kind.rawValue), ("data-start", Hex.short(r.start)), ("data-end", Hex.short(r.end)),
                    ("data-count", String(items.count)),
                ], title: "\(items.count) memory regions in \(r), drawn as one: " + Self.describe(kinds))
                continue
            }
            let e = axis.extent(item.range, minWidth: 1.5)
            c.rect(e.x, bankY, e.w, bankH, fill: item.kind.fill, stroke: item.kind == .ram ? "#90a4ae" : "#616161",
                   strokeWidth: 0.5, extra: Self.data(item), title: item.title)
            if item.kind == .ram || item.kind == .removed {
                let text = "\(item.kind == .ram ? "RAM" : "not in memblock") \(ByteCount.human(item.range.size))"
                let w = SVGCanvas.textWidth(text, size: Self.labelSize)
                if w + 8 < e.w, inside.place(center: e.x + e.w / 2, width: w) != nil {
                    c.text(e.x + e.w / 2, bankY + 15, text, size: Self.labelSize, anchor: .middle, fill: "#37474f")
                }
            }
        }
        let resY = bankY + bankH + 3, resH = 18.0
        for item in model.reserved {
            let e = axis.extent(item.range, minWidth: 2)
            c.rect(e.x, resY, e.w, resH, fill: item.kind.fill, stroke: "#424242", strokeWidth: 0.4, extra: Self.data(item),
                   title: item.title)
        }
        c.y = resY + resH
        crossMarks(&c, from: bankY - 2, to: c.y + 2)
        labels(&c, for: model.reserved + model.memory.filter { $0.kind == .nomap }, rows: 3, from: resY + resH)
    }

    /// Returns the crash main region's pixel box, for the inset's connectors.
    private func crashLane(_ c: inout SVGCanvas) -> (x: Double, w: Double, bottom: Double)? {
        title(&c, "crash kernel — crashk_res / crashk_low_res and the kexec -p segments in it; dashed: windows searched in vain")
        let y = c.y, h = 26.0
        var main: (Double, Double, Double)?
        for item in model.searched {
            let e = axis.extent(item.range, minWidth: 2)
            c.rect(e.x, y + 1, e.w, h - 2, fill: "none", stroke: SVGMapModel.Kind.crashkernel.fill, strokeWidth: 1.2, dash: "5,3",
                   extra: Self.data(item), title: item.title)
        }
        var named = LabelRows(rows: 1, minX: left, maxX: right)
        for item in model.crash {
            let e = axis.extent(item.range, minWidth: 3)
            c.rect(e.x, y, e.w, h, fill: item.kind.fill, stroke: "#880e4f", strokeWidth: 1, extra: Self.data(item), title: item.title)
            if item.kind == .crashkernel {
                main = (e.x, e.w, y + h)
                for s in model.kdump?.segments ?? [] {
                    let se = axis.extent(s.range, minWidth: 1)
                    c.rect(se.x, y + 6, se.w, h - 12, fill: s.name.fill, extra: [("class", "kexec-segment-small")],
                           title: "\(s.name.rawValue) \(s.range)")
                }
            }
            let text = "\(item.name) \(ByteCount.human(item.range.size))"
            let w = SVGCanvas.textWidth(text, size: 11)
            if w + 8 < e.w, named.place(center: e.x + e.w / 2, width: w) != nil {
                c.text(e.x + e.w / 2, y + h - 4, text, size: 11, anchor: .middle, fill: "#ffffff", bold: true)
            }
        }
        c.y = y + h
        crossMarks(&c, from: y - 2, to: c.y + 2)
        if model.crash.isEmpty && model.searched.isEmpty {
            c.text(left, y + 17, SVGCanvas.clip("nothing reserved — \(model.nothingReserved ?? "")", columns: 150), size: 12,
                   fill: "#b71c1c", bold: true)
        }
        var edges: [SVGMapModel.Item] = []
        for item in model.crash {
            edges.append(SVGMapModel.Item(range: item.range, kind: item.kind,
                                          name: "\(item.name) \(ByteCount.human(item.range.size)) \(item.range)", title: item.title))
        }
        labels(&c, for: edges + model.searched, rows: 2, from: y + h, withSize: false)
        return main
    }

    private func linearMapLane(_ c: inout SVGCanvas) {
        guard let map = model.linearMap else { return }
        title(&c, "linear map — map_mem() leaves (upper bar) and the best layout the memory map allows (lower bar); red ticks: breaks")
        let g = map.geometry
        // Break numbers, placed in rows above the bar with leader lines.
        var rows = LabelRows(rows: 2, minX: left, maxX: right, gap: 3)
        let numbersTop = c.y
        let barY = numbersTop + 2 * Self.rowHeight + 6, barH = 22.0
        let breakColor = "#b71c1c"
        let breakGroups = groups(map.breaks.map { PhysRange(start: $0.at, end: $0.at) ?? Self.empty })
        for group in breakGroups {
            guard let first = map.breaks[group].first, let last = map.breaks[group].last else { continue }
            let x = axis.x(first.at)
            let text = group.count == 1 ? "\(group.lowerBound + 1)" : "\(group.lowerBound + 1)–\(group.upperBound)"
            let w = SVGCanvas.textWidth(text, size: Self.labelSize)
            var reason = "break \(group.lowerBound + 1) at \(Hex.short(first.at)): \(first.reason)"
            var attributes = [("class", "break"), ("data-at", Hex.short(first.at))]
            if group.count > 1 {
                reason = "\(group.count) breaks from \(Hex.short(first.at)) to \(Hex.short(last.at)), drawn as one; the first: \(first.reason)"
                attributes = [("class", "break-group"), ("data-at", Hex.short(first.at)), ("data-count", String(group.count))]
            }
            c.line(x, barY - 5, x, barY + barH, stroke: breakColor, width: 1.2, extra: attributes, title: reason)
            guard let spot = rows.place(center: x, width: w) else { continue }
            let textY = numbersTop + Self.rowHeight * Double(spot.row + 1)
            c.line(spot.x + w / 2, textY + 2, x, barY - 5, stroke: breakColor, width: 0.6)
            c.text(spot.x, textY, text, size: Self.labelSize, fill: breakColor, bold: true, title: reason)
        }
        runs(&c, map.runs, geometry: g, y: barY, height: barH, kind: "run")
        runs(&c, map.best.runs, geometry: g, y: barY + barH + 3, height: 9, kind: "best-run")
        // Re-draw the ticks' heads over the bar so they stay visible on red pages.
        for group in breakGroups {
            let x = axis.x(map.breaks[group.lowerBound].at)
            c.polygon([(x - 3.5, barY - 6), (x + 3.5, barY - 6), (x, barY + 1)], fill: breakColor)
        }
        c.y = barY + barH + 12
        crossMarks(&c, from: barY - 8, to: c.y - 6)
        if let forced = map.forcedReason {
            c.paragraph("forced to pages: \(forced)", x: left, size: 10.5, lineHeight: 13, fill: "#b71c1c")
        }
    }

    /// One layout's runs, coloured by unit; the largest get their unit written in them. `kind`
    /// is the class of a single run ("run", "best-run"); merged runs get "\(kind)-group".
    private func runs(_ c: inout SVGCanvas, _ runs: [LinearMap.Run], geometry g: LinearMapGeometry, y: Double, height: Double,
                      kind: String) {
        let ranges = runs.map { PhysRange(start: $0.start, end: max($0.start, $0.end)) ?? Self.empty }
        var inside = LabelRows(rows: 1, minX: left, maxX: right)
        for group in groups(ranges) {
            guard let run = runs[group].first else { continue }
            if group.count > 1 {
                let units = Self.tally(runs[group].map { (g.describe(g.unit(of: $0)), $0.size) })
                let dominant = runs[group].first { g.describe(g.unit(of: $0)) == units.first?.name } ?? run
                let r = Self.hull(Array(ranges[group]))
                let e = axis.extent(r, minWidth: 1)
                c.rect(e.x, y, e.w, height, fill: g.fill(g.unit(of: dominant)), extra: [
                    ("class", "\(kind)-group"), ("data-start", Hex.short(r.start)), ("data-end", Hex.short(r.end)),
                    ("data-count", String(group.count)),
                ], title: "\(group.count) runs in \(r), drawn as one: " + Self.describe(units))
                continue
            }
            let r = ranges[group.lowerBound]
            let unit = g.unit(of: run)
            let e = axis.extent(r, minWidth: 1)
            c.rect(e.x, y, e.w, height, fill: g.fill(unit), extra: [
                ("class", kind), ("data-start", Hex.short(run.start)), ("data-end", Hex.short(run.end)),
                ("data-leaf", String(run.leafSize)), ("data-contiguous", run.contiguous ? "true" : "false"),
            ], title: "\(kind == "run" ? "" : "best: ")\(r) \(ByteCount.human(r.size)): \(g.describe(unit))")
            let text = g.describe(unit)
            let size = min(10, height - 2)
            let w = SVGCanvas.textWidth(text, size: size)
            if height >= 12, w + 8 < e.w, inside.place(center: e.x + e.w / 2, width: w) != nil {
                c.text(e.x + e.w / 2, y + height / 2 + size / 2 - 1, text, size: size, anchor: .middle, fill: g.textFill(unit))
            }
        }
    }

    // MARK: - marks across the lanes

    /// Over one lane's body: the guides (4 GiB, arm64_dma_phys_limit), and the holes and
    /// compressed pieces as white bands with zigzag edges.
    private func crossMarks(_ c: inout SVGCanvas, from top: Double, to bottom: Double) {
        for g in model.guides where axis.contains(g.address) {
            let x = axis.x(g.address)
            c.line(x, top, x, bottom, stroke: "#1b5e20", width: 1, dash: "4,3", extra: [("class", "guide")],
                   title: "\(g.label) \(Hex.short(g.address))")
        }
        for gap in axis.gaps {
            let mid = (gap.x0 + gap.x1) / 2
            c.rect(gap.x0 + 2, top, gap.x1 - gap.x0 - 4, bottom - top, fill: "#ffffff", extra: [("class", "hole")],
                   title: "no memory in \(gap.hole) (\(ByteCount.human(gap.hole.size)))")
            zigzag(&c, x: mid, from: top, to: bottom)
        }
        for p in axis.pieces where p.compressed {
            let mid = (p.x0 + p.x1) / 2
            c.rect(mid - 3, top, 6, bottom - top, fill: "#ffffff", extra: [("class", "compressed")],
                   title: "\(p.range): \(ByteCount.human(p.range.size)) drawn compressed")
            zigzag(&c, x: mid - 3, from: top, to: bottom)
            zigzag(&c, x: mid + 3, from: top, to: bottom)
        }
    }

    private func zigzag(_ c: inout SVGCanvas, x: Double, from y0: Double, to y1: Double) {
        var points: [(Double, Double)] = []
        var y = y0
        var flip = false
        while y < y1 {
            points.append((x + (flip ? 2.5 : -2.5), y))
            y += 5
            flip.toggle()
        }
        points.append((x, y1))
        c.polyline(points, stroke: "#757575", width: 0.8)
    }

    // MARK: - the kexec inset

    private func inset(_ c: inout SVGCanvas, _ kdump: KdumpPlan, from main: (x: Double, w: Double, bottom: Double)) {
        let region = kdump.region
        var boundaries: [UInt64] = []
        var important: [PhysRange] = []
        for s in kdump.segments where s.range.overlaps(region) {
            boundaries += [s.start, s.end]
            important.append(s.range)
        }
        for p in kdump.controlPages {
            boundaries += [p.start, p.end]
            important.append(p)
        }
        let inner = AddressAxis(spans: [region], boundaries: boundaries, important: important, x0: left, width: right - left,
                                options: .init(gapWidth: 0, minSpanWidth: 0, thinWidth: 36, importantWidth: 44))
        let status = kdump.fits ? "loads" + (kdump.entry.map { ", entry \(Hex.short($0))" } ?? "") : "DOES NOT LOAD"
        c.y += 10
        let frameTop = c.y
        // Connectors from the crash region on the map to the inset's frame.
        c.polygon([(main.x, main.bottom), (main.x + main.w, main.bottom), (right, frameTop), (left, frameTop)], fill: "#c2185b",
                  opacity: 0.06)
        c.line(main.x, main.bottom, left, frameTop, stroke: "#c2185b", width: 0.6, dash: "3,3")
        c.line(main.x + main.w, main.bottom, right, frameTop, stroke: "#c2185b", width: 0.6, dash: "3,3")
        let titleY = frameTop + 17
        c.text(left + 8, titleY, "zoom: kexec -p with \(kdump.loader) into \(region) \(ByteCount.human(region.size)): \(status)",
               size: 12, fill: kdump.fits ? "#263238" : "#b71c1c", bold: true)
        let nameTop = titleY + 4
        let barY = nameTop + Self.rowHeight + 4, barH = 24.0
        c.rect(left, barY, right - left, barH, fill: "#f8bbd0", stroke: "#880e4f", strokeWidth: 1,
               extra: [("class", "kexec-region"), ("data-start", Hex.short(region.start)), ("data-end", Hex.short(region.end))],
               title: "\(region): free in the crash region")
        var names = LabelRows(rows: 1, minX: left, maxX: right, gap: 4)
        var below = LabelRows(rows: 2, minX: left, maxX: right, gap: 8)
        var items: [(PhysRange, String, String, String)] = kdump.segments.map { s in
            (s.range, s.name.rawValue, s.name.fill,
             "\(s.name.rawValue): mem \(Hex.short(s.start)), memsz \(Hex.short(s.size)) (\(ByteCount.human(s.size))), bufsz \(Hex.short(s.bufsz))")
        }
        items += kdump.controlPages.map { ($0, "control page", "#37474f", "control page \($0) (kimage_alloc_crash_control_pages)") }
        for (r, name, fill, title) in items {
            let e = inner.extent(r, minWidth: 3)
            c.rect(e.x, barY, e.w, barH, fill: fill, stroke: "#212121", strokeWidth: 0.5,
                   extra: [("class", name == "control page" ? "control-page" : "kexec-segment"), ("data-name", name),
                           ("data-start", Hex.short(r.start)), ("data-end", Hex.short(r.end))], title: title)
            let w = SVGCanvas.textWidth(name, size: Self.labelSize)
            if let spot = names.place(center: e.x + e.w / 2, width: w) {
                c.text(spot.x, nameTop + Self.rowHeight, name, size: Self.labelSize, fill: "#263238", title: title)
            }
            let facts = "\(Hex.short(r.start)) \(ByteCount.human(r.size))"
            let fw = SVGCanvas.textWidth(facts, size: Self.labelSize)
            if let spot = below.place(center: e.x + e.w / 2, width: fw) {
                let ty = barY + barH + Self.rowHeight * Double(spot.row + 1)
                c.line(e.x + e.w / 2, barY + barH, e.x + e.w / 2, ty - 9, stroke: "#9e9e9e", width: 0.5)
                c.text(spot.x, ty, facts, size: Self.labelSize, fill: "#455a64", title: title)
            }
        }
        for p in inner.pieces where p.compressed {
            let mid = (p.x0 + p.x1) / 2
            c.rect(mid - 3, barY - 2, 6, barH + 4, fill: "#ffffff", title: "\(p.range): \(ByteCount.human(p.range.size)) drawn compressed")
            zigzag(&c, x: mid - 3, from: barY - 2, to: barY + barH + 2)
            zigzag(&c, x: mid + 3, from: barY - 2, to: barY + barH + 2)
            let text = "≈ \(ByteCount.human(p.range.size))"
            if let spot = below.place(center: mid, width: SVGCanvas.textWidth(text, size: Self.labelSize)) {
                c.text(spot.x, barY + barH + Self.rowHeight * Double(spot.row + 1), text, size: Self.labelSize, fill: "#616161")
            }
        }
        c.y = barY + barH + 2 * Self.rowHeight + 4
        if let failure = kdump.failure {
            for line in failure.messages { c.paragraph(line, x: left + 8, size: 11, lineHeight: 14, fill: "#b71c1c", bold: true) }
        }
        if let m = kdump.minimumRegionSize {
            c.paragraph("smallest region for these inputs: \(Hex.short(m)) (\(ByteCount.human(m)))", x: left + 8, size: 10.5,
                        lineHeight: 13, fill: "#455a64")
        }
        c.y += 8
        c.rect(left - 6, frameTop, right - left + 12, c.y - frameTop, fill: "none", stroke: "#c2185b", strokeWidth: 0.8,
               extra: [("class", "inset")])
        c.y += 6
    }

    // MARK: - helpers

    /// `[0, 0)`, where a range cannot be formed (never, for `start <= end`).
    static let empty = PhysRange(start: 0, end: 0)!

    /// Above this many items a list is drawn pixel by pixel rather than item by item.
    static let detailLimit = 2_000

    /// Index ranges of address-sorted items to draw together: each item alone, unless there are
    /// more than `detailLimit` (a 100,000-region /proc/iomem), when the items that fall within
    /// one pixel are merged, so the document stays proportional to the picture.
    func groups(_ ranges: [PhysRange]) -> [Range<Int>] {
        guard ranges.count > Self.detailLimit else { return ranges.indices.map { $0..<($0 + 1) } }
        var out: [Range<Int>] = []
        var start = 0
        var x0 = axis.x(ranges[0].start)
        for i in 1..<ranges.count where axis.x(ranges[i].end) - x0 > 1 {
            out.append(start..<i)
            start = i
            x0 = axis.x(ranges[i].start)
        }
        out.append(start..<ranges.count)
        return out
    }

    /// Bytes per name, largest first (ties in first-seen order).
    static func tally(_ parts: [(String, UInt64)]) -> [(name: String, bytes: UInt64, count: Int)] {
        var out: [(name: String, bytes: UInt64, count: Int)] = []
        for (name, bytes) in parts {
            if let i = out.firstIndex(where: { $0.name == name }) {
                out[i].bytes &+= bytes
                out[i].count += 1
            } else {
                out.append((name, bytes, 1))
            }
        }
        return out.enumerated().sorted { ($0.element.bytes, -$0.offset) > ($1.element.bytes, -$1.offset) }.map(\.element)
    }

    static func describe(_ tally: [(name: String, bytes: UInt64, count: Int)]) -> String {
        tally.map { "\($0.name) \(ByteCount.human($0.bytes)) in \($0.count)" }.joined(separator: ", ")
    }

    /// The smallest range holding all of `ranges` (not empty).
    static func hull(_ ranges: [PhysRange]) -> PhysRange {
        let start = ranges.map(\.start).min() ?? 0
        return PhysRange(start: start, end: max(start, ranges.map(\.end).max() ?? start)) ?? empty
    }

    /// Labels under a row of items: items closer than 4 px are clustered under one label naming
    /// the largest; each label hangs from its items by a leader line.
    private func labels(_ c: inout SVGCanvas, for items: [SVGMapModel.Item], rows: Int, from y: Double, withSize: Bool = true) {
        var clusters: [(x0: Double, x1: Double, items: [SVGMapModel.Item])] = []
        for item in items.sorted(by: { $0.range < $1.range }) {
            let e = axis.extent(item.range, minWidth: 2)
            if let last = clusters.last, e.x <= last.x1 + 4 {
                clusters[clusters.count - 1].x1 = max(last.x1, e.x + e.w)
                clusters[clusters.count - 1].items.append(item)
            } else {
                clusters.append((e.x, e.x + e.w, [item]))
            }
        }
        // Largest first, so the labels that matter win the space.
        let largest = clusters.map { $0.items.map(\.range.size).max() ?? 0 }
        let order = clusters.indices.sorted { largest[$0] != largest[$1] ? largest[$0] > largest[$1] : $0 < $1 }
        var placed = LabelRows(rows: rows, minX: left, maxX: right)
        for i in order.prefix(400) {
            let cluster = clusters[i]
            guard let biggest = cluster.items.max(by: { ($0.range.size, $1.range.start) < ($1.range.size, $0.range.start) }) else { continue }
            var text = withSize ? "\(SVGCanvas.clip(biggest.name, columns: 28)) \(ByteCount.human(biggest.range.size))" : biggest.name
            if cluster.items.count > 1 { text += " +\(cluster.items.count - 1)" }
            let w = SVGCanvas.textWidth(text, size: Self.labelSize)
            let centre = (cluster.x0 + cluster.x1) / 2
            guard let spot = placed.place(center: centre, width: w) else { continue }
            let ty = y + Self.rowHeight * Double(spot.row + 1)
            let anchor = min(max(centre, spot.x), spot.x + w)
            c.line(centre, y, anchor, ty - 9, stroke: "#9e9e9e", width: 0.5)
            var title = cluster.items.prefix(24).map(\.title).joined(separator: "\n")
            if cluster.items.count > 24 { title += "\n… \(cluster.items.count - 24) more" }
            c.text(spot.x, ty, text, size: Self.labelSize, fill: "#37474f", title: title)
        }
        c.y = y + Self.rowHeight * Double(rows) + 2
    }

    static func data(_ item: SVGMapModel.Item) -> [(String, String)] {
        [("class", item.kind.rawValue), ("data-start", Hex.short(item.range.start)), ("data-end", Hex.short(item.range.end)),
         ("data-size", String(item.range.size))]
    }
}

extension AddressAxis {
    /// Whether an address lies inside one of the spans (not in a hole, not beyond the ends).
    func contains(_ address: UInt64) -> Bool {
        spans.contains { $0.range.start <= address && address <= $0.range.end }
    }
}
