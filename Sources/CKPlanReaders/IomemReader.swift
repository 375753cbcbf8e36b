import CKPlanModel

/// Reads a `/proc/iomem` dump into a `Machine`.
///
/// The kernel prints each resource as `%*s%0*llx-%0*llx : %s` with two spaces of indent per
/// nesting level and an inclusive end (kernel/resource.c `r_show`). Dumps pasted from mail or
/// markdown often have other indents (three spaces, tabs), so nesting is taken from the indent
/// relative to the enclosing lines, not from its width. Lines starting with `#` are comments
/// (ckplan's own data files carry their provenance that way; the kernel never prints `#`).
///
/// What arm64 puts where (arch/arm64/kernel/setup.c `request_standard_resources`):
/// - top-level `System RAM`: memblock.memory regions that are not NOMAP;
/// - top-level `reserved`: NOMAP regions — memory the kernel does not map, but which
///   `memblock_phys_mem_size()` (the RAM size `crashkernel=` ranges use) still counts;
/// - nested `Kernel code` / `Kernel data`: the image; nested `Crash kernel`: crashk_res and
///   crashk_low_res (both named `Crash kernel` since 5.19; older out-of-tree patches printed
///   `Crash kernel (low)`); nested `reserved`: memblock.reserved, page-rounded.
public enum IomemReader {
    /// One resource line.
    public struct Resource: Sendable, Equatable {
        public var depth: Int
        public var start: UInt64
        /// Inclusive, as printed.
        public var last: UInt64
        public var name: String
        public var line: Int
    }

    /// Parses the text into resources with their nesting depth; every line must parse.
    ///
    /// Works on the UTF-8 bytes: every character the syntax looks at (blanks, `-`, `:`, hex
    /// digits, `#`) is ASCII, and a line ends where `Character.isNewline` would end it (LF, VT,
    /// FF, CR, CR-LF as one, NEL, LS, PS).
    public static func resources(_ text: String, file: String) throws(InputError) -> [Resource] {
        var text = text
        let parsed: Result<[Resource], InputError> = text.withUTF8 { utf8 in
            Result { () throws(InputError) in try resources(utf8, file: file) }
        }
        return try parsed.get()
    }

    private static func resources(_ utf8: UnsafeBufferPointer<UInt8>, file: String) throws(InputError) -> [Resource] {
        var result: [Resource] = []
        // At most one resource per line, and no more lines than the limit: a file of 64 MiB of
        // newlines must not ask for gigabytes before the limit refuses it.
        result.reserveCapacity(min(utf8.reduce(0) { $1 == 0x0a ? $0 + 1 : $0 }, InputLimits.iomemLines) + 1)
        // Indents of the currently open ancestors, outermost first.
        var indents: [Int] = []
        var lineNumber = 0
        var lineStart = 0
        while lineStart < utf8.count {
            let (lineEnd, next) = endOfLine(utf8, from: lineStart)
            lineNumber += 1
            guard lineNumber <= InputLimits.iomemLines else {
                throw InputError(file: file, location: .line(lineNumber),
                                 message: "more than \(InputLimits.iomemLines) lines; ckplan reads at most that many (a /proc/iomem has a few thousand)")
            }
            defer { lineStart = next }
            var contentStart = lineStart
            while contentStart < lineEnd, isBlank(utf8[contentStart]) { contentStart += 1 }
            let line = UnsafeBufferPointer(rebasing: utf8[contentStart..<lineEnd])
            if line.isEmpty || line[0] == UInt8(ascii: "#") { continue }
            let indent = contentStart - lineStart
            guard let fields = parseLine(line) else {
                throw InputError(file: file, location: .line(lineNumber),
                                 message: "expected `START-END : NAME` with hexadecimal START and END, found `\(String(String(decoding: line, as: UTF8.self).prefix(60)))`")
            }
            guard let start = hex64(fields.start), let last = hex64(fields.end) else {
                throw InputError(file: file, location: .line(lineNumber),
                                 message: "address does not fit in 64 bits")
            }
            guard last >= start else {
                throw InputError(file: file, location: .line(lineNumber),
                                 message: "end \(Hex.short(last)) is below start \(Hex.short(start))")
            }
            while let top = indents.last, top >= indent { indents.removeLast() }
            result.append(Resource(depth: indents.count, start: start, last: last,
                                   name: String(decoding: fields.name, as: UTF8.self), line: lineNumber))
            indents.append(indent)
        }
        return result
    }

