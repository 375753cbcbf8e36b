/// The page-table shape the linear map is built in: the granule, the number of levels and the
/// offset between physical and linear-map virtual addresses.
///
/// Sources: `arch/arm64/include/asm/pgtable-hwdef.h` (`ARM64_HW_PGTABLE_LEVELS`,
/// `ARM64_HW_PGTABLE_LEVEL_SHIFT`, `CONT_PTE_SHIFT`, `CONT_PMD_SHIFT`), `arch/arm64/Kconfig`
/// (`ARM64_CONT_PTE_SHIFT` / `ARM64_CONT_PMD_SHIFT`), `arch/arm64/include/asm/memory.h`
/// (`ARM64_MEMSTART_ALIGN`, `__phys_to_virt`), `arch/arm64/include/asm/sparsemem.h`
/// (`SECTION_SIZE_BITS`). kernel-rules.md §6.3 and §8.
///
/// Why both VA and PA matter: `alloc_init_pud`, `alloc_init_cont_pmd`, `init_pmd` and
/// `alloc_init_cont_pte` (arch/arm64/mm/mmu.c) test `(addr | next | phys)` against the unit's mask,
/// with `addr` the linear VA. The linear VA is `PA - memstart_addr + PAGE_OFFSET` and
/// `PAGE_OFFSET` is aligned far beyond any unit, so a unit of size `S` can be used at a
/// PA-aligned address exactly when `memstart_addr` is a multiple of `S` — and then everywhere
/// (``isUsable(_:)``). `memstart_addr` is a multiple of `ARM64_MEMSTART_ALIGN`, so only units larger
/// than that alignment depend on it: 64K pages' 16 GiB contiguous PMD group (alignment 512 MiB).
public struct LinearMapGeometry: Sendable, Equatable {
    /// `PAGE_SIZE`: 4 KiB, 16 KiB or 64 KiB.
    public let pageSize: UInt64
    /// The VA size the kernel runs with (`vabits_actual`), which fixes the number of levels.
    public let vaBits: Int
    /// `memstart_addr` (`PHYS_OFFSET`): the PA that maps to `PAGE_OFFSET`.
    public let memstartAddr: UInt64

    /// Nil unless the granule is 4K/16K/64K, `vaBits` is 36…52 and gives 2…5 levels, and
    /// `memstartAddr` is page aligned.
    public init?(pageSize: UInt64, vaBits: Int, memstartAddr: UInt64) {
        guard [4096, 16384, 65536].contains(pageSize), (36...52).contains(vaBits),
              memstartAddr % pageSize == 0 else { return nil }
        self.pageSize = pageSize
        self.vaBits = vaBits
        self.memstartAddr = memstartAddr
        guard (2...5).contains(levels) else { return nil }
    }

    public var pageShift: Int { pageSize.trailingZeroBitCount }
    /// Bits resolved per table level: a table is one page of 8-byte entries.
    public var bitsPerLevel: Int { pageShift - 3 }
    /// `ARM64_HW_PGTABLE_LEVELS(va) = (va - 4) / (PAGE_SHIFT - 3)`: 4K 39/48/52 → 3/4/5;
    /// 16K 36/47/48/52 → 2/3/4/4; 64K 42/48/52 → 2/3/3.
    public var levels: Int { (vaBits - 4) / bitsPerLevel }

    public var pmdShift: Int { pageShift + bitsPerLevel }
    public var pudShift: Int { pageShift + 2 * bitsPerLevel }
    public var p4dShift: Int { pageShift + 3 * bitsPerLevel }
    /// The span of one top-level (pgd) entry.
    public var pgdShift: Int { pageShift + (levels - 1) * bitsPerLevel }

    public var pmdSize: UInt64 { 1 << UInt64(pmdShift) }
    public var pudSize: UInt64 { 1 << UInt64(pudShift) }
    /// `CONT_PTES`: 16 (4K), 128 (16K), 32 (64K) — `ARM64_CONT_PTE_SHIFT` 4/7/5.
    public var contPTEs: UInt64 {
        switch pageSize { case 4096: 16; case 16384: 128; default: 32 }
    }
    /// `CONT_PMDS`: 16 (4K), 32 (16K), 32 (64K) — `ARM64_CONT_PMD_SHIFT` 4/5/5.
    public var contPMDs: UInt64 {
        switch pageSize { case 4096: 16; default: 32 }
    }
    /// `pud_sect_supported()` is `PAGE_SIZE == SZ_4K` in every version (5.10 `use_1G_block`).
    public var pudBlocksSupported: Bool { pageSize == 4096 }

