import CKPlanModel
import Testing

/// `memblock_cap_memory_range` (mm/memblock.c) and its two callers before the crash reservation:
/// a capture kernel's `/chosen/linux,usable-memory-range` (drivers/of/fdt.c
/// `early_init_dt_check_for_usable_mem_range`; arch/arm64/mm/init.c `fdt_enforce_memory_region`
/// up to 5.18) and `mem=` (`memblock_mem_limit_remove_map`, arch/arm64/mm/init.c
/// `arm64_memblock_init`). Each expectation is read off that kernel code.
@Suite struct MemoryCapTests {
    static let M: UInt64 = 1 << 20
    static let G: UInt64 = 1 << 30

    func r(_ s: UInt64, _ e: UInt64) -> PhysRange { PhysRange(start: s, end: e)! }

    @Test func capKeepsNoMapRegionsAndDropsOutsideReservations() {
        var m = Memblock(pageSize: 4096)
        m.add(r(0x4000_0000, 0x5000_0000))
        m.add(r(0x5000_0000, 0x5100_0000), flags: .noMap)
        m.add(r(0x5100_0000, 0x8000_0000))
        m.reserve(r(0x4100_0000, 0x4200_0000))
        m.reserve(r(0x7f00_0000, 0x7f10_0000))
        m.capMemoryRange(base: 0x6000_0000, size: 0x1000_0000)
        // The loops skip memblock_is_nomap: the NOMAP region below the cap stays.
        #expect(m.memory.map(\.range) == [r(0x5000_0000, 0x5100_0000), r(0x6000_0000, 0x7000_0000)])
        #expect(m.memory.map(\.flags) == [.noMap, []])
        // memblock_remove_range(&memblock.reserved, 0, base) and (base + size, PHYS_ADDR_MAX).
        #expect(m.reserved.isEmpty)
    }

    @Test func capOfSizeZeroChangesNothing() {
        var m = Memblock(pageSize: 4096)
        m.add(r(0x4000_0000, 0x8000_0000))
        m.reserve(r(0x4100_0000, 0x4200_0000))
        let before = m
        m.capMemoryRange(base: 0x6000_0000, size: 0)
        #expect(m == before)
    }

    @Test func capStopsAtTheTopOfTheAddressSpace() {
        // memblock_cap_size: base + size is clamped to PHYS_ADDR_MAX instead of wrapping.
        var m = Memblock(pageSize: 4096)
        m.add(r(0x4000_0000, 0x8000_0000))
        m.capMemoryRange(base: 0x6000_0000, size: .max)
        #expect(m.memory.map(\.range) == [r(0x6000_0000, 0x8000_0000)])
    }

    /// QEMU virt, 4 GiB at 0x40000000, planned on `profile` with `chosen` usable ranges.
    func boot(_ commandLine: String, usable: [PhysRange] = [], profile: KernelProfile = .debian612) -> BootSimulation {
        var machine = Machine(source: "test", kind: .deviceTree)
        machine.memory = [MemoryRegion(range: r(0x4000_0000, 0x1_4000_0000))]
        machine.chosen.usableMemoryRange = usable
        let input = BootSimulation.Input(machine: machine, profile: profile, commandLine: commandLine,
                                         boot: PlanRequest.defaultBoot(machine: machine, profile: profile), cpu: CPUFeatures())
        return BootSimulation.run(input)
    }

    @Test func usableMemoryRangeOfSizeZeroDoesNotCap() {
        let plain = boot("")
        let zero = boot("", usable: [r(0x8000_0000, 0x8000_0000)])
        #expect(zero.memblock.memory == plain.memblock.memory)
    }

    @Test func secondUsableMemoryRangeIsAddedFrom519() {
        let usable = [r(0x9000_0000, 0xa000_0000), r(0x4800_0000, 0x4c00_0000)]
        let v612 = boot("", usable: usable)
        #expect(v612.memblock.memory.map(\.range) == [r(0x4800_0000, 0x4c00_0000), r(0x9000_0000, 0xa000_0000)])
        let v515 = boot("", usable: usable, profile: .upstream(KernelVersion(5, 15)))
        #expect(v515.memblock.memory.map(\.range) == [r(0x9000_0000, 0xa000_0000)])
        #expect(v515.notes.map(\.message) == ["/chosen: linux,usable-memory-range has 2 ranges; this kernel reads the first 1"])
        #expect(v612.notes.isEmpty)
    }

    @Test func memZeroRemovesNothing() {
        // early_mem: memory_limit = 0; memblock_mem_limit_remove_map returns at once for 0.
        #expect(boot("mem=0").memblock.memory == boot("").memblock.memory)
        #expect(boot("mem=100").memblock.memory == boot("").memblock.memory)
    }

    @Test func memCapsFromTheBottom() {
        // __find_max_addr: 1 GiB from 0x40000000 ends at 0x80000000; nothing above stays.
        let capped = boot("mem=1G")
        #expect(capped.memblock.memory.map(\.range) == [r(0x4000_0000, 0x8000_0000)])
        #expect(capped.memblock.reserved.allSatisfy { $0.end <= 0x8000_0000 })
    }
}
