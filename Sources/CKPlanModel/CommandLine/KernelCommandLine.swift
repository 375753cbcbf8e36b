/// A kernel command line split into parameters exactly as `parse_args()` / `next_arg()` split it.
///
/// The bytes are kept as given (they become `boot_command_line`); everything that the kernel reads
/// with string functions stops at the first NUL, so the line is cut there. Positions are byte
/// offsets into ``bytes``.
///
/// Sources: `lib/cmdline.c` `next_arg()` ("You can use \" around spaces, but can't escape \"";
/// hyphens and underscores are equivalent in names), `kernel/params.c` `parse_args()` (leading
/// white space skipped, stops at `--`), `parameq()`, `lib/ctype.c` (`isspace`). Unchanged 5.10–7.1.
public struct KernelCommandLine: Hashable, Sendable {
    /// One `param[=value]` token.
    public struct Parameter: Hashable, Sendable {
        /// The name as the kernel sees it (quotes stripped as `next_arg` strips them).
        public var name: [UInt8]
        /// The value, or `nil` when the token has no `=` (a flag such as `nokaslr`).
        public var value: [UInt8]?
        /// The whole token in ``KernelCommandLine/bytes``, including any quotes.
        public var tokenRange: Range<Int>
        /// Where ``name`` lies in ``KernelCommandLine/bytes``.
        public var nameRange: Range<Int>
        /// Where ``value`` lies in ``KernelCommandLine/bytes``.
        public var valueRange: Range<Int>?
        /// True for tokens after a bare `--`: the kernel passes them to init and does not parse
        /// them as kernel (or early) parameters.
        public var isInitArgument: Bool

