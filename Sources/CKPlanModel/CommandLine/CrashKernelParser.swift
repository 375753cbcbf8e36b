/// A line the parse itself prints (`pr_warn` / `pr_info`, no prefix: there is no `pr_fmt` in
/// that part of `kernel/crash_core.c` / `kernel/crash_reserve.c`).
public struct KernelLogLine: Hashable, Sendable, CustomStringConvertible {
    public enum Level: Hashable, Sendable {
        case warning
        case info
    }

    public var level: Level
    /// The text as printed, without the trailing newline. A `%c` byte is decoded as UTF-8, so a
    /// byte that is not valid UTF-8 on its own shows as U+FFFD.
    public var text: String

    public init(_ level: Level, _ text: String) {
        self.level = level
        self.text = text
    }

    public var description: String { text }
}

/// What a `crashkernel=` request asks the reservation code for, as the parse hands it over.
public struct CrashKernelRequest: Hashable, Sendable {
    /// Bytes, exactly as parsed (the ≤6.6 `PAGE_ALIGN` belongs to the reservation, not the parse).
    public var size: UInt64
    /// Fixed base from `@offset`; 0 means automatic placement (the callers test `if (crash_base)`,
    /// so `@0` is the same as no offset).
    public var base: UInt64
    /// The request came from `crashkernel=X,high`.
    public var high: Bool
    /// The low size the reservation will use with a high region: the `,low` value, else the
    /// version's default (0 before 6.2, 128 MiB from 6.2), and 0 for the plain form (the plain
    /// form's 6.2+ fallback to high memory sets 128 MiB itself, later, in the reservation code).
    public var lowSize: UInt64
    /// A `crashkernel=Y,low` token was parsed (also when `Y` is 0).
    public var lowGiven: Bool

    public init(size: UInt64, base: UInt64 = 0, high: Bool = false, lowSize: UInt64 = 0, lowGiven: Bool = false) {
        self.size = size
        self.base = base
        self.high = high
        self.lowSize = lowSize
        self.lowGiven = lowGiven
    }
}

/// The result of parsing `crashkernel=` the way one arm64 kernel version does it.
public struct CrashKernelParseResult: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        /// No usable `crashkernel=` token: none at all, only `,low` (or `,cma`) tokens, or `,high`
        /// on a kernel that never parses it. The kernel says nothing.
        case absent
        /// Parsed, but nothing will be reserved.
        case reservesNothing(ZeroReason)
        /// The kernel rejects the parameter; nothing is reserved.
        case invalid(InvalidReason)
        /// A reservation will be attempted.
        case request(CrashKernelRequest)
    }

    public enum ZeroReason: Hashable, Sendable {
        /// The size is 0 (`crashkernel=0`, `crashkernel=0,high`, a matched range entry of 0, or
        /// a value that wrapped to 0).
        case zeroSize
        /// Range syntax and no entry contains the (rounded) RAM size.
        case noRangeMatched
    }

    public enum InvalidReason: Hashable, Sendable {
        /// The plain token (`size[@offset]` or range list) failed to parse.
        case plainToken
        /// The `,high` token failed to parse.
        case highToken
        /// The `,low` token failed to parse; this aborts the whole reservation.
        case lowToken
        /// 6.12+: the size is not below `system_ram` (rejected silently).
        case sizeNotBelowSystemRAM
    }

    /// `__parse_crashkernel()`'s return value for the plain form.
    public enum Return: Hashable, Sendable {
        case ok
        case einval
        case enoent
    }

    public var outcome: Outcome
    /// What the parse printed, in order.
    public var messages: [KernelLogLine]
    /// For ``Outcome/invalid(_:)``: byte offset in the command line where the kernel stopped —
    /// the byte it rejected, the place a number was expected, or the start of the rejected value
    /// (`end <= start`, `invalid size`, and the silent 6.12 `size >= system_ram`).
    public var errorColumn: Int?
    /// The `total_mem` the range syntax compared against (rounded up to 128 MiB from 6.0), when
    /// the range syntax was used.
    public var rangeTotalMemory: UInt64?
    /// Return value of the plain-form parse (`-EINVAL` vs `-ENOENT` for "no token" differs by
    /// version).
    public var plainReturn: Return
    /// The token (from `crashkernel=` to the next space) whose size was used or rejected.
    public var sizeToken: Range<Int>?
    /// The `,low` token that was parsed, if any.
    public var lowToken: Range<Int>?
    /// arm64's `crash_mem_map` flag (5.10–6.3): set by *any* parameter named `crashkernel`,
    /// whatever its value; it forces page mappings when the reservation is deferred
    /// (kernel-rules.md §2.10, §6.2). Always false from 6.4, where the flag no longer exists.
    public var crashMemMap: Bool
    /// The rules the parse followed.
    public var rules: CrashKernelParseRules

    /// The request, if the outcome is one.
    public var request: CrashKernelRequest? {
        if case .request(let r) = outcome { return r }
        return nil
    }
}

