/// `ckplan diff` output: text and JSON (schema `ckplan/diff/1`, documented in the README).
public enum DiffReport {
    static func range(_ r: PhysRange?) -> JSON { r.map { JSON.range($0) } ?? .null }

    /// B minus A as a JSON number, exact for any two UInt64 (a negative beyond Int64 is written as text).
    static func delta(_ a: UInt64, _ b: UInt64) -> JSON {
        b >= a ? .int(b - a) : (a - b <= UInt64(Int64.max) ? .signed(-Int64(a - b)) : .number("-\(a - b)"))
    }

    static func side(_ f: PlanFacts) -> JSON {
        .object([("label", .string(f.label)), ("kernel", .string(f.kernel)), ("commandLine", .string(f.commandLine)),
                 ("outcome", .string(f.outcome))])
    }

    static func changes(_ list: [PlanDiff.RangeChange]) -> JSON {
        .array(list.map { .object([("name", .string($0.name)), ("change", .string($0.kind.rawValue)), ("a", range($0.a)), ("b", range($0.b))]) })
    }

    static func lines(_ list: [PlanDiff.LineChange]) -> JSON {
        .array(list.map { .object([("op", .string($0.removed ? "-" : "+")), ("text", .string($0.text))]) })
    }

    static func leaf(_ l: PlanFacts.Leaf?) -> JSON {
        l.map { .object([("leafSize", .int($0.size)), ("contiguous", .bool($0.contiguous))]) } ?? .null
    }

    public static func json(_ d: PlanDiff) -> JSON {
        var linearMap: JSON = .null
        if let ma = d.a.linearMap, let mb = d.b.linearMap {
            func pages(_ m: PlanFacts.LinearMapFacts) -> JSON {
                .object(m.tablePages.map { ($0.level, .int($0.pages)) } + [("allocated", .int(m.allocatedTablePages)), ("bytes", .int(m.tablePageBytes))])
            }
            let levels = zip(ma.tablePages, mb.tablePages).map { ($0.0.level, delta($0.0.pages, $0.1.pages)) }
            linearMap = .object([
                ("changes", .array(d.leafChanges.map {
                    .object([("start", .int($0.range.start)), ("end", .int($0.range.end)), ("a", leaf($0.a)), ("b", leaf($0.b))])
                })),
                ("tablePages", .object([
                    ("a", pages(ma)), ("b", pages(mb)),
                    ("delta", .object(levels + [("allocated", delta(ma.allocatedTablePages, mb.allocatedTablePages)),
                                                ("bytes", delta(ma.tablePageBytes, mb.tablePageBytes))])),
                ])),
                ("leafEntries", .array(d.leafEntries.map {
                    .object([("leafSize", .int($0.leaf.size)), ("contiguous", .bool($0.leaf.contiguous)),
                             ("a", .int($0.a)), ("b", .int($0.b)), ("delta", delta($0.a, $0.b))])
                })),
                ("netCost", JSON.optional(d.netCost) { .string($0) }),
            ])
        }
        var kexec: JSON = .null
        if d.a.kexec != nil || d.b.kexec != nil {
            func fits(_ k: PlanFacts.KexecFacts?) -> JSON { k.map { .bool($0.fits) } ?? .null }
            kexec = .object([
                ("loader", .object([("a", JSON.optional(d.a.kexec?.loader) { .string($0) }), ("b", JSON.optional(d.b.kexec?.loader) { .string($0) })])),
                ("fits", .object([("a", fits(d.a.kexec)), ("b", fits(d.b.kexec))])),
                ("segments", changes(d.segments)),
                ("relocationBytes", .object([("a", JSON.optional(d.a.kexec?.relocationBytes) { .int($0) }),
                                             ("b", JSON.optional(d.b.kexec?.relocationBytes) { .int($0) })])),
            ])
        }
        return .object([
            ("schema", .string("ckplan/diff/1")),
            ("a", side(d.a)),
            ("b", side(d.b)),
            ("identical", .bool(d.identical)),
            ("changed", .array(d.scalars.map { .object([("field", .string($0.field)), ("a", .string($0.a)), ("b", .string($0.b))]) })),
            ("reservation", .object([
                ("regions", changes(d.regions)),
                ("kexecCrashSize", .object([("a", .int(d.a.kexecCrashSize)), ("b", .int(d.b.kexecCrashSize)),
                                            ("delta", delta(d.a.kexecCrashSize, d.b.kexecCrashSize))])),
            ])),
            ("dmesg", lines(d.dmesg)),
            ("iomem", lines(d.iomem)),
            ("linearMap", linearMap),
            ("kexec", kexec),
        ])
    }

