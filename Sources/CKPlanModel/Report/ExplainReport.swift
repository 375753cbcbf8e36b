/// `ckplan explain`: every decision of the reservation, in order, with its kernel source — the
/// boot steps that filled memblock, each window searched, the free blocks in it, what occupies
/// the rest, and for a failure the largest block that would have fitted and what would work.
public enum ExplainReport {
    public static func text(_ plan: Plan) -> String {
        let boot = plan.boot
        let version = plan.request.profile.version
        var out = "kernel \(version) (\(plan.request.profile.name)); command line: \(plan.request.commandLine)\n"
        out += "\n1. memblock before the reservation (setup_arch → bootmem_init, in order):\n"
        for (i, s) in boot.steps.enumerated() {
            let ranges = s.ranges.map(\.description).joined(separator: " ")
            out += "   1.\(i + 1) \(s.what): \(ranges.isEmpty ? "-" : ranges) — \(s.source)\(s.estimated ? " (estimated size)" : "")\n"
        }
        out += "\n2. arm64_dma_phys_limit = \(Hex.short(boot.dmaLimit)) (CRASH_ADDR_LOW_MAX; arch/arm64/mm/init.c zone_sizes_init)\n"
        guard let parse = boot.parse else {
            out += "\n3. no crashkernel= parse ran (reservation \(boot.deferred ? "deferred" : "early") path not reached)\n"
            return out
        }
        out += "\n3. crashkernel= (parse_crashkernel: kernel/crash_core.c ≤6.8, kernel/crash_reserve.c 6.9+): "
        switch parse.outcome {
        case .absent: out += "absent: nothing reserved\n"
        case .reservesNothing: out += "asks for nothing (size 0): nothing reserved\n"
        case .invalid: out += "rejected: \(parse.messages.map(\.text).joined(separator: "; "))\n"
        case .request(let r):
            out += "size \(Hex.short(r.size))\(r.base != 0 ? " at \(Hex.short(r.base))" : "")\(r.high ? ",high" : "")"
            out += r.lowGiven ? ", low \(Hex.short(r.lowSize))\n" : "\n"
        }
        guard let crash = boot.crash, let before = boot.memblockBeforeCrash else { return out }
        out += "\n4. the search (memblock_phys_alloc_range: top-down, 2 MiB aligned; kernel-rules.md §3.1, §4):\n"
        let free = before.freeRanges().map(\.range)
        for (i, a) in crash.attempts.enumerated() {
            out += "   4.\(i + 1) \(a.what), \(ByteCount.human(a.size)) in \(a.window.map(\.description) ?? "-"): "
            out += a.result.map { "→ \($0)\n" } ?? "→ no room\n"
            guard let window = a.window else { continue }
            let inWindow = free.compactMap { $0.intersection(window) }.filter { !$0.isEmpty }.sorted()
            let largest = inWindow.map { largestAligned($0) }.max() ?? 0
            out += "       free in the window: \(inWindow.isEmpty ? "nothing" : inWindow.map { "\($0) (\(ByteCount.human($0.size)))" }.joined(separator: ", "))\n"
            out += "       largest 2 MiB-aligned block: \(ByteCount.human(largest))\n"
            let occupants = boot.steps.filter { $0.ranges.contains { $0.overlaps(window) } }.map(\.what)
            if !occupants.isEmpty { out += "       the rest is taken by: \(occupants.joined(separator: ", "))\n" }
            if a.result == nil && largest > 0 {
                out += "       would fit: crashkernel=\(largest >> 20)M (the largest block)\n"
            }
        }
        out += "\n5. outcome: \(plan.outcome.rawValue)\n" + boot.dmesg.map { "   \($0)\n" }.joined()
        if plan.outcome == .failed {
            out += "   what would work instead: a size up to the largest block above"
            out += ", or `,high` (searched above the DMA limit first on 6.5+, from 0 on 5.19–6.4)"
            out += ", or a kernel with the fallback to high memory (6.2+ for a plain size)\n"
        }
        if let kdump = plan.kdump {
            out += "\n6. " + KexecReport.explain(kdump, relocation: plan.relocation, inCrashKernel: plan.loadIntoCrashKernel).map { "\($0)\n" }.joined()
        }
        return out
    }

    /// The largest 2 MiB-aligned block inside `r` (CRASH_ALIGN).
    static func largestAligned(_ r: PhysRange) -> UInt64 {
        let align: UInt64 = 2 << 20
        let (up, overflow) = r.start.addingReportingOverflow(align - 1)
        guard !overflow else { return 0 }
        let start = up / align * align
        let end = r.end / align * align
        return end > start ? end - start : 0
    }
}
