/// Every version-dependent detail of how an arm64 kernel parses `crashkernel=`, in one place.
///
/// ``rules(for:)`` starts from the 5.10 behaviour and applies ``changes`` in order; each change
/// names the first release that has it and where it was read or established. Parsing code reads
/// only these fields and never compares versions itself.
///
/// What was checked against kernel sources (beyond kernel-rules.md §1–§2, §4):
/// * `,cma` entered the suffix table of `kernel/crash_reserve.c` in **6.17**: commit 35c18f2933c5
///   "Add a new optional ",cma" suffix to the crashkernel= command line option" (Jiri Bohac's
///   series "kdump: crashkernel reservation from CMA", merged with Andrew Morton's non-MM pull for
///   6.17-rc1, which also changed `arch/arm64/mm/init.c` to pass `cma_size = NULL`).
///   kernel-rules.md §2.2 leaves it at "6.16 or 6.17 [H]".
/// * The range-syntax messages changed twice, both in `parse_crashkernel_mem()`:
///   - **6.10**: "crash: add prefix for crash dumping messages" (Baoquan He, non-MM pull for
///     6.10-rc1) turned the size error "Memory value expected" into "crashkernel: Memory value
///     expected" and the `@` error "Memory value expected after '@'" into
///     "crahskernel: Memory value expected after '@'" (with the typo). The 6.9 file as created by
///     the crash_core.c → crash_reserve.c split still had both unprefixed texts.
///   - **6.16**: "crash: fix spelling mistake "crahskernel" -> "crashkernel"" (Colin Ian King,
///     non-MM pull for 6.16-rc1).
///   kernel-rules.md §2.5 dates the first change as "6.12+" / "≤6.9"; 6.10 and 6.11 already
///   have the new texts.
/// * The `*crash_size >= system_ram` rejection in `parse_crashkernel()` is "crash: fix crash
///   memory reserve exceed system memory bug" (Jinjie Ruan), non-MM pull for **6.12**-rc1; not in
///   6.11. Observed absent in Debian 6.1.192 (kernel-rules-observed.md P8). Whether 6.6.y got it
///   as a stable back-port was not checked [U].
public struct CrashKernelParseRules: Hashable, Sendable {
    /// Which code decides how the `crashkernel=` forms combine.
    public enum Caller: Hashable, Sendable {
        /// 5.10–5.18: `arch/arm64/mm/init.c` calls only `parse_crashkernel()` (the plain form).
        case arm64PlainOnly
        /// 5.19–6.6: `arch/arm64/mm/init.c` calls `parse_crashkernel()`, and on `-ENOENT`
        /// `parse_crashkernel_high()` then `parse_crashkernel_low()`.
        case arm64HighLow
        /// 6.7+: the generic `parse_crashkernel(..., &low_size, &high)` does all of it.
        case generic
    }

    /// How `__parse_crashkernel()` reports "no candidate token".
    public enum AbsentReturn: Hashable, Sendable {
        case einval
        case enoent
    }

    /// The first release these rules describe (the last change applied).
    public var since: KernelVersion
    /// Who combines plain / `,high` / `,low` parses.
    public var caller: Caller
    /// The kernel file holding `parse_crashkernel()` and its helpers.
    public var parserFile: String
    /// `suffix_tbl[]`: tokens ending in one of these are not candidates for the plain form.
    public var knownSuffixes: [String]
    /// `__parse_crashkernel()` return value when no candidate token exists.
    public var absentReturn: AbsentReturn
    /// Range syntax matches against `roundup(system_ram, SZ_128M)` instead of `system_ram`.
    public var roundsRangeMemoryTo128M: Bool
    /// The low size when `crashkernel=X,high` is used without `crashkernel=Y,low`.
    public var defaultLowSize: UInt64
    /// `parse_crashkernel()` rejects, without a message, a final size `>= system_ram`.
    public var rejectsSizeNotBelowSystemRAM: Bool
    /// Message when the size of a range entry has no digits.
    public var rangeSizeExpectedMessage: String
    /// Message when the range form's `@` has no digits after it.
    public var rangeOffsetExpectedMessage: String
    /// arm64's `early_param("crashkernel", enable_crash_mem_map)` exists (sets `crash_mem_map`).
    public var hasCrashMemMap: Bool

    /// One version boundary.
    public struct Change: Sendable {
        /// First release with the change.
        public var since: KernelVersion
        /// Where it comes from (file, and commit or reference section).
        public var source: String
        let apply: @Sendable (inout CrashKernelParseRules) -> Void
    }