    /// Where the line starting at `start` ends, and where the next one starts.
    private static func endOfLine(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, next: Int) {
        var i = start
        while i < utf8.count {
            switch utf8[i] {
            case 0x0a, 0x0b, 0x0c:
                return (i, i + 1)
            case 0x0d:
                return (i, i + 1 < utf8.count && utf8[i + 1] == 0x0a ? i + 2 : i + 1)
            case 0xc2 where i + 1 < utf8.count && utf8[i + 1] == 0x85:
                return (i, i + 2)
            case 0xe2 where i + 2 < utf8.count && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xa8 || utf8[i + 2] == 0xa9):
                return (i, i + 3)
            default:
                i += 1
            }
        }
        return (i, i + 1)
    }

    /// Builds the machine model. Refuses a dump read without root (all addresses zero).
    public static func machine(_ text: String, file: String) throws(InputError) -> Machine {
        let all = try resources(text, file: file)
        guard !all.isEmpty else {
            throw InputError(file: file, location: .none, message: "no /proc/iomem lines found")
        }
        if all.allSatisfy({ $0.start == 0 && $0.last == 0 }) {
            throw InputError(file: file, location: .none,
                             message: "every address is zero: this /proc/iomem was read without root (the kernel hides resource addresses from unprivileged readers); read it as root")
        }
        var machine = Machine(source: file, kind: .iomem)
        for r in all {
            let isMemory = r.depth == 0 && (r.name == "System RAM" || r.name == "reserved")
            let isCrash = r.name == "Crash kernel" || r.name == "Crash kernel (low)"
            let isImage = r.name == "Kernel code" || r.name == "Kernel data"
            guard isMemory || isCrash || isImage else { continue }
            guard let range = PhysRange(start: r.start, inclusiveEnd: r.last) else {
                throw InputError(file: file, location: .line(r.line),
                                 message: "`\(r.name)` ends at 2^64 - 1; physical memory cannot reach the top of the address space")
            }
            if isMemory {
                guard machine.memory.count < InputLimits.memoryRegions else {
                    throw InputError(file: file, location: .line(r.line),
                                     message: "more than \(InputLimits.memoryRegions) System RAM and reserved ranges; ckplan plans at most that many")
                }
                machine.memory.append(MemoryRegion(range: range, noMap: r.name == "reserved"))
            } else if isCrash {
                machine.crashKernel.append(CrashKernelResource(range: range, explicitLow: r.name == "Crash kernel (low)"))
            } else {
                machine.kernelImage.append(range)
            }
        }
        machine.memory.sort { $0.range < $1.range }
        if let overlap = firstOverlap(machine.memory.map(\.range)) {
            throw InputError(file: file, location: .none,
                             message: "memory resources \(overlap.0) and \(overlap.1) overlap")
        }
        if machine.memory.allSatisfy(\.noMap) {
            machine.notes.append(Note(.warning, "no top-level `System RAM` line: the dump describes no usable memory"))
        }
        if looksLikeCaptureKernel(machine) {
            machine.notes.append(Note(.warning, "this looks like /proc/iomem read inside a capture (kdump) kernel: System RAM is only the crash region(s) the first kernel reserved, and the first kernel's no-map regions lie outside it; plan on the first kernel's /proc/iomem instead"))
        }
        return machine
    }

    /// A capture kernel sees only `linux,usable-memory-range` as System RAM (the first kernel's
    /// crash region(s), 2 MiB aligned), while the first kernel's NOMAP regions survive
    /// `memblock_cap_memory_range` and still appear as top-level `reserved` — outside that RAM.
    /// A first kernel never has NOMAP memory entirely outside the span of its System RAM *and*
    /// no `Crash kernel` line with RAM in at most two 2 MiB-aligned blocks.
    static func looksLikeCaptureKernel(_ m: Machine) -> Bool {
        let ram = m.memory.filter { !$0.noMap }.map(\.range)
        let nomap = m.memory.filter(\.noMap).map(\.range)
        guard m.crashKernel.isEmpty, !ram.isEmpty, ram.count <= 2, !nomap.isEmpty,
              let low = ram.map(\.start).min(), let high = ram.map(\.end).max() else { return false }
        let aligned = ram.allSatisfy { $0.start % (2 << 20) == 0 }
        let outside = nomap.filter { $0.end <= low || $0.start >= high }
        // The first kernel's RAM spanned the NOMAP regions; the capture kernel's does not.
        return aligned && outside.count == nomap.count
    }

    private static func firstOverlap(_ sorted: [PhysRange]) -> (PhysRange, PhysRange)? {
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.overlaps(b) { return (a, b) }
        return nil
    }

    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// `START-END :[ NAME]` with any blanks around `-` and `:`.
    private static func parseLine(_ s: Bytes) -> (start: Bytes, end: Bytes, name: Bytes)? {
        guard let dash = s.firstIndex(of: UInt8(ascii: "-")), let colon = s.firstIndex(of: UInt8(ascii: ":")),
              dash < colon else { return nil }
        let start = trimmingBlanks(s, 0, dash)
        let end = trimmingBlanks(s, dash + 1, colon)
        let name = trimmingBlanks(s, colon + 1, s.count)
        guard !start.isEmpty, !end.isEmpty, start.allSatisfy(isASCIIHex), end.allSatisfy(isASCIIHex) else { return nil }
        return (start, end, name)
    }

    private static func isBlank(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t")
    }

    /// `s[from..<to]` without blanks at either end.
    private static func trimmingBlanks(_ s: Bytes, _ from: Int, _ to: Int) -> Bytes {
        var from = from, to = to
        while from < to, isBlank(s[from]) { from += 1 }
        while to > from, isBlank(s[to - 1]) { to -= 1 }
        return Bytes(rebasing: s[from..<to])
    }

    private static func isASCIIHex(_ c: UInt8) -> Bool {
        MemParse.hexValue(c) != nil
    }

    /// Hexadecimal digits (checked by parseLine) as a number; nil beyond 64 bits. Leading zeros
    /// do not count.
    private static func hex64(_ s: Bytes) -> UInt64? {
        let digits = s.drop { $0 == UInt8(ascii: "0") }
        guard digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for c in digits {
            guard let d = MemParse.hexValue(c) else { return nil }
            value = value << 4 | d
        }
        return value
    }
}

