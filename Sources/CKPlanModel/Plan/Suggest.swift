/// `ckplan suggest`: the smallest `crashkernel=` that this kernel reserves on this machine and
/// that holds the capture kernel, whether `,high` is better here, and how the distributions'
/// defaults fare. Every answer is a plan (`Planner.plan`) of the candidate command line, so it
/// is exactly what `ckplan plan --cmdline '<kept parameters> crashkernel=…'` reports.
public struct SuggestRequest: Sendable {
    /// The plan request as given; its command line's `crashkernel=` tokens are replaced.
    public var base: PlanRequest
    /// The capture kernel's command line is the booted one (no `--kexec-append`), so it changes
    /// with each candidate as it would for `ckplan plan`.
    public var captureCommandLineFollows: Bool

    public init(base: PlanRequest, captureCommandLineFollows: Bool) {
        self.base = base
        self.captureCommandLineFollows = captureCommandLineFollows
    }
}

/// One candidate command line, planned.
public struct SuggestTrial: Sendable {
    public enum Verdict: String, Sendable, Equatable {
        /// Reserved, and `kexec -p` loads into it.
        case works
        /// Reserved, but the capture kernel does not fit: too small.
        case captureDoesNotFit
        /// Reserved, but no region size would hold the capture kernel (DTB too big, …).
        case captureNeverFits
        /// Not reserved (failed, rejected, or nothing asked).
        case notReserved
    }

    /// The `crashkernel=` size, a multiple of CRASH_ALIGN.
    public var size: UInt64
    /// `crashkernel=38M` or `crashkernel=38M,high`, as put on the command line.
    public var parameter: String
    public var plan: Plan
    public var verdict: Verdict
    /// One line: where it landed and the spare room, or why it does not work.
    public var why: String
}

/// The search for the smallest size of one form.
public struct SizeSearch: Sendable {
    public enum Form: String, Sendable, Equatable {
        case plain
        case high
    }

    public var form: Form
    /// The smallest size that works.
    public var answer: SuggestTrial?
    /// The answer minus one CRASH_ALIGN step, planned: why it does not work. nil when the answer
    /// is one step (one step less is `crashkernel=0`, which reserves nothing).
    public var smaller: SuggestTrial?
    /// When nothing works: the plan that shows why, and the reason.
    public var failure: SuggestTrial?
    public var failureReason: String?
    /// Every plan the search ran, by size.
    public var trials: [SuggestTrial]
}

/// What one form of the same size costs: memory below the DMA limit and 4 GiB, and the linear map.
public struct FormCost: Sendable {
    public var trial: SuggestTrial
    /// Bytes of the crash regions below `arm64_dma_phys_limit` (the `,low` region included).
    public var belowDMALimit: UInt64
    public var below4GiB: UInt64
    /// The linear map's page-table pages and leaf entries with this command line.
    public var tablePages: UInt64
    public var leafEntries: UInt64
    /// Table pages more (or fewer) than the same boot without `crashkernel=`.
    public var tablePagesVsNone: Int64
    /// Why crashkernel= does or does not change map_mem on this kernel (kernel-rules.md §6.2).
    public var linearMapEffect: String
}

/// `SIZE` against `SIZE,high` on this machine and kernel, and which to use.
public struct HighAdvice: Sendable {
    public var size: UInt64
    public var plain: FormCost
    public var high: FormCost
    /// nil when neither form works.
    public var recommendation: SizeSearch.Form?
    public var reason: String
}

/// One distribution default, evaluated.
public struct DistroEvaluation: Sendable {
    public var entry: DistroDefault
    public var plan: Plan
    /// The size the kernel's parser selected; nil when it selected nothing or rejected the value.
    public var selected: UInt64?
    /// The system RAM a range list was compared with (rounded as the kernel rounds it).
    public var rangeSystemRAM: UInt64?
    /// reserved / failed / none / invalid, as `ckplan plan`.
    public var outcome: Plan.Outcome
    /// Whether `kexec -p` loads; nil when nothing was reserved.
    public var fits: Bool?
    /// Region size minus the smallest region the capture kernel fits in.
    public var spare: UInt64?
    /// The pitfalls this default hits here, one line each.
    public var pitfalls: [String]
    /// One line: what happened.
    public var summary: String
}

