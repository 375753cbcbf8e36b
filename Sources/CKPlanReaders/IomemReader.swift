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
    public static func resources(_ text: String, file: String) throws(InputError) -> [Resource] {
        var result: [Resource] = []
        // Indents of the currently open ancestors, outermost first.
        var indents: [Int] = []
        var lineNumber = 0
        // `isNewline` splits on "\r\n" too: Swift treats CR-LF as one Character.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let content = line.drop { $0 == " " || $0 == "\t" }
            if content.isEmpty || content.first == "#" { continue }
            let indent = line.count - content.count
            guard let parsed = parseLine(content) else {
                throw InputError(file: file, location: .line(lineNumber),
                                 message: "expected `START-END : NAME` with hexadecimal START and END, found `\(String(content.prefix(60)))`")
            }
            guard let start = hex64(parsed.start), let last = hex64(parsed.end) else {
                throw InputError(file: file, location: .line(lineNumber),
                                 message: "address does not fit in 64 bits")
            }
            guard last >= start else {
                throw InputError(file: file, location: .line(lineNumber),
                                 message: "end \(Hex.short(last)) is below start \(Hex.short(start))")
            }
            while let top = indents.last, top >= indent { indents.removeLast() }
            result.append(Resource(depth: indents.count, start: start, last: last,
                                   name: String(parsed.name), line: lineNumber))
            indents.append(indent)
        }
        return result
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

    /// `START-END :[ NAME]` with any blanks around `-` and `:`.
    private static func parseLine(_ s: Substring) -> (start: Substring, end: Substring, name: Substring)? {
        guard let dash = s.firstIndex(of: "-"), let colon = s.firstIndex(of: ":"), dash < colon else { return nil }
        let start = s[..<dash].trimmingBlanks()
        let end = s[s.index(after: dash)..<colon].trimmingBlanks()
        let name = s[s.index(after: colon)...].trimmingBlanks()
        guard !start.isEmpty, !end.isEmpty, start.allSatisfy(isASCIIHex), end.allSatisfy(isASCIIHex) else { return nil }
        return (start, end, name)
    }

    private static func isASCIIHex(_ c: Character) -> Bool {
        c.isASCII && c.isHexDigit
    }

    private static func hex64(_ s: Substring) -> UInt64? {
        let s = s.drop { $0 == "0" }
        if s.isEmpty { return 0 }
        guard s.count <= 16 else { return nil }
        return UInt64(s, radix: 16)
    }
}

extension Substring {
    func trimmingBlanks() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
