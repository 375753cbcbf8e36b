/// The largest inputs ckplan reads. Each is far beyond any real machine, and each keeps a hostile
/// input from making a plan slow: past a limit the reader refuses the input with one line naming
/// the place (exit status 65, or 64 for an option). The file size (64 MiB) is checked where files
/// are read (CKPlanCommands), the device tree's nesting and node count in FDT.
public enum InputLimits {
    /// RAM ranges (DT `/memory` entries, top-level `System RAM` and `reserved` lines): a plan
    /// is linear in them (100,000 regions plan in about 0.3 s); real machines have under a
    /// thousand.
    public static let memoryRegions = 1 << 18
    /// Lines of a /proc/iomem dump: a large server's has a few thousand.
    public static let iomemLines = 1 << 20
    /// Bytes of a kernel command line (`--cmdline`, `--kexec-append`, `/chosen/bootargs`):
    /// arm64 kernels keep 2047 of them (COMMAND_LINE_SIZE 2048, arch/arm64/include/uapi/asm/setup.h).
    public static let commandLineBytes = 1 << 16
    /// Ranges reserved from the device tree before the boot allocates: `/memreserve/` entries
    /// plus the `reg` entries and dynamic sizes of `/reserved-memory` children. Real trees have
    /// a few dozen (6.1's kernel keeps 64 reserved-memory regions); each is one memblock_reserve.
    public static let reservedRanges = 1 << 12
    /// `dma-ranges` entries in the whole device tree: each entry of a bus is translated
    /// through the entries of every bus above it, so the work grows with their square. Real
    /// trees have a handful (one or two per bus).
    public static let dmaRangesEntries = 1 << 12
}