public struct Suggestion: Sendable {
    public var request: SuggestRequest
    /// The command line without its `crashkernel=` tokens, which every candidate extends.
    public var keptCommandLine: String
    /// The tokens removed (the kernel finds `crashkernel=` anywhere, also inside other tokens and after `--`).
    public var removed: [String]
    /// The same boot without `crashkernel=`: the linear map to compare with.
    public var baseline: Plan
    public var plain: SizeSearch
    /// nil when this kernel does not parse `,high` on arm64 (before 5.19).
    public var high: SizeSearch?
    public var highUnavailable: String?
    public var advice: HighAdvice?
    public var distros: [DistroEvaluation]

    /// 0 when some `crashkernel=` works, 1 when none does.
    public var exitStatus: Int32 { plain.answer != nil || high?.answer != nil ? 0 : 1 }

    /// The recommended parameter, if any.
    public var best: SuggestTrial? {
        switch advice?.recommendation {
        case .high: high?.answer
        case .plain: plain.answer
        case nil: plain.answer ?? high?.answer
        }
    }
}

public enum Suggester {
    /// Candidate sizes are multiples of CRASH_ALIGN: the kernel places the region at a 2 MiB
    /// aligned base, so a size between two steps holds nothing more than the smaller step does
    /// for the 2 MiB-aligned Image kexec puts at its start, and `crashkernel=` is written in M.
    public static let step = ReserveCrashkernel.crashAlign

    public static func suggest(_ request: SuggestRequest) -> Suggestion {
        let (kept, removed) = stripCrashkernel(request.base.commandLine)
        let baseline = Planner.plan(candidate(request, kept: kept, parameter: nil))
        let plain = search(request, kept: kept, form: .plain, hint: nil)
        var high: SizeSearch?
        var highUnavailable: String?
        if ReserveCrashkernelRules.rules(for: request.base.profile.version).highSearchBase == nil {
            highUnavailable = "arm64 parses `crashkernel=X,high` from 5.19; \(request.base.profile.version) ignores it and reserves nothing"
        } else {
            let hint = (plain.trials.compactMap { $0.plan.kdump?.minimumRegionSize }).max()
            high = search(request, kept: kept, form: .high, hint: hint)
        }
        var s = Suggestion(request: request, keptCommandLine: kept, removed: removed, baseline: baseline, plain: plain,
                           high: high, highUnavailable: highUnavailable, advice: nil, distros: [])
        s.advice = advise(s)
        s.distros = DistroDefault.all.map { evaluate($0, s) }
        return s
    }

    // MARK: - Command lines

    /// Removes every token the kernel could take for `crashkernel=`: `get_last_crashkernel` finds
    /// the string anywhere (`foo.crashkernel=`, after `--`), and a bare `crashkernel` still sets
    /// 5.10–6.3's crash_mem_map. The other tokens are kept byte for byte, in order.
    public static func stripCrashkernel(_ commandLine: String) -> (kept: String, removed: [String]) {
        let line = KernelCommandLine(commandLine)
        let needle = Array("crashkernel=".utf8)
        var kept: [String] = []
        var removed: [String] = []
        for p in line.parameters {
            let token = Array(line.bytes[p.tokenRange])
            let text = String(decoding: token, as: UTF8.self)
            let containsNeedle = token.count >= needle.count
                && (0...(token.count - needle.count)).contains(where: { token[$0..<($0 + needle.count)].elementsEqual(needle) })
            if containsNeedle || KernelCommandLine.parameq(p.name, Array("crashkernel".utf8)) {
                removed.append(text)
            } else {
                kept.append(text)
            }
        }
        return (kept.joined(separator: " "), removed)
    }

    /// `38M`, `1G`: the memparse spelling of a CRASH_ALIGN multiple.
    public static func sizeText(_ size: UInt64) -> String {
        size % (1 << 30) == 0 ? "\(size >> 30)G" : "\(size >> 20)M"
    }

    static func parameter(_ size: UInt64, _ form: SizeSearch.Form) -> String {
        "crashkernel=\(sizeText(size))\(form == .high ? ",high" : "")"
    }

