/// One kexec segment as the kernel receives it (`struct kexec_segment`): `mem`, `memsz`, `bufsz`.
public struct KexecSegment: Sendable, Equatable {
    public enum Name: String, Sendable, Equatable { case kernel, initrd, dtb, purgatory, elfcorehdr }
    public var name: Name
    /// `mem`: page-aligned physical destination.
    public var start: UInt64
    /// `memsz`, page-rounded (kexec-tools `add_segment_phys_virt`; kernel `kexec_add_buffer`).
    public var size: UInt64
    /// `bufsz`: the bytes copied in; the rest of `memsz` is zero-filled.
    public var bufsz: UInt64

    public init(name: Name, start: UInt64, size: UInt64, bufsz: UInt64) {
        self.name = name
        self.start = start
        self.size = size
        self.bufsz = bufsz
    }

    public var end: UInt64 { start &+ size }
    public var range: PhysRange { PhysRange(start: start, end: max(start, end))! }
}

/// Why a load fails: the lines the user sees, in order, and how far the input misses.
public struct KexecFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// kexec-tools' stderr lines (for `kexec_file_load`: the kernel's `pr_err` line, then
    /// kexec-tools' line), verbatim without trailing newlines.
    public var messages: [String]
    /// Bytes the region (or the DTB, or the 32 GiB window) is short by, when that is what failed.
    public var shortfall: UInt64?

    public init(_ messages: [String], shortfall: UInt64? = nil) {
        self.messages = messages
        self.shortfall = shortfall
    }
    public var description: String { messages.joined(separator: "\n") }
}

/// Alignment arithmetic shared by the loaders (the kernel's `ALIGN` / `ALIGN_DOWN`; kexec-tools'
/// `_ALIGN` / `_ALIGN_DOWN`); `align` is a power of two. nil when rounding up would pass 2^64.
enum Align {
    static func up(_ v: UInt64, _ align: UInt64) -> UInt64? {
        let (s, o) = v.addingReportingOverflow(align - 1)
        return o ? nil : s & ~(align - 1)
    }
    static func down(_ v: UInt64, _ align: UInt64) -> UInt64 { v & ~(align - 1) }
    /// Page rounding of a size; sizes here are far below 2^64.
    static func pages(_ v: UInt64, _ page: UInt64) -> UInt64 { up(v, page) ?? v }
}

/// The number of address ranges left when `excluded` ranges are cut out of `ranges` (each cut may
/// split one range in two): kexec-tools' `mem_regions_alloc_and_exclude` and the kernel's
/// `crash_exclude_mem_range`, which build the ELF core header's PT_LOAD list.
///
/// The pieces come range by range, each range's in address order: what is left of it between
/// the cuts (one pass over the cuts sorted by start, no array per piece).
func rangesAfterExcluding(_ ranges: [PhysRange], _ excluded: [PhysRange]) -> [PhysRange] {
    let cuts = excluded.filter { !$0.isEmpty }.sorted { $0.start < $1.start }
    var pieces: [PhysRange] = []
    pieces.reserveCapacity(ranges.count)
    for r in ranges where !r.isEmpty {
        var cursor = r.start
        for cut in cuts where cut.overlaps(r) {
            if cut.start > cursor, let piece = PhysRange(start: cursor, end: cut.start) { pieces.append(piece) }
            cursor = max(cursor, cut.end)
        }
        if cursor < r.end, let piece = PhysRange(start: cursor, end: r.end) { pieces.append(piece) }
    }
    return pieces
}

/// The size of an ELF64 core header with one program header per CPU note, one for vmcoreinfo,
/// one for the kernel text and one per memory range (64-byte Elf64_Ehdr, 56-byte Elf64_Phdr),
/// rounded up to `align` (kexec-tools kexec/crashdump-elf.c; kernel kernel/crash_core.c
/// `crash_prepare_elf64_headers`).
func elfCoreHeaderSize(cpus: Int, memoryRanges: Int, align: UInt64) -> UInt64 {
    let phdrs = UInt64(max(cpus, 0)) + 1 + 1 + UInt64(memoryRanges)
    return Align.pages(64 + 56 * phdrs, align)
}