    /// The behaviour of 5.10.262 / 5.15 (kernel-rules.md §2, §4.2–4.3; `kernel/crash_core.c`).
    public static let baseline = CrashKernelParseRules(
        since: KernelVersion(5, 10),
        caller: .arm64PlainOnly,
        parserFile: "kernel/crash_core.c",
        knownSuffixes: [",high", ",low"],
        absentReturn: .einval,
        roundsRangeMemoryTo128M: false,
        defaultLowSize: 0,
        rejectsSizeNotBelowSystemRAM: false,
        rangeSizeExpectedMessage: "Memory value expected",
        rangeOffsetExpectedMessage: "Memory value expected after '@'",
        hasCrashMemMap: true
    )

    /// The version boundaries, oldest first.
    public static let changes: [Change] = [
        Change(since: KernelVersion(5, 19),
               source: "arch/arm64/mm/init.c reserve_crashkernel (Zhen Lei, \"reserve crashkernel above 4G\"); kernel/crash_core.c __parse_crashkernel returns -ENOENT; kernel-rules.md §2.1, §2.7, §4.4") {
            $0.caller = .arm64HighLow
            $0.absentReturn = .enoent
        },
        Change(since: KernelVersion(6, 0),
               source: "kernel/crash_core.c parse_crashkernel_mem: total_mem = roundup(total_mem, SZ_128M); kernel-rules.md §2.5") {
            $0.roundsRangeMemoryTo128M = true
        },
        Change(since: KernelVersion(6, 2),
               source: "arch/arm64/mm/init.c DEFAULT_CRASH_KERNEL_LOW_SIZE (128UL << 20) when ,low is absent; kernel-rules.md §4.5") {
            $0.defaultLowSize = 128 << 20
        },
        Change(since: KernelVersion(6, 4),
               source: "arch/arm64/mm/mmu.c: crash_mem_map and its early_param removed (Baoquan He); kernel-rules.md §4.6, §2.10") {
            $0.hasCrashMemMap = false
        },
        Change(since: KernelVersion(6, 7),
               source: "kernel/crash_core.c generic parse_crashkernel(..., &low_size, &high), DEFAULT_CRASH_KERNEL_LOW_SIZE in include/linux/crash_core.h; kernel-rules.md §4.8") {
            $0.caller = .generic
        },
        Change(since: KernelVersion(6, 9),
               source: "kernel/crash_core.c -> kernel/crash_reserve.c (Baoquan He, \"kexec: split crashkernel reservation code out from crash_core.c\"); kernel-rules.md §4.9") {
            $0.parserFile = "kernel/crash_reserve.c"
        },
        Change(since: KernelVersion(6, 10),
               source: "kernel/crash_reserve.c parse_crashkernel_mem: \"crash: add prefix for crash dumping messages\" (non-MM pull for 6.10-rc1)") {
            $0.rangeSizeExpectedMessage = "crashkernel: Memory value expected"
            $0.rangeOffsetExpectedMessage = "crahskernel: Memory value expected after '@'"
        },
        Change(since: KernelVersion(6, 12),
               source: "kernel/crash_reserve.c parse_crashkernel: if (*crash_size >= system_ram) ret = -EINVAL (\"crash: fix crash memory reserve exceed system memory bug\", non-MM pull for 6.12-rc1); kernel-rules.md §4.10; observed P8") {
            $0.rejectsSizeNotBelowSystemRAM = true
        },
        Change(since: KernelVersion(6, 16),
               source: "kernel/crash_reserve.c parse_crashkernel_mem: \"crash: fix spelling mistake \\\"crahskernel\\\" -> \\\"crashkernel\\\"\" (non-MM pull for 6.16-rc1)") {
            $0.rangeOffsetExpectedMessage = "crashkernel: Memory value expected after '@'"
        },
        Change(since: KernelVersion(6, 17),
               source: "kernel/crash_reserve.c suffix_tbl[SUFFIX_CMA] = \",cma\" (commit 35c18f2933c5, non-MM pull for 6.17-rc1); arm64 passes cma_size = NULL; kernel-rules.md §4.11") {
            $0.knownSuffixes = [",high", ",low", ",cma"]
        },
    ]

    /// The rules of `version`. Versions before 5.10 get the 5.10 rules (older kernels are not
    /// modelled).
    public static func rules(for version: KernelVersion) -> CrashKernelParseRules {
        var rules = baseline
        for change in changes where change.since <= version {
            change.apply(&rules)
            rules.since = change.since
        }
        return rules
    }
}