    /// The request with `parameter` appended to the kept command line.
    static func candidate(_ r: SuggestRequest, kept: String, parameter: String?) -> PlanRequest {
        var request = r.base
        let line = [kept, parameter ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        request.commandLine = line
        if r.captureCommandLineFollows, request.kexec != nil {
            request.kexec?.commandLine = line.isEmpty ? nil : line
        }
        return request
    }

    // MARK: - The search

    static func trial(_ r: SuggestRequest, kept: String, size: UInt64, form: SizeSearch.Form) -> SuggestTrial {
        let p = parameter(size, form)
        let plan = Planner.plan(candidate(r, kept: kept, parameter: p))
        let verdict: SuggestTrial.Verdict
        if plan.outcome != .reserved {
            verdict = .notReserved
        } else if let kdump = plan.kdump, !kdump.fits {
            verdict = kdump.minimumRegionSize == nil ? .captureNeverFits : .captureDoesNotFit
        } else {
            verdict = .works
        }
        var t = SuggestTrial(size: size, parameter: p, plan: plan, verdict: verdict, why: "")
        t.why = describe(t)
        return t
    }

    /// The smallest working multiple of CRASH_ALIGN, in O(log) plans.
    ///
    /// Two facts bound it. Whether the region holds the capture kernel depends on its size (kexec
    /// places everything relative to the 2 MiB-aligned start; the DTB's bootargs and the ELF
    /// header's range count move it by a page at most), and grows with it; and
    /// whether the kernel reserves a size shrinks with it (every window is searched top-down for
    /// one block: a smaller size fits wherever a larger one does). So the working sizes are one
    /// interval, and the capture kernel's own minimum (`KdumpPlan.minimumRegionSize`, from a
    /// one-step probe) is where it starts: plan that, rounded up to a step, then one step less.
    /// A bisection covers a minimum that moves with the candidate.
    /// One exception to the second fact, `,high` on 6.2+ when the low memory cannot take the
    /// default 128 MiB low region (a small size lands high and needs it, a larger one falls back
    /// below the DMA limit and does not): `hint`, the capture kernel's size from the plain search,
    /// is then tried as well.
    static func search(_ r: SuggestRequest, kept: String, form: SizeSearch.Form, hint: UInt64?) -> SizeSearch {
        var result = SizeSearch(form: form, answer: nil, smaller: nil, failure: nil, failureReason: nil, trials: [])
        func run(_ k: UInt64) -> SuggestTrial {
            if let t = result.trials.first(where: { $0.size == k &* step }) { return t }
            let t = trial(r, kept: kept, size: k &* step, form: form)
            result.trials.append(t)
            return t
        }
        // No size at or above the machine's RAM reserves (6.12 rejects it; before, no block is that large).
        let maxSteps = max(1, r.base.machine.totalMemory / step)
        let probe = run(1)
        var lo = probe
        var hi: SuggestTrial? = probe.verdict == .works ? probe : nil
        var next: UInt64? = switch probe.verdict {
        case .works: nil
        case .captureDoesNotFit: probe.plan.kdump?.minimumRegionSize
        case .captureNeverFits: nil
        case .notReserved: hint
        }
        var failure: SuggestTrial? = hi == nil ? probe : nil
        var rounds = 0
        while hi == nil, let need = next, rounds < 64 {
            rounds += 1
            var k = max(need / step + (need % step == 0 ? 0 : 1), lo.size / step + 1)
            if rounds > 4 { k = max(k, 2 * (lo.size / step)) }
            guard k <= maxSteps else {
                failure = lo
                result.failureReason = "the capture kernel needs \(ByteCount.human(need)), and no size from \(sizeText(k * step)) up is below this machine's \(ByteCount.human(r.base.machine.totalMemory)) of RAM"
                break
            }
            let t = run(k)
            switch t.verdict {
            case .works: hi = t
            case .captureDoesNotFit:
                lo = t
                next = t.plan.kdump?.minimumRegionSize
            case .captureNeverFits, .notReserved:
                failure = t
                next = nil
            }
        }
        guard var answer = hi else {
            let shown = failure ?? lo
            result.failure = shown
            if result.failureReason == nil {
                result.failureReason = shown.verdict == .notReserved && shown.size > step
                    ? "\(shown.parameter), the smallest size the capture kernel fits in, is not reserved: \(shown.why)"
                    : "\(shown.parameter): \(shown.why)"
            }
            return result
        }
        // One step less, then bisection if that works too.
        if answer.size / step - lo.size / step > 1 {
            let below = run(answer.size / step - 1)
            if below.verdict == .works { answer = below } else { lo = below }
        }
        while answer.size / step - lo.size / step > 1 {
            let t = run(lo.size / step + (answer.size / step - lo.size / step) / 2)
            if t.verdict == .works { answer = t } else { lo = t }
        }
        result.answer = answer
        result.smaller = answer.size > step ? lo : nil
        return result
    }

    // MARK: - Reasons

    /// One line for a trial.
    static func describe(_ t: SuggestTrial) -> String {
        let plan = t.plan
        switch t.verdict {
        case .works:
            var s = "reserved " + regionsText(plan)
            if let kdump = plan.kdump, let m = kdump.minimumRegionSize {
                s += "; kexec -p loads (needs \(ByteCount.human(m)), \(ByteCount.human(kdump.region.size &- m)) spare)"
            }
            return s
        case .captureDoesNotFit, .captureNeverFits:
            let kdump = plan.kdump
            var s = "reserved \(regionsText(plan)), but kexec -p does not load: \(kdump?.failure?.messages.joined(separator: " / ") ?? "")"
            if let m = kdump?.minimumRegionSize {
                s += " (needs \(ByteCount.human(m)), \(ByteCount.human(m &- (kdump?.region.size ?? 0))) short)"
            } else {
                s += " (no region size holds it)"
            }
            return s
        case .notReserved:
            return whyNotReserved(plan)
        }
    }

    static func regionsText(_ plan: Plan) -> String {
        plan.regions.map { $0.role == "crashkernel" ? "\($0.range)" : "+ low \($0.range)" }.joined(separator: " ")
    }

    /// Why a plan reserves nothing, in the kernel's words where it has any.
    public static func whyNotReserved(_ plan: Plan) -> String {
        guard let parse = plan.boot.parse else { return "the reservation code never ran" }
        let messages = parse.messages.map(\.text)
        switch parse.outcome {
        case .absent:
            return "this kernel finds no crashkernel= it parses: nothing reserved"
        case .reservesNothing(.zeroSize):
            return "size 0: nothing reserved"
        case .reservesNothing(.noRangeMatched):
            let ram = parse.rangeTotalMemory.map { ByteCount.human($0) } ?? "?"
            return "no range contains \(ram) of system RAM\(parse.rules.roundsRangeMemoryTo128M ? " (rounded up to 128 MiB)" : ""): nothing reserved (only \"crashkernel size resulted in zero bytes\")"
        case .invalid(.sizeNotBelowSystemRAM):
            let ram = plan.boot.memblockBeforeCrash.map { ByteCount.human($0.physMemSize) } ?? "?"
            return "rejected without a message: the size is not below system RAM (\(ram); parse_crashkernel 6.12+)"
        case .invalid:
            return "rejected: \(messages.joined(separator: "; "))"
        case .request:
            guard let crash = plan.boot.crash else { return "not reserved" }
            if crash.outcome == .hangs {
                return "the kernel retries the same empty window forever (no DMA zones: CRASH_ADDR_LOW_MAX == CRASH_ADDR_HIGH_MAX): the boot hangs"
            }
            var s = crash.dmesg.joined(separator: "; ")
            if let before = plan.boot.memblockBeforeCrash {
                let free = before.freeRanges().map(\.range)
                let windows = crash.attempts.compactMap { a -> String? in
                    guard let w = a.window else { return nil }
                    let largest = free.compactMap { $0.intersection(w) }.map(ExplainReport.largestAligned).max() ?? 0
                    return "\(a.what) in \(w): largest free 2 MiB-aligned block \(ByteCount.human(largest))"
                }
                if !windows.isEmpty { s += " (" + windows.joined(separator: "; ") + ")" }
            }
            return s
        }
    }

    /// A few words for a table cell: the kernel's message, or what it did silently.
    static func shortReason(_ plan: Plan) -> String {
        guard let parse = plan.boot.parse else { return "not reached" }
        switch parse.outcome {
        case .absent: return "not parsed"
        case .reservesNothing(.zeroSize): return "size 0"
        case .reservesNothing(.noRangeMatched):
            return "no range contains \(ByteCount.human(parse.rangeTotalMemory ?? 0))"
        case .invalid(.sizeNotBelowSystemRAM): return "size not below system RAM (silent)"
        case .invalid: return parse.messages.map { "\"\($0.text)\"" }.joined(separator: ", ")
        case .request:
            if plan.boot.crash?.outcome == .hangs { return "the boot hangs (endless retry)" }
            return (plan.boot.crash?.dmesg ?? []).map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    // MARK: - ,high or not

    static func cost(_ t: SuggestTrial, baseline: Plan) -> FormCost {
        let plan = t.plan
        let limit = plan.boot.dmaLimit
        func below(_ bound: UInt64) -> UInt64 {
            plan.regions.reduce(0) { sum, r in
                sum &+ (PhysRange(start: 0, end: bound).flatMap { r.range.intersection($0) }?.size ?? 0)
            }
        }
        let map = plan.boot.linearMap
        let base = baseline.boot.linearMap
        let pages = map?.layout.tablePages.allocated ?? 0
        let basePages = base?.layout.tablePages.allocated ?? 0
        let delta = Int64(truncatingIfNeeded: pages &- basePages)
        let effect: String
        if plan.boot.linearMapFlags?.crashRegionMappedSeparately == true {
            effect = "the crash region is reserved before map_mem and mapped with pages (early path without DMA zones, 5.10–6.3 crash_mem_map)"
        } else if let reason = map?.forcedReason, base?.forcedReason == nil {
            effect = "crashkernel= forces the whole linear map to pages: \(reason)"
        } else if let reason = base?.forcedReason {
            effect = "all pages without crashkernel= as well (\(reason))"
        } else {
            effect = "crashkernel= does not change map_mem on this kernel (crash_mem_map is gone from 6.4, or the path does not use it)"
        }
        return FormCost(trial: t, belowDMALimit: below(limit), below4GiB: below(4 << 30), tablePages: pages,
                        leafEntries: map.map { PlanReport.entries($0.layout) } ?? 0, tablePagesVsNone: delta,
                        linearMapEffect: effect)
    }

    /// Compares `S` and `S,high` for the suggested size `S` (the plain answer, else the `,high` one).
    static func advise(_ s: Suggestion) -> HighAdvice? {
        guard let high = s.high, let size = (s.plain.answer ?? high.answer)?.size else { return nil }
        let r = s.request
        func at(_ search: SizeSearch) -> SuggestTrial {
            search.trials.first { $0.size == size } ?? trial(r, kept: s.keptCommandLine, size: size, form: search.form)
        }
        let plain = cost(at(s.plain), baseline: s.baseline)
        let highCost = cost(at(high), baseline: s.baseline)
        let (form, reason) = recommend(plain: plain, high: highCost, profile: r.base.profile)
        return HighAdvice(size: size, plain: plain, high: highCost, recommendation: form, reason: reason)
    }

    /// The recommendation and its one-line reason, from the reservation rules of this version
    /// (kernel-rules.md §4) and what the two plans did.
    static func recommend(plain: FormCost, high: FormCost, profile: KernelProfile) -> (SizeSearch.Form?, String) {
        let rules = ReserveCrashkernelRules.rules(for: profile.version)
        let parse = CrashKernelParseRules.rules(for: profile.version)
        let p = plain.trial, h = high.trial
        let limit = p.plan.boot.dmaLimit
        let highWindow: String = switch rules.highSearchBase {
        case .zero?: "searches all RAM top-down (5.19–6.4)"
        case .fourGiB?: "searches from 4 GiB up first (6.5, 6.6)"
        case .dmaLimit?, nil: "searches above arm64_dma_phys_limit first (6.7+)"
        }
        switch (p.verdict == .works, h.verdict == .works) {
        case (false, false):
            return (nil, "neither form works at \(sizeText(p.size)): \(p.why)")
        case (false, true):
            return (.high, "\(p.parameter) does not work (\(p.why)); `,high` \(highWindow)")
        case (true, false):
            return (.plain, "\(h.parameter) does not work: \(h.why)")
        case (true, true):
            break
        }
        var mapNote = ""
        if plain.tablePagesVsNone != high.tablePagesVsNone {
            mapNote = "; linear map: \(plain.tablePagesVsNone) vs \(high.tablePagesVsNone) table pages against no crashkernel="
        }
        let highMain = h.plan.boot.crash?.main
        if let main = highMain, main.end <= limit {
            let memory = p.plan.boot.memblockBeforeCrash?.memory.map(\.range) ?? []
            let why = memory.contains { $0.end > limit } ? "no room above it" : "there is no memory above it"
            return (.plain, "`,high` lands below arm64_dma_phys_limit too (\(why)): it gains nothing" + mapNote)
        }
        if high.belowDMALimit < plain.belowDMALimit {
            if h.plan.boot.crash?.low == nil && parse.defaultLowSize == 0 {
                return (.plain, "`,high` alone reserves no low region on \(profile.version) (no default `,low` before 6.2): the capture kernel would have no memory below arm64_dma_phys_limit for DMA-limited devices; plain fits below it" + mapNote)
            }
            return (.high, "`,high` takes \(ByteCount.human(high.belowDMALimit)) below arm64_dma_phys_limit instead of \(ByteCount.human(plain.belowDMALimit)), leaving ZONE_DMA/DMA32 memory to devices" + mapNote)
        }
        if high.belowDMALimit > plain.belowDMALimit {
            return (.plain, "`,high` adds a \(ByteCount.human(h.plan.boot.crash?.low?.size ?? 0)) low region below arm64_dma_phys_limit, more than the \(ByteCount.human(plain.belowDMALimit)) plain takes there" + mapNote)
        }
        return (.plain, "both take \(ByteCount.human(plain.belowDMALimit)) below arm64_dma_phys_limit: `,high` gains nothing" + mapNote)
    }

    // MARK: - Distribution defaults

    static func evaluate(_ d: DistroDefault, _ s: Suggestion) -> DistroEvaluation {
        let plan = Planner.plan(candidate(s.request, kept: s.keptCommandLine, parameter: "crashkernel=\(d.value)"))
        let parse = plan.boot.parse
        var e = DistroEvaluation(entry: d, plan: plan, selected: parse?.request?.size, rangeSystemRAM: parse?.rangeTotalMemory,
                                 outcome: plan.outcome, fits: nil, spare: nil, pitfalls: [], summary: "")
        let profile = s.request.base.profile
        if let page = d.pageSize, page != profile.config.pageSize {
            e.pitfalls.append("written for \(page >> 10)K-page kernels; this kernel uses \(profile.config.pageSize >> 10)K pages")
        }
        switch parse?.outcome {
        case .reservesNothing(.noRangeMatched)?:
            e.pitfalls.append("no range contains this machine's \(ByteCount.human(parse?.rangeTotalMemory ?? 0)): nothing is reserved, and the kernel only says \"crashkernel size resulted in zero bytes\"")
        case .invalid?:
            if parse?.rangeTotalMemory != nil, parse?.messages.contains(where: { $0.text == "crashkernel: invalid size" }) == true {
                e.pitfalls.append("an entry the kernel checks before any range matches asks for at least the machine's \(ByteCount.human(parse?.rangeTotalMemory ?? 0)): \"crashkernel: invalid size\", the whole parameter is rejected")
            }
        default: break
        }
        if plan.outcome == .reserved {
            let kdump = plan.kdump
            e.fits = kdump?.fits
            if let kdump, kdump.fits, let m = kdump.minimumRegionSize { e.spare = kdump.region.size &- m }
            if let kdump, !kdump.fits {
                let need = kdump.minimumRegionSize.map { "needs \(ByteCount.human($0))" } ?? "fits in no region size"
                e.pitfalls.append("reserves \(ByteCount.human(kdump.region.size)), but the capture kernel \(need): \(kdump.failure?.messages.joined(separator: " / ") ?? "")")
            }
            if let crash = plan.boot.crash, let low = crash.low, parse?.request?.high == false {
                e.pitfalls.append("\(ByteCount.human(parse?.request?.size ?? 0)) does not fit below arm64_dma_phys_limit: the kernel falls back above it and adds a \(ByteCount.human(low.size)) low region nobody asked for")
            }
        }
        switch plan.outcome {
        case .reserved:
            e.summary = regionsText(plan)
            if let kdump = plan.kdump {
                e.summary += kdump.fits ? "; kexec -p loads, \(ByteCount.human(e.spare ?? 0)) spare" : "; kexec -p does not load"
            }
        case .failed, .invalid, .none:
            e.summary = shortReason(plan)
        }
        if plan.outcome == .failed {
            e.pitfalls.append("selects \(ByteCount.human(e.selected ?? 0)), which this kernel cannot reserve here: \(whyNotReserved(plan))")
        }
        if case .invalid(.sizeNotBelowSystemRAM)? = parse?.outcome {
            e.pitfalls.append("selects \(ByteCount.human(e.selected ?? 0)), not below this machine's RAM: rejected without a message (6.12+)")
        }
        return e
    }
}