/// Parses `crashkernel=` as a given arm64 kernel version does, with the RAM size it uses
/// (`memblock_phys_mem_size()`, kernel-rules.md §2.9).
public enum CrashKernelParser {
    /// Parses `commandLine` (the final `boot_command_line`).
    public static func parse(_ commandLine: KernelCommandLine, kernel: KernelVersion, systemRAM: UInt64) -> CrashKernelParseResult {
        let rules = CrashKernelParseRules.rules(for: kernel)
        let syntax = CrashKernelSyntax(bytes: commandLine.bytes, rules: rules)
        var result = combine(syntax, rules: rules, systemRAM: systemRAM)
        result.crashMemMap = rules.hasCrashMemMap && commandLine.hasCrashkernelEarlyParam
        return result
    }

    /// Parses a command line given as text.
    public static func parse(_ commandLine: String, kernel: KernelVersion, systemRAM: UInt64) -> CrashKernelParseResult {
        parse(KernelCommandLine(commandLine), kernel: kernel, systemRAM: systemRAM)
    }

    /// How the callers combine the plain, `,high` and `,low` parses:
    /// 5.10–5.18 `arch/arm64/mm/init.c` (plain only), 5.19–6.6 `arch/arm64/mm/init.c`
    /// (high/low on `-ENOENT`), 6.7+ generic `parse_crashkernel()`. The three agree on every
    /// outcome once the rule fields (absent return, default low size, 6.12 size check) are
    /// applied, so one function serves all of them.
    private static func combine(_ syntax: CrashKernelSyntax, rules: CrashKernelParseRules, systemRAM: UInt64) -> CrashKernelParseResult {
        let plain = syntax.parse(suffix: nil, systemRAM: systemRAM)
        var result = CrashKernelParseResult(
            outcome: .absent, messages: plain.messages, errorColumn: plain.errorColumn,
            rangeTotalMemory: plain.totalMemory, plainReturn: plain.returnCode,
            sizeToken: plain.token, lowToken: nil, crashMemMap: false, rules: rules)

        var sizeColumn = plain.sizeColumn
        let parsesHighLow = rules.caller != .arm64PlainOnly
        if plain.returnCode == .enoent && parsesHighLow {
            // crashkernel=X,high [crashkernel=Y,low]
            let high = syntax.parse(suffix: ",high", systemRAM: 0)
            result.messages += high.messages
            result.sizeToken = high.token
            switch high.status {
            case .absent:
                return result
            case .error:
                result.outcome = .invalid(.highToken)
                result.errorColumn = high.errorColumn
                return result
            case .parsed where high.size == 0:
                result.outcome = .reservesNothing(.zeroSize)
                return result
            case .parsed:
                break
            }
            let low = syntax.parse(suffix: ",low", systemRAM: 0)
            result.messages += low.messages
            result.lowToken = low.token
            let lowSize: UInt64
            switch low.status {
            case .error:
                result.outcome = .invalid(.lowToken)
                result.errorColumn = low.errorColumn
                return result
            case .absent:
                lowSize = rules.defaultLowSize
            case .parsed:
                lowSize = low.size
            }
            sizeColumn = high.sizeColumn
            result.outcome = .request(CrashKernelRequest(
                size: high.size, base: 0, high: true, lowSize: lowSize, lowGiven: low.status == .parsed))
        } else {
            switch plain.status {
            case .absent:
                return result
            case .error:
                result.outcome = .invalid(.plainToken)
                return result
            case .parsed where plain.size == 0:
                result.outcome = .reservesNothing(plain.noRangeMatched ? .noRangeMatched : .zeroSize)
                return result
            case .parsed:
                result.outcome = .request(CrashKernelRequest(size: plain.size, base: plain.base))
            }
        }

        if rules.rejectsSizeNotBelowSystemRAM, let request = result.request, request.size >= systemRAM {
            result.outcome = .invalid(.sizeNotBelowSystemRAM)
            result.errorColumn = sizeColumn
        }
        return result
    }
}

/// `__parse_crashkernel()` and its helpers over the command-line bytes, for one set of rules.
/// Reads past the end of the line as NUL, like the C code reading `boot_command_line`.
struct CrashKernelSyntax {
    let bytes: [UInt8]
    let rules: CrashKernelParseRules
    /// `nextSpace[i]`: the first `' '` at or after `i` (or `bytes.count`), for `strchr(p, ' ')`.
    private let nextSpace: [Int]
    /// `suffix_tbl[]` as bytes.
    private let knownSuffixes: [[UInt8]]

