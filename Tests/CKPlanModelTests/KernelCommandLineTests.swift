import CKPlanModel
import Testing

// MARK: - memparse (lib/cmdline.c + lib/vsprintf.c simple_strtoull + lib/kstrtox.c)

/// lib/cmdline.c memparse over lib/vsprintf.c simple_strtoull (kernel-rules.md §2.3).
@Suite struct MemParseTests {
    struct MemParseCase: Sendable, CustomTestStringConvertible {
        var text: String
        var value: UInt64
        var end: Int
        var overflowed: Bool = false
        var testDescription: String { "memparse(\"\(text)\")" }
    }

    static let memParseCases: [MemParseCase] = [
        .init(text: "", value: 0, end: 0),
        .init(text: "0", value: 0, end: 1),
        .init(text: "123", value: 123, end: 3),
        .init(text: "0x1f", value: 31, end: 4),
        .init(text: "0X1F", value: 31, end: 4),
        .init(text: "0x", value: 0, end: 1),          // no hex digit after 0x: octal "0", stops at x
        .init(text: "0xg", value: 0, end: 1),
        .init(text: "010", value: 8, end: 3),         // octal
        .init(text: "08", value: 0, end: 1),          // '8' is not octal
        .init(text: "1K", value: 1 << 10, end: 2),
        .init(text: "1k", value: 1 << 10, end: 2),
        .init(text: "3m", value: 3 << 20, end: 2),
        .init(text: "2G", value: 2 << 30, end: 2),
        .init(text: "1T", value: 1 << 40, end: 2),
        .init(text: "1p", value: 1 << 50, end: 2),
        .init(text: "1E", value: 1 << 60, end: 2),
        .init(text: "8E", value: 1 << 63, end: 2),
        .init(text: "16E", value: 0, end: 3, overflowed: true),   // shift truncated silently
        .init(text: "0x10G", value: 16 << 30, end: 5),
        .init(text: "0x1E", value: 30, end: 4),       // E is a hex digit here
        .init(text: "K", value: 0, end: 1),           // suffix consumed without digits
        .init(text: "-1", value: 0, end: 0),
        .init(text: " 1", value: 0, end: 0),
        .init(text: "1KB", value: 1 << 10, end: 2),   // one suffix letter only
        .init(text: "18446744073709551615", value: .max, end: 20),
        .init(text: "18446744073709551616", value: 0, end: 20, overflowed: true),
        .init(text: "0x10000000000000000", value: 0, end: 19, overflowed: true),
    ]

    @Test("memparse", arguments: MemParseTests.memParseCases)
    func memparse(_ c: MemParseCase) {
        let r = MemParse.memparse(Array(c.text.utf8), from: 0)
        #expect(r.value == c.value)
        #expect(r.end == c.end)
        #expect(r.overflowed == c.overflowed)
    }

    @Test func memparseAtOffsetReadsPastEndAsNUL() {
        let bytes = Array("crashkernel=64M".utf8)
        #expect(MemParse.memparse(bytes, from: 12) == MemParse.Result(value: 64 << 20, end: 15, digits: 2, overflowed: false))
        #expect(MemParse.memparse(bytes, from: 15).end == 15)
        #expect(MemParse.memparse(bytes, from: 99).end == 99)
    }

    @Test func parseMemSizeForCLIArguments() {
        #expect(parseMemSize("512M") == 512 << 20)
        #expect(parseMemSize("0x40000000") == 0x4000_0000)
        #expect(parseMemSize("2G") == 2 << 30)
        #expect(parseMemSize("0100") == 64)
        #expect(parseMemSize("4096") == 4096)
        #expect(parseMemSize("512MB") == nil)
        #expect(parseMemSize("") == nil)
        #expect(parseMemSize("K") == nil)
        #expect(parseMemSize("16E") == nil)
        #expect(parseMemSize("1 G") == nil)
        #expect(parseMemSize("-1") == nil)
    }
}

// MARK: - next_arg (lib/cmdline.c) / parse_args (kernel/params.c)

private func names(_ line: KernelCommandLine) -> [String] { line.parameters.map(\.nameString) }
private func values(_ line: KernelCommandLine) -> [String?] { line.parameters.map(\.valueString) }