        /// ``name`` decoded as UTF-8 (invalid bytes become U+FFFD).
        public var nameString: String { String(decoding: name, as: UTF8.self) }
        /// ``value`` decoded as UTF-8 (invalid bytes become U+FFFD).
        public var valueString: String? { value.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// The command line, cut at the first NUL.
    public let bytes: [UInt8]
    /// Every token in order, including the `--` separator and init's arguments after it.
    public let parameters: [Parameter]

    /// Splits `text` (e.g. the contents of /proc/cmdline, without its trailing newline — a
    /// trailing newline is white space to the kernel anyway).
    public init(_ text: String) {
        self.init(bytes: Array(text.utf8))
    }

    /// Splits raw bytes; anything from the first NUL on is ignored, as the kernel never sees it.
    public init(bytes: some Sequence<UInt8>) {
        let line = Array(bytes.prefix { $0 != 0 })
        self.bytes = line
        self.parameters = Self.tokenize(line)
    }

    /// The kernel parameters (tokens before `--`) whose name `parameq`-matches `name`, in order.
    public func parameters(named name: String) -> [Parameter] {
        let wanted = Array(name.utf8)
        return parameters.filter { !$0.isInitArgument && Self.parameq($0.name, wanted) }
    }

    /// The last kernel parameter named `name`. Most `__setup`/`module_param` handlers simply
    /// overwrite their variable, so the last occurrence wins.
    public func last(named name: String) -> Parameter? {
        parameters(named: name).last
    }

    /// The value of the last kernel parameter named `name`; `nil` if absent, and also `nil` if
    /// that last occurrence is a bare flag without `=`.
    public func lastValue(named name: String) -> String? {
        last(named: name)?.valueString
    }

    /// True if a kernel parameter named `name` occurs, with or without a value (`nokaslr`).
    public func contains(_ name: String) -> Bool {
        !parameters(named: name).isEmpty
    }

    /// True if an early parameter handler registered as `crashkernel` runs: arm64's
    /// `enable_crash_mem_map()` (`arch/arm64/mm/mmu.c`, 5.10–6.3) and, from 6.7, the generic
    /// dummy handler.
    ///
    /// `parse_early_param()` tokenizes with `next_arg()` and `do_early_param()` compares names with
    /// `parameq()`, so only a parameter named exactly `crashkernel` counts, with or without a value
    /// (`crashkernel`, `crashkernel=`, `crashkernel=0`, `crashkernel=1G,high`, `"crashkernel=1G"`).
    /// `foo.crashkernel=1G` does not count, although `get_last_crashkernel()`'s substring search
    /// finds it, and neither does anything after `--`, where `parse_args()` stops.
    public var hasCrashkernelEarlyParam: Bool {
        contains("crashkernel")
    }

    /// `parameq()`: byte-wise equality with `-` and `_` treated as the same character.
    public static func parameq(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { dashToUnderscore($0) == dashToUnderscore($1) }
    }

    /// The kernel's `isspace()` (`lib/ctype.c`): `\t \n \v \f \r`, space, and 0xA0 (Latin-1 NBSP).
    public static func isKernelSpace(_ c: UInt8) -> Bool {
        (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0
    }

    private static func dashToUnderscore(_ c: UInt8) -> UInt8 {
        c == UInt8(ascii: "-") ? UInt8(ascii: "_") : c
    }

    /// `parse_args()` driving `next_arg()` over the whole line.
    private static func tokenize(_ line: [UInt8]) -> [Parameter] {
        var result: [Parameter] = []
        var cursor = skipSpaces(line, from: 0)
        var afterDashes = false
        while cursor < line.count {
            let (parameter, next) = nextArg(line, from: cursor)
            var p = parameter
            p.isInitArgument = afterDashes
            result.append(p)
            if p.value == nil && p.name == Array("--".utf8) { afterDashes = true }
            cursor = next
        }
        return result
    }

    private static func skipSpaces(_ line: [UInt8], from start: Int) -> Int {
        var i = start
        while i < line.count, isKernelSpace(line[i]) { i += 1 }
        return i
    }

    /// One `next_arg()` step starting at `start` (which is not white space). Returns the
    /// parameter and the offset of the next token.
    ///
    /// The C code writes NULs into the buffer to cut `param` and `val`; here the same cut points
    /// become ranges. Quirks kept: a leading `"` opens a quote, each `"` toggles quoting, only the
    /// first `=` splits, an `=` at offset 0 of the token is not a split (the C code uses
    /// `equals == 0` to mean "none"), and a trailing `"` is dropped only as described below.
    private static func nextArg(_ line: [UInt8], from start: Int) -> (Parameter, Int) {
        let quote = UInt8(ascii: "\"")
        var args = start                 // the C `args` pointer after an opening quote
        var inQuote = false
        var quoted = false
        if line[start] == quote {
            args += 1
            inQuote = true
            quoted = true
        }
        var i = 0                        // offset from `args`, as in the C loop
        var equals = 0
        while args + i < line.count {
            let c = line[args + i]
            if isKernelSpace(c) && !inQuote { break }
            if equals == 0 && c == UInt8(ascii: "=") { equals = i }
            if c == quote { inQuote.toggle() }
            i += 1
        }
        let end = args + i               // the terminating byte (space or end of line)
        // `args[i-1]` is the last byte of the token (or the opening quote when i == 0).
        let lastIsQuote = end - 1 >= start && line[end - 1] == quote

        var nameEnd: Int
        var valueRange: Range<Int>? = nil
        if equals == 0 {
            // No value. The name runs to the end of the token, minus a closing quote if the
            // token was opened with one.
            nameEnd = quoted && lastIsQuote && i > 0 ? end - 1 : end
        } else {
            nameEnd = args + equals
            var valueStart = args + equals + 1
            var valueEnd = end
            if valueStart < line.count && line[valueStart] == quote {
                valueStart += 1
                if lastIsQuote { valueEnd = end - 1 }
            }
            if quoted && lastIsQuote { valueEnd = end - 1 }
            // A NUL written at or before the value start leaves the C string empty.
            valueRange = valueStart..<max(valueStart, valueEnd)
        }
        nameEnd = max(args, nameEnd)
        let nameRange = args..<nameEnd
        let next = skipSpaces(line, from: end < line.count ? end + 1 : end)
        let parameter = Parameter(
            name: Array(line[nameRange]),
            value: valueRange.map { Array(line[$0]) },
            tokenRange: start..<end,
            nameRange: nameRange,
            valueRange: valueRange,
            isInitArgument: false
        )
        return (parameter, next)
    }
}