    private static let name = Array("crashkernel=".utf8)
    private static let space = UInt8(ascii: " ")

    init(bytes: [UInt8], rules: CrashKernelParseRules) {
        self.bytes = bytes
        self.rules = rules
        var next = [Int](repeating: bytes.count, count: bytes.count + 1)
        var i = bytes.count - 1
        while i >= 0 {
            next[i] = bytes[i] == Self.space ? i : next[i + 1]
            i -= 1
        }
        self.nextSpace = next
        self.knownSuffixes = rules.knownSuffixes.map { Array($0.utf8) }
    }

    /// One `__parse_crashkernel()` call.
    struct Parse {
        enum Status: Equatable {
            case absent
            case parsed
            case error
        }

        var status: Status = .absent
        var size: UInt64 = 0
        var base: UInt64 = 0
        var messages: [KernelLogLine] = []
        var errorColumn: Int?
        var sizeColumn: Int?
        var token: Range<Int>?
        var totalMemory: UInt64?
        var noRangeMatched = false
        var absentReturn: CrashKernelParseRules.AbsentReturn = .enoent

        var returnCode: CrashKernelParseResult.Return {
            switch status {
            case .parsed: .ok
            case .error: .einval
            case .absent: absentReturn == .enoent ? .enoent : .einval
            }
        }

        mutating func fail(_ text: String, at column: Int) {
            messages.append(KernelLogLine(.warning, text))
            errorColumn = column
            status = .error
        }
    }

    private func byte(_ index: Int) -> UInt8 { MemParse.byte(bytes, index) }

    /// `%c` of the byte at `index`.
    private func char(_ index: Int) -> String { String(decoding: [byte(index)], as: UTF8.self) }

    /// `__parse_crashkernel(cmdline, system_ram, ..., suffix)`.
    func parse(suffix: String?, systemRAM: UInt64) -> Parse {
        var parse = Parse()
        parse.absentReturn = rules.absentReturn
        let suffixBytes = suffix.map { Array($0.utf8) }
        guard let start = lastCandidate(suffix: suffixBytes) else { return parse }
        parse.token = start..<nextSpace[start]
        let value = start + Self.name.count
        if let suffixBytes {
            parseSuffix(&parse, at: value, suffix: suffixBytes)
            return parse
        }
        // "if the commandline contains a ':', then that's the extended syntax": the first ':'
        // and the first ' ' are searched in the rest of the whole line, not just this token.
        let firstSpace = nextSpace[value]
        if let colon = firstIndex(of: UInt8(ascii: ":"), from: value), colon < firstSpace {
            parseRanges(&parse, at: value, systemRAM: systemRAM)
        } else {
            parseSimple(&parse, at: value)
        }
        return parse
    }

    /// `get_last_crashkernel()`: every `strstr` match of `crashkernel=` (a substring match, so
    /// `foo.crashkernel=` counts); the token ends at the next `' '` only; the last candidate wins.
    /// Without a suffix, tokens ending in a known suffix are skipped; with one, only tokens
    /// ending in it count.
    private func lastCandidate(suffix: [UInt8]?) -> Int? {
        var candidate: Int?
        var p = find(Self.name, from: 0)
        while let match = p {
            let end = nextSpace[match]
            if let suffix {
                if endsWith(suffix, at: end) { candidate = match }
            } else if !knownSuffixes.contains(where: { endsWith($0, at: end) }) {
                candidate = match
            }
            p = find(Self.name, from: match + 1)
        }
        return candidate
    }

    /// `parse_crashkernel_simple()`: `size[@offset]`.
    private func parseSimple(_ parse: inout Parse, at start: Int) {
        let size = MemParse.memparse(bytes, from: start)
        if size.end == start {
            parse.fail("crashkernel: memory value expected", at: start)
            return
        }
        let next = byte(size.end)
        if next == UInt8(ascii: "@") {
            // Not validated: no digits give base 0 ("no fixed base"); trailing bytes are ignored.
            parse.base = MemParse.memparse(bytes, from: size.end + 1).value
        } else if next != Self.space && next != 0 {
            parse.fail("crashkernel: unrecognized char: \(char(size.end))", at: size.end)
            return
        }
        parse.size = size.value
        parse.sizeColumn = start
        parse.status = .parsed
    }

