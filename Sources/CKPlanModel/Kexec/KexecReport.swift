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
    public static func json(_ plan: KdumpPlan, relocation: KexecRelocationPlan?) -> JSON {
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
        fields.append(("notes", .array((plan.notes + (relocation?.notes ?? [])).map { .string($0.description) })))
        return .object(fields)
    }

    /// An aligned table of the segments, then the outcome, as lines.
    public static func text(_ plan: KdumpPlan, relocation: KexecRelocationPlan?) -> [String] {
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
        lines += (plan.notes + (relocation?.notes ?? [])).map { "  \($0)" }
        return lines
    }
}