    /// One way of mapping memory: a leaf size, and whether the contiguous hint groups leaves.
    public struct Unit: Hashable, Sendable, Comparable {
        public var leafSize: UInt64
        public var contiguous: Bool
        /// The bytes one unit covers: a whole contiguous group, or one leaf.
        public var size: UInt64

        public static func < (a: Unit, b: Unit) -> Bool { a.size < b.size }
    }

    /// Every unit of this granule, largest first: PUD block (4K only), CONT PMD group, PMD block,
    /// CONT PTE group, page.
    public var units: [Unit] {
        var all: [Unit] = []
        if pudBlocksSupported { all.append(Unit(leafSize: pudSize, contiguous: false, size: pudSize)) }
        all.append(Unit(leafSize: pmdSize, contiguous: true, size: pmdSize * contPMDs))
        all.append(Unit(leafSize: pmdSize, contiguous: false, size: pmdSize))
        all.append(Unit(leafSize: pageSize, contiguous: true, size: pageSize * contPTEs))
        all.append(Unit(leafSize: pageSize, contiguous: false, size: pageSize))
        return all
    }

    /// The page unit, always usable.
    public var page: Unit { Unit(leafSize: pageSize, contiguous: false, size: pageSize) }

    /// Whether the VA and the PA can both be aligned to the unit (see the type's comment).
    public func isUsable(_ unit: Unit) -> Bool { memstartAddr % unit.size == 0 }

    /// The linear-map offset of a PA: `__phys_to_virt(pa) - PAGE_OFFSET`. Table slots are counted
    /// on this, since `PAGE_OFFSET` is aligned to every table span.
    public func linearOffset(_ pa: UInt64) -> UInt64 { pa &- memstartAddr }

    /// `ARM64_MEMSTART_ALIGN`: `1 << max(ARM64_MEMSTART_SHIFT, SECTION_SIZE_BITS)`.
    /// `ARM64_MEMSTART_SHIFT` is `PUD_SHIFT` (4K, 30), `CONT_PMD_SHIFT` (16K, 30; 5.10 writes it
    /// `PMD_SHIFT + 5`) or `PMD_SHIFT` (64K, 29). `SECTION_SIZE_BITS` is 30 before 5.12 and 27 (4K,
    /// 16K) / 29 (64K) from 5.12 ("arm64: sparsemem: reduce SECTION_SIZE_BITS"). So 1 GiB, except
    /// 512 MiB for 64K pages from 5.12.
    public static func memstartAlign(pageSize: UInt64, version: KernelVersion) -> UInt64 {
        let shift = pageSize == 65536 ? 29 : 30
        let rules = BootRules.rules(for: version)
        let section = pageSize == 65536 ? rules.sectionSizeBits64K : rules.sectionSizeBits
        return 1 << max(UInt64(shift), section)
    }

    /// `memstart_addr = round_down(memblock_start_of_DRAM(), ARM64_MEMSTART_ALIGN)`
    /// (arch/arm64/mm/init.c `arm64_memblock_init`), without the KASLR linear-region
    /// randomisation (`nokaslr`, or no seed) and ignoring the 52-bit-kernel-on-48-bit-CPU
    /// adjustment, which moves it by a multiple of 2^47 and changes no alignment counted here.
    public static func memstartAddr(firstMemoryStart: UInt64, pageSize: UInt64, version: KernelVersion) -> UInt64 {
        let align = memstartAlign(pageSize: pageSize, version: version)
        return firstMemoryStart / align * align
    }

    /// `vabits_actual`: `CONFIG_ARM64_VA_BITS`, except that a 52-bit kernel on a CPU without the
    /// large-VA feature (LPA2 for 4K/16K, LVA for 64K; or `arm64.nolva`) runs with `VA_BITS_MIN`:
    /// 48, or 47 for 16K pages (arch/arm64/include/asm/memory.h, 6.9+).
    public static func runtimeVABits(configured: Int, pageSize: UInt64, largeVA: Bool) -> Int {
        guard configured > 48, !largeVA else { return configured }
        return pageSize == 16384 ? 47 : 48
    }
}