    /// `parse_crashkernel_suffix()`: `size,high` / `size,low` (no `@offset`, no ranges).
    private func parseSuffix(_ parse: inout Parse, at start: Int, suffix: [UInt8]) {
        let size = MemParse.memparse(bytes, from: start)
        if size.end == start {
            parse.fail("crashkernel: memory value expected", at: start)
            return
        }
        if !matches(suffix, at: size.end) {
            parse.fail("crashkernel: unrecognized char: \(char(size.end))", at: size.end)
            return
        }
        let after = size.end + suffix.count
        if byte(after) != Self.space && byte(after) != 0 {
            parse.fail("crashkernel: unrecognized char: \(char(after))", at: after)
            return
        }
        parse.size = size.value
        parse.sizeColumn = start
        parse.status = .parsed
    }

    /// `parse_crashkernel_mem()`: `start-[end]:size[,start-[end]:size...][@offset]`.
    ///
    /// Entries are tried in order and the first one containing `total_mem` wins (`end` is
    /// exclusive, an omitted end is `ULLONG_MAX`). Every entry parsed up to the match — all of
    /// them if none matches — is validated, including `size >= total_mem`. Entries after the
    /// match are not looked at. After a match, bytes up to `' '` or `'@'` are skipped.
    private func parseRanges(_ parse: inout Parse, at start: Int, systemRAM: UInt64) {
        let roundTo: UInt64 = 128 << 20
        // roundup() in unsigned long long arithmetic, wrapping like the C macro.
        let totalMemory = rules.roundsRangeMemoryTo128M ? (systemRAM &+ (roundTo - 1)) / roundTo &* roundTo : systemRAM
        parse.totalMemory = totalMemory

        var cur = start
        var crashSize: UInt64 = 0
        var matched = false
        var more = true
        while more {
            let rangeStart = MemParse.memparse(bytes, from: cur)
            if rangeStart.end == cur {
                return parse.fail("crashkernel: Memory value expected", at: cur)
            }
            cur = rangeStart.end
            if byte(cur) != UInt8(ascii: "-") {
                return parse.fail("crashkernel: '-' expected", at: cur)
            }
            cur += 1
            var rangeEnd = UInt64.max
            if byte(cur) != UInt8(ascii: ":") {
                let end = MemParse.memparse(bytes, from: cur)
                if end.end == cur {
                    return parse.fail("crashkernel: Memory value expected", at: cur)
                }
                if end.value <= rangeStart.value {
                    return parse.fail("crashkernel: end <= start", at: cur)
                }
                rangeEnd = end.value
                cur = end.end
            }
            if byte(cur) != UInt8(ascii: ":") {
                return parse.fail("crashkernel: ':' expected", at: cur)
            }
            cur += 1
            let size = MemParse.memparse(bytes, from: cur)
            if size.end == cur {
                return parse.fail(rules.rangeSizeExpectedMessage, at: cur)
            }
            if size.value >= totalMemory {
                return parse.fail("crashkernel: invalid size", at: cur)
            }
            let sizeStart = cur
            cur = size.end
            if totalMemory >= rangeStart.value && totalMemory < rangeEnd {
                crashSize = size.value
                parse.sizeColumn = sizeStart
                matched = true
                break
            }
            more = byte(cur) == UInt8(ascii: ",")
            cur += 1
        }

        parse.size = crashSize
        parse.noRangeMatched = !matched
        if crashSize > 0 {
            while byte(cur) != 0 && byte(cur) != Self.space && byte(cur) != UInt8(ascii: "@") { cur += 1 }
            if byte(cur) == UInt8(ascii: "@") {
                cur += 1
                let base = MemParse.memparse(bytes, from: cur)
                if base.end == cur {
                    return parse.fail(rules.rangeOffsetExpectedMessage, at: cur)
                }
                parse.base = base.value
            }
        } else {
            parse.messages.append(KernelLogLine(.info, "crashkernel size resulted in zero bytes"))
        }
        parse.status = .parsed
    }

    // MARK: - C string helpers

    /// `strstr(bytes + from, needle)` as an offset.
    private func find(_ needle: [UInt8], from: Int) -> Int? {
        guard needle.count <= bytes.count, from <= bytes.count - needle.count else { return nil }
        var i = from
        while i <= bytes.count - needle.count {
            if matches(needle, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// `strchr(bytes + from, c)` as an offset.
    private func firstIndex(of c: UInt8, from: Int) -> Int? {
        var i = from
        while i < bytes.count {
            if bytes[i] == c { return i }
            i += 1
        }
        return nil
    }

    /// `!strncmp(bytes + at, s, strlen(s))`.
    private func matches(_ s: [UInt8], at: Int) -> Bool {
        for (k, c) in s.enumerated() where byte(at + k) != c { return false }
        return true
    }

    /// The token ending at `end` ends with `s`.
    private func endsWith(_ s: [UInt8], at end: Int) -> Bool {
        end >= s.count && matches(s, at: end - s.count)
    }
}
