extension LinearMap {
    /// The value of the report's `"linearMap"` key: the cli-contract keys `runs`, `breaks` and
    /// `tablePages` first, then `allocatedTablePages`, `tablePageBytes`, `leafEntries`,
    /// `forcedPages` (the reason, or null), `geometry`, the `best` layout and the `cost`
    /// (actual minus best).
    public func json() -> JSON {
        var items = Self.layoutItems(layout)
        items.insert(("breaks", .array(breaks.map { .object([("at", .int($0.at)), ("reason", .string($0.reason))]) })), at: 1)
        items.append(("forcedPages", JSON.optional(forcedReason) { .string($0) }))
        items.append(("geometry", .object([
            ("pageSize", .int(geometry.pageSize)), ("vaBits", .int(UInt64(geometry.vaBits))),
            ("levels", .int(UInt64(geometry.levels))), ("memstartAddr", .int(geometry.memstartAddr)),
        ])))
        items.append(("best", .object(Self.layoutItems(best))))
        items.append(("cost", .object([
            ("tablePages", .int(layout.tablePages.allocated &- best.tablePages.allocated)),
            ("tablePageBytes", .int(layout.tablePageBytes &- best.tablePageBytes)),
        ])))
        return .object(items)
    }

    private static func layoutItems(_ l: Layout) -> [(String, JSON)] {
        let t = l.tablePages
        return [
            ("runs", .array(l.runs.map {
                .object([("start", .int($0.start)), ("end", .int($0.end)), ("leafSize", .int($0.leafSize)), ("contiguous", .bool($0.contiguous))])
            })),
            ("tablePages", .object([("pgd", .int(t.pgd)), ("p4d", .int(t.p4d)), ("pud", .int(t.pud)), ("pmd", .int(t.pmd)), ("pte", .int(t.pte))])),
            ("allocatedTablePages", .int(t.allocated)),
            ("tablePageBytes", .int(l.tablePageBytes)),
            ("leafEntries", .array(l.leafEntries.map {
                .object([("leafSize", .int($0.leafSize)), ("contiguous", .bool($0.contiguous)), ("entries", .int($0.entries))])
            })),
        ]
    }

    /// One row per run: PA range, size (right-aligned), leaf and CONT, e.g.
    /// `0x40000000-0x40200000    2 MiB  2 MiB blocks`.
    public func textTable() -> Table {
        let width = runs.map { max(1, (64 - $0.end.leadingZeroBitCount + 3) / 4) }.max() ?? 1
        var table = Table(rightAligned: [1])
        for run in runs {
            table.cell { cell in
                cell.hex(run.start, width: width, prefix: true)
                cell.append("-")
                cell.hex(run.end, width: width, prefix: true)
            }
            table.cell { $0.byteCount(run.size) }
            table.cell { cell in
                cell.byteCount(run.leafSize)
                cell.append(run.leafSize == geometry.pageSize ? " pages" : " blocks")
                if run.contiguous { cell.append(" CONT") }
            }
            table.endRow()
        }
        return table
    }

    /// `textTable()` as lines.
    public func textLines() -> [String] {
        textTable().render().split(separator: "\n").map(String.init)
    }
}