    static func describe(_ c: PlanDiff.RangeChange) -> String {
        func r(_ x: PhysRange) -> String { "\(Table.hex(x.start))-\(Table.hex(x.end)) (\(ByteCount.human(x.size)))" }
        switch (c.a, c.b) {
        case let (a?, b?) where a == b: return r(a)
        case let (a?, b?): return "\(r(a)) -> \(r(b))"
        case let (a?, nil): return r(a)
        case let (nil, b?): return r(b)
        case (nil, nil): return ""
        }
    }

    static func rangeTable(_ list: [PlanDiff.RangeChange]) -> String {
        var t = Table()
        for c in list { t.add([c.name, c.kind.rawValue, describe(c)]) }
        return t.render(indent: 2)
    }

    public static func text(_ d: PlanDiff) -> String {
        var out = "A: \(d.a.label)\nB: \(d.b.label)\n"
        if d.identical { return out + "\nno differences: same reservation, kernel log, linear map and kexec segments\n" }
        if !d.scalars.isEmpty {
            out += "\n"
            var t = Table()
            for s in d.scalars { t.add([s.field, s.a, "->", s.b]) }
            out += t.render(indent: 0)
        }
        out += "\nreservation: \(d.a.outcome == d.b.outcome ? d.a.outcome : "\(d.a.outcome) -> \(d.b.outcome)")\n"
        out += d.regions.isEmpty ? "  no regions on either side\n" : rangeTable(d.regions)
        if d.a.kexecCrashSize != d.b.kexecCrashSize {
            out += "  /sys/kernel/kexec_crash_size: \(d.a.kexecCrashSize) -> \(d.b.kexecCrashSize)\n"
        }
        for (title, list) in [("dmesg", d.dmesg), ("/proc/iomem", d.iomem)] where !list.isEmpty {
            out += "\n\(title):\n" + list.map { "  \($0.removed ? "-" : "+") \($0.text)\n" }.joined()
        }
        if let ma = d.a.linearMap, let mb = d.b.linearMap {
            out += "\nlinear map:\n"
            if d.leafChanges.isEmpty { out += "  same runs\n" }
            let pageSize = d.a.pageSize == d.b.pageSize ? d.a.pageSize : 0
            func name(_ l: PlanFacts.Leaf?) -> String { l.map { d.leafName($0, pageSize: pageSize) } ?? "not mapped" }
            var t = Table()
            for c in d.leafChanges {
                t.add([Table.hex(c.range.start) + "-" + Table.hex(c.range.end), ByteCount.human(c.range.size), name(c.a), "->", name(c.b)])
            }
            out += t.render(indent: 2)
            let levels = zip(ma.tablePages, mb.tablePages).filter { $0.0.pages != $0.1.pages }
                .map { "\($0.0.level) \(PlanDiff.signed($0.0.pages, $0.1.pages))" }
            out += "  page tables: \(PlanReport.grouped(ma.allocatedTablePages)) -> \(PlanReport.grouped(mb.allocatedTablePages)) pages"
            out += levels.isEmpty ? "\n" : " (\(levels.joined(separator: ", ")))\n"
            let leaves = d.leafEntries.filter { $0.a != $0.b }.map { "\(name($0.leaf)) \(PlanReport.grouped($0.a)) -> \(PlanReport.grouped($0.b))" }
            if !leaves.isEmpty { out += "  leaf entries: \(leaves.joined(separator: "; "))\n" }
            out += "  net: \(d.netCost ?? "no change in page tables or leaf entries")\n"
        } else if (d.a.linearMap == nil) != (d.b.linearMap == nil) {
            out += "\nlinear map: only \(d.a.linearMap == nil ? "B" : "A") has one\n"
        }
        if d.a.kexec != nil || d.b.kexec != nil {
            let ka = d.a.kexec, kb = d.b.kexec
            func fit(_ k: PlanFacts.KexecFacts?) -> String {
                k.map { "\($0.fits ? "fits" : "does not fit (\($0.error ?? "?"))") with \($0.loader)" } ?? "not planned"
            }
            out += "\nkexec -p: \(fit(ka) == fit(kb) ? fit(ka) : "\(fit(ka)) -> \(fit(kb))")\n"
            if !d.segments.isEmpty { out += rangeTable(d.segments) }
            if let x = ka?.relocationBytes, let y = kb?.relocationBytes, x != y {
                out += "  kexec -l relocation: \(ByteCount.human(x)) -> \(ByteCount.human(y)) copied\n"
            }
        }
        return out
    }
}
