import CKPlanModel
import Testing

/// mm/memblock.c semantics the crash reservation depends on (kernel-rules.md §3.1).
@Suite struct MemblockTests {
    func range(_ start: UInt64, _ end: UInt64) -> PhysRange {
        PhysRange(start: start, end: end)!
    }

    @Test func topDownTakesHighestAlignedFitBelowEnd() {
        var m = Memblock(pageSize: 4096)
        m.add(range(0x4000_0000, 0xc000_0000))
        m.reserve(range(0xbda0_0000, 0xc000_0000))
        // CMA-like: 64 MiB, 2 MiB aligned, in [0, 0xc0000000) → directly below the reservation.
        #expect(m.allocTopDown(size: 64 << 20, align: 2 << 20, start: 0, end: 0xc000_0000) == range(0xb9a0_0000, 0xbda0_0000))
        // 512 MiB next: directly below (observed 6.1 2G: 0x99a00000–0xb9a00000).
        #expect(m.allocTopDown(size: 512 << 20, align: 2 << 20, start: 0, end: 0xc000_0000) == range(0x99a0_0000, 0xb9a0_0000))
    }

    @Test func roundsDownToAlignmentInsideTheFreeRange() {
        var m = Memblock(pageSize: 4096)
        m.add(range(0x4000_0000, 0x8000_0000))
        m.reserve(range(0x7ff0_0000, 0x8000_0000))  // top 1 MiB taken: next 2 MiB slot is lower
        #expect(m.findTopDown(size: 2 << 20, align: 2 << 20, start: 0, end: .max) == 0x7fc0_0000)
        #expect(m.findTopDown(size: 1 << 20, align: 2 << 20, start: 0, end: .max) == 0x7fe0_0000)
    }

    @Test func neverStraddlesRegionsWithDifferentFlags() {
        var m = Memblock(pageSize: 4096)
        m.add(range(0x4000_0000, 0x6000_0000))
        m.add(range(0x6000_0000, 0x8000_0000), flags: .hotplug)
        // 768 MiB would fit across both regions, but not inside either.
        #expect(m.findTopDown(size: 768 << 20, align: 2 << 20, start: 0, end: .max) == nil)
        #expect(m.memory.count == 2)
        // Same flags merge: one region, and the allocation fits.
        var n = Memblock(pageSize: 4096)
        n.add(range(0x4000_0000, 0x6000_0000))
        n.add(range(0x6000_0000, 0x8000_0000))
        #expect(n.memory.count == 1)
        #expect(n.findTopDown(size: 768 << 20, align: 2 << 20, start: 0, end: .max) == 0x5000_0000)
    }

    @Test func noMapIsSkippedButCounted() {
        var m = Memblock(pageSize: 4096)
        m.add(range(0x4000_0000, 0x8000_0000))
        m.setFlags(.noMap, true, in: range(0x7000_0000, 0x8000_0000))
        #expect(m.physMemSize == 0x4000_0000)
        #expect(m.memory.count == 2)
        #expect(m.findTopDown(size: 2 << 20, align: 2 << 20, start: 0, end: .max) == 0x6fe0_0000)
    }

    @Test func fixedBaseFitsOnlyExactlyAndAligned() {
        var m = Memblock(pageSize: 4096)
        m.add(range(0x4000_0000, 0x1_4000_0000))
        m.reserve(range(0x4800_0000, 0x4810_0000))
        #expect(m.findTopDown(size: 256 << 20, align: 2 << 20, start: 0x6000_0000, end: 0x7000_0000) == 0x6000_0000)
        #expect(m.findTopDown(size: 256 << 20, align: 2 << 20, start: 0x4800_0000, end: 0x5800_0000) == nil)
        // Not 2 MiB aligned: round_down lands below the start, so it fails.
        #expect(m.findTopDown(size: 256 << 20, align: 2 << 20, start: 0x6010_0000, end: 0x7010_0000) == nil)
    }

    @Test func neverReturnsPageZero() {
        var m = Memblock(pageSize: 4096)
        m.add(range(0, 0x20_0000))
        #expect(m.findTopDown(size: 0x1f_f000, align: 4096, start: 0, end: .max) == 0x1000)
        #expect(m.findTopDown(size: 0x20_0000, align: 4096, start: 0, end: .max) == nil)
    }

    @Test func freeSplitsReservedRanges() {
        var m = Memblock(pageSize: 4096)
        m.add(range(0x4000_0000, 0x8000_0000))
        m.reserve(range(0x4000_0000, 0x5000_0000))
        m.free(range(0x4400_0000, 0x4800_0000))
        #expect(m.reserved == [range(0x4000_0000, 0x4400_0000), range(0x4800_0000, 0x5000_0000)])
        // memblock_free(base, 0) changes nothing, even inside a reserved range (found by
        // Tests/Fuzz memblock against its per-MiB model: it used to split the range in two).
        m.free(range(0x4100_0000, 0x4100_0000))
        #expect(m.reserved == [range(0x4000_0000, 0x4400_0000), range(0x4800_0000, 0x5000_0000)])
    }

    @Test func bottomUpTakesLowestAlignedFit() {
        var m = Memblock(pageSize: 4096)
        m.add(range(0x1_0000_0000, 0x1_c000_0000))
        m.reserve(range(0x1_0020_0000, 0x1_0230_0000))
        #expect(m.findBottomUp(size: 64 << 20, align: 2 << 20, start: 0x1_0000_0000, end: .max) == 0x1_0240_0000)
    }
}