/// next_arg()/parse_args() tokenizing and parameq() lookup.
@Suite struct KernelCommandLineTests {
    @Test func splitsOnKernelWhitespace() {
        let line = KernelCommandLine("  a=1 \t b\nc   d=  ")
        #expect(names(line) == ["a", "b", "c", "d"])
        #expect(values(line) == ["1", nil, nil, ""])
        // 0xA0 is a space in lib/ctype.c (Latin-1 NBSP); the bytes need not be UTF-8.
        let latin = KernelCommandLine(bytes: [0x61, 0xA0, 0x62, 0x3D, 0xFF])
        #expect(latin.parameters.map(\.name) == [[0x61], [0x62]])
        #expect(latin.parameters.map(\.value) == [nil, [0xFF]])
    }

    @Test func quotesAreStrippedLikeNextArg() {
        let line = KernelCommandLine(#"dyndbg="file foo.c +p" "a=x y" "flag" b="" d=a=b c=""#)
        #expect(names(line) == ["dyndbg", "a", "flag", "b", "d", "c"])
        #expect(values(line) == ["file foo.c +p", "x y", nil, "", "a=b", ""])
        let first = line.parameters[0]
        #expect(first.tokenRange == 0..<22)
        #expect(first.nameRange == 0..<6)
        #expect(first.valueRange == 8..<21)
    }

    @Test func equalsAtTokenStartIsNotASplit() {
        // next_arg uses `equals == 0` for "no '='", so an '=' at offset 0 is not a separator.
        let line = KernelCommandLine("=x =a=b")
        #expect(names(line) == ["=x", "=a"])
        #expect(values(line) == [nil, "b"])
    }

    @Test func doubleDashEndsKernelParameters() {
        let line = KernelCommandLine("cma=64M -- cma=128M single")
        #expect(names(line) == ["cma", "--", "cma", "single"])
        #expect(line.parameters.map(\.isInitArgument) == [false, false, true, true])
        #expect(line.lastValue(named: "cma") == "64M")
        #expect(!line.contains("single"))
    }

    @Test func lookupUsesParameqAndLastWins() {
        let line = KernelCommandLine("kfence.sample-interval=100 cma=64M nokaslr cma=128M rodata=on debug_pagealloc=on kfence.sample_interval=0")
        #expect(line.lastValue(named: "kfence.sample_interval") == "0")
        #expect(line.parameters(named: "kfence.sample_interval").count == 2)
        #expect(line.lastValue(named: "cma") == "128M")
        #expect(line.contains("nokaslr"))
        #expect(line.lastValue(named: "nokaslr") == nil)
        #expect(line.lastValue(named: "debug-pagealloc") == "on")
        #expect(line.last(named: "rodata")?.valueRange == 59..<61)
        #expect(line.lastValue(named: "mem") == nil)
        #expect(KernelCommandLine.parameq(Array("a-b_c".utf8), Array("a_b-c".utf8)))
        #expect(!KernelCommandLine.parameq(Array("crashkernel".utf8), Array("crash_kernel".utf8)))
    }

    @Test func nulEndsTheCommandLine() {
        let line = KernelCommandLine(bytes: Array("a=1\0b=2".utf8))
        #expect(line.bytes == Array("a=1".utf8))
        #expect(names(line) == ["a"])
    }

    @Test func crashkernelEarlyParamNeedsTheExactName() {
        #expect(KernelCommandLine("crashkernel").hasCrashkernelEarlyParam)
        #expect(KernelCommandLine("crashkernel=").hasCrashkernelEarlyParam)
        #expect(KernelCommandLine("crashkernel=1G,high").hasCrashkernelEarlyParam)
        #expect(KernelCommandLine(#""crashkernel=1G""#).hasCrashkernelEarlyParam)
        #expect(!KernelCommandLine("foo.crashkernel=1G").hasCrashkernelEarlyParam)
        #expect(!KernelCommandLine("crashkernelx=1G").hasCrashkernelEarlyParam)
        #expect(!KernelCommandLine("ro -- crashkernel=1G").hasCrashkernelEarlyParam)
        #expect(!KernelCommandLine("xcrashkernel=1G").hasCrashkernelEarlyParam)
    }

    @Test func loneQuoteAndEmptyInputs() {
        #expect(KernelCommandLine("").parameters.isEmpty)
        #expect(KernelCommandLine("   ").parameters.isEmpty)
        let quote = KernelCommandLine("\"")
        #expect(names(quote) == [""])
        #expect(quote.parameters[0].tokenRange == 0..<1)
        let open = KernelCommandLine(#"a="b c"#)
        #expect(names(open) == ["a"])
        #expect(values(open) == ["b c"])
    }
}
