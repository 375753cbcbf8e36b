/// What the size of the DTB kexec-tools hands to the next kernel depends on, read from the DTB it
/// starts from (`/sys/firmware/fdt`, else `--dtb`): the packed size of the blob and the
/// `/chosen` properties and property-name strings its edits replace or add. The DTB reader
/// (CKPlanReaders) fills it from the libfdt view of the blob.
///
/// kexec-tools (kexec/arch/arm64/kexec-arm64.c `setup_2nd_dtb`, kexec/dt-ops.c) edits the blob with
/// libfdt and packs it (`fdt_pack`: header, reserve map, structure block, strings block, nothing
/// else), so the result is exact arithmetic on these facts (`KexecDTBFacts.kexecToolsSize`).
public struct KexecDTBFacts: Sendable, Equatable {
    /// `totalsize` from the header (QEMU's direct-boot DTB says 1 MiB: it is not packed).
    public var totalSize: UInt64
    /// Header (40 bytes, version 17) + reserve map (16 bytes per entry, plus the terminator) +
    /// structure block + strings block: `fdt_totalsize` after `fdt_pack`.
    public var packedSize: UInt64
    /// Root `#address-cells` / `#size-cells`; kexec-tools' defaults are 1 when absent.
    public var addressCells: UInt32
    public var sizeCells: UInt32
    /// `/chosen` exists.
    public var hasChosen: Bool
    /// Length in bytes of each `/chosen` property the edits touch, nil when absent.
    public var chosenPropertyLengths: [String: UInt64]
    /// `/chosen/kaslr-seed` is present and not zero (kexec-tools then refuses to load).
    public var kaslrSeedNonZero: Bool
    /// The strings block, to see whether a property name is already there (libfdt reuses any
    /// NUL-terminated match, suffixes included: `fdt_find_string_`).
    public private(set) var strings: [UInt8]
    /// Whether each name the /chosen edits set is already in `strings` (a plan sizes the DTB
    /// many times; each search went through the whole strings block).
    private var namesInStrings: [String: Bool]

    /// The `/chosen` properties kexec-tools sets, in the order it sets them.
    public static let bootargs = "bootargs"
    public static let elfcorehdr = "linux,elfcorehdr"
    public static let usableMemoryRange = "linux,usable-memory-range"
    public static let initrdStart = "linux,initrd-start"
    public static let initrdEnd = "linux,initrd-end"

    public init(totalSize: UInt64, packedSize: UInt64, addressCells: UInt32, sizeCells: UInt32, hasChosen: Bool,
                chosenPropertyLengths: [String: UInt64], kaslrSeedNonZero: Bool, strings: [UInt8]) {
        self.totalSize = totalSize
        self.packedSize = packedSize
        self.addressCells = addressCells
        self.sizeCells = sizeCells
        self.hasChosen = hasChosen
        self.chosenPropertyLengths = chosenPropertyLengths
        self.kaslrSeedNonZero = kaslrSeedNonZero
        self.strings = strings
        // A NUL-terminated name is in the block where it ends one of the block's strings.
        let names = Self.setNames.map { Array($0.utf8) }
        var found = [Bool](repeating: false, count: names.count)
        var start = 0
        for (end, byte) in strings.enumerated() where byte == 0 {
            let string = strings[start..<end]
            for (i, name) in names.enumerated() where !found[i] && string.count >= name.count {
                found[i] = string.suffix(name.count).elementsEqual(name)
            }
            start = end + 1
        }
        namesInStrings = Dictionary(uniqueKeysWithValues: zip(Self.setNames, found))
    }

    /// The names kexec-tools' and the kernel's /chosen edits may add.
    static let setNames = [bootargs, elfcorehdr, usableMemoryRange, initrdStart, initrdEnd, "kaslr-seed", "rng-seed"]

    /// Whether the strings block holds `prop` (NUL-terminated, suffixes of longer names count).
    func stringsContain(_ prop: String) -> Bool {
        namesInStrings[prop] ?? Self.contains(strings, Array(prop.utf8) + [0])
    }

    /// `FDT_TAGALIGN`: property values and names are padded to 4 bytes.
    static func tagAlign(_ n: UInt64) -> UInt64 { (n + 3) & ~3 }

    /// The DTB segment's `bufsz` kexec-tools 2.0.24+ builds (`setup_2nd_dtb`, `dtb_set_initrd`,
    /// `dtb_clear_initrd`; all through libfdt's `fdt_setprop` and `fdt_pack`):
    ///
    /// 1. `bootargs` := the new command line (value padded to 4 bytes by `dtb_set_property`),
    ///    only when it is not empty; this packs the blob.
    /// 2. crash only: `linux,elfcorehdr` (one address/size pair) and `linux,usable-memory-range`
    ///    (one pair per crash range), then `fdt_pack` (also for a normal load, when `kaslr-seed` exists).
    /// 3. an initrd: `linux,initrd-start` / `-end` as 8-byte values, each packing again.
    ///    No initrd: both are deleted, but the size kexec-tools records is the one before.
    ///
    /// A new property costs 12 bytes + its padded value, plus its name in the strings block unless
    /// the name is already there; a replaced one changes by the difference of the padded lengths.
    public func kexecToolsSize(commandLine: String?, crash: Bool, crashRanges: Int, initrd: Bool) -> UInt64 {
        var size = totalSize, packed = false
        var added: [UInt8] = []
        var chosen = hasChosen, lengths = chosenPropertyLengths
        func set(_ prop: String, _ valueLength: UInt64) {
            if !chosen {
                size += 16  // FDT_BEGIN_NODE + "chosen\0" padded to 8 + FDT_END_NODE
                chosen = true
            }
            if let old = lengths[prop] {
                size = size - Self.tagAlign(old) + Self.tagAlign(valueLength)
            } else {
                size += 12 + Self.tagAlign(valueLength)
                let name = Array(prop.utf8) + [0]
                // In the original block, or ending in what was added (starting at most
                // name.count - 1 bytes before it).
                let present = stringsContain(prop) || Self.contains(Array(strings.suffix(name.count - 1)) + added, name)
                if !present {
                    added += name
                    size += UInt64(name.count)
                }
            }
            lengths[prop] = valueLength
        }
        func pack() {
            if !packed { size = size - totalSize + packedSize }
            packed = true
        }
        if let line = commandLine, !line.isEmpty {
            pack()
            set(Self.bootargs, Self.tagAlign(UInt64(line.utf8.count) + 1))
        }
        let pair = UInt64(4 * (addressCells + sizeCells))
        if crash {
            set(Self.elfcorehdr, pair)
            set(Self.usableMemoryRange, pair * UInt64(crashRanges))
        }
        if crash || lengths["kaslr-seed"] != nil { pack() }
        if initrd {
            pack()
            set(Self.initrdStart, 8)
            set(Self.initrdEnd, 8)
        }
        return size
    }

    /// Whether `needle` occurs in `haystack` (byte by byte over the buffers: a plan asks for each
    /// property name kexec-tools sets, and slicing per position cost more than the plan).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard needle.count <= haystack.count else { return false }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                while i + n.count <= h.count {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }
}
