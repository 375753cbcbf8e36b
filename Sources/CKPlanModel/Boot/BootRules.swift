/// What changes between kernel versions in the part of `setup_arch()` that runs before the crash
/// reservation (arch/arm64/kernel/setup.c, arch/arm64/mm/init.c, arch/arm64/mm/mmu.c,
/// mm/sparse.c, drivers/of/fdt.c, drivers/of/of_reserved_mem.c). One table; each field names its
/// version boundary and the file it comes from. Sizes marked "observed" were measured with
/// `memblock=debug` on the Debian kernels (kernel-rules-observed.md §3); for other versions they are
/// the nearest observed value, and the plan says so.
public struct BootRules: Sendable, Equatable {
    /// The pages `map_kernel` takes with `early_pgtable_alloc` when `paging_init()` maps the image
    /// (up to 6.8, `LinearMapRules.mapsKernelImageInPagingInit`). Observed on 6.1: 11 pages more
    /// than its linear map needs (1028 = 1017 + 11, kernel-rules-observed.md L9).
    public var kernelMappingTablePages: UInt64
    /// SECTION_SIZE_BITS (arch/arm64/include/asm/sparsemem.h): 30 for every granule up to 5.11,
    /// then 27 (4K, 16K) and 29 (64K).
    public var sectionSizeBits: UInt64
    public var sectionSizeBits64K: UInt64
    /// sizeof(pg_data_t), allocated by `alloc_node_data()` for each node (observed 0x2c80 on
    /// 6.1.192, 0x3740 on 6.12.107).
    public var nodeDataSize: UInt64
    /// A 16K (and 64K) kernel's pg_data_t is larger (one more page order per zone's free lists):
    /// observed 0x3880 on 6.12.107-16k.
    public var nodeDataLargePageExtra: UInt64
    /// The small allocation next to NODE_DATA: 6.1's `numa_alloc_distance()`
    /// (0x100 bytes, page aligned, arch/arm64 NUMA in drivers/base/arch_numa.c); 6.12's
    /// `alloc_bootmem_cpumask_var()` (0x40, cache-line aligned), after NODE_DATA. Observed.
    public var numaExtraSize: UInt64
    public var numaExtraAlign: UInt64
    public var numaExtraBeforeNodeData: Bool
    /// `sizeof(struct device_node)` and `sizeof(struct property)` for `unflatten_device_tree()`
    /// (include/linux/of.h; `struct property` embeds a `struct bin_attribute` under OF_KOBJ).
    /// Checked with memblock=debug on QEMU's virt DTB: 6.1 asks for 41276 bytes, 6.12 for 43556.
    public var deviceNodeSize: UInt64
    public var propertySize: UInt64
    /// `alloc_reserved_mem_array()` (drivers/of/of_reserved_mem.c, 00c9a452a235, 6.12): right
    /// after unflattening, an array of `struct reserved_mem` (48 bytes) for the `/reserved-memory`
    /// children, cache-line aligned. Before 6.12 the array is static. Observed: it moves NODE_DATA
    /// down by 0x80 on 6.12 with two reserved-memory nodes.
    public var reservedMemArrayEntry: UInt64?
    /// `struct mem_section_usage` per section: the subsection bitmap (8 bytes) plus the rcu_head
    /// added by 5ec8e8ea8b77 "mm/sparsemem: fix race in accessing memory_section->usage" (6.8,
    /// back-ported to 5.10.209, 5.15.148, 6.1.75) plus the pageblock flags (include/linux/mmzone.h).
    public var sectionUsageHeader: UInt64
    /// LPA2 (52-bit VA/PA with 4K/16K granules) exists from 6.9 (arch/arm64 "LPA2 support" series).
    public var lpa2: Bool
    /// How many `/chosen/linux,usable-memory-range` entries a capture kernel uses: the first
    /// caps memory, the others are added. One up to 5.18 (arch/arm64/mm/init.c
    /// `fdt_enforce_memory_region`); `MAX_USABLE_RANGES` 2 from 5.19, when the crash kernel
    /// got a low and a high region (drivers/of/fdt.c `early_init_dt_check_for_usable_mem_range`).
    public var usableMemoryRanges: Int
    /// A dynamic `/reserved-memory` region with `no-map` leaves memory (`memblock_remove`: a
    /// hole) rather than being marked MEMBLOCK_NOMAP. Read in 5.10.262's
    /// drivers/of/of_reserved_mem.c `early_init_dt_alloc_reserved_memory_arch`; 5.15 marks it.
    public var dynamicNoMapRemoves: Bool
    /// Whether the structure sizes above were measured on this release (6.1.192, 6.12.107) or
    /// borrowed from the nearest one.
    public var estimatedSizes: Bool

    public static func rules(for v: KernelVersion) -> BootRules {
        // Sizes of kernel structures were observed on 6.1.192 and 6.12.107 only; releases before
        // 6.12 take the 6.1 values, later ones the 6.12 values (`estimatedSizes` says so).
        let observed61 = v < KernelVersion(6, 12)
        return BootRules(
            kernelMappingTablePages: 11,
            sectionSizeBits: v < KernelVersion(5, 12) ? 30 : 27,
            sectionSizeBits64K: v < KernelVersion(5, 12) ? 30 : 29,
            nodeDataSize: observed61 ? 0x2c80 : 0x3740,
            nodeDataLargePageExtra: 0x140,
            numaExtraSize: observed61 ? 0x100 : 0x40,
            numaExtraAlign: observed61 ? 0x1000 : 64,
            numaExtraBeforeNodeData: observed61,
            deviceNodeSize: 208,
            propertySize: observed61 ? 96 : 104,
            reservedMemArrayEntry: v >= KernelVersion(6, 12) ? 48 : nil,
            sectionUsageHeader: 8 + 16,
            lpa2: v >= KernelVersion(6, 9),
            usableMemoryRanges: v >= KernelVersion(5, 19) ? 2 : 1,
            dynamicNoMapRemoves: v < KernelVersion(5, 15),
            estimatedSizes: !(v.series == "6.1" || v.series == "6.12"))
    }
}
