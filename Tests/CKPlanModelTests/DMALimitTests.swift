import CKPlanModel
import Testing

/// arm64_dma_phys_limit against what real kernels showed (kernel-rules-observed.md D1–D5, QEMU virt).
@Suite struct DMALimitTests {
    let v61 = ZoneDMALimitRules.rules(for: KernelVersion(6, 1, 192))
    let v612 = ZoneDMALimitRules.rules(for: KernelVersion(6, 12, 107))

    func dram(_ s: UInt64, _ e: UInt64) -> PhysRange { PhysRange(start: s, end: e)! }

    @Test func noDMARangesGivesFourGiB() {
        let d = dram(0x4000_0000, 0x1_4000_0000)
        #expect(v61.limit(zoneDMA: true, zoneDMA32: true, paBits: 48, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 0x1_0000_0000)
        #expect(v612.limit(zoneDMA: true, zoneDMA32: true, paBits: 52, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 0x1_0000_0000)
    }

    @Test func smallRAMClipsToEndOfDRAM() {
        let d = dram(0x4000_0000, 0xc000_0000)  // observed: limit 0xc0000000 on a 2 GiB QEMU virt
        #expect(v61.limit(zoneDMA: true, zoneDMA32: true, paBits: 48, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 0xc000_0000)
        #expect(v612.limit(zoneDMA: true, zoneDMA32: true, paBits: 52, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 0xc000_0000)
    }

    @Test func nonPowerOfTwoDMARangeRoundsUpOnlyBefore612() {
        // D1/D2: dma-ranges CPU 0x40000000 size 0x80000000 (max 0xbfffffff), 4 GiB RAM.
        let d = dram(0x4000_0000, 0x1_4000_0000)
        #expect(v61.limit(zoneDMA: true, zoneDMA32: true, paBits: 48, dtMaxCPUAddress: 0xbfff_ffff, acpiMaxCPUAddress: nil, dram: d) == 0x1_0000_0000)
        #expect(v612.limit(zoneDMA: true, zoneDMA32: true, paBits: 52, dtMaxCPUAddress: 0xbfff_ffff, acpiMaxCPUAddress: nil, dram: d) == 0xc000_0000)
        // 1 GiB dma-ranges (max 0x7fffffff): both 0x80000000.
        #expect(v61.limit(zoneDMA: true, zoneDMA32: true, paBits: 48, dtMaxCPUAddress: 0x7fff_ffff, acpiMaxCPUAddress: nil, dram: d) == 0x8000_0000)
        #expect(v612.limit(zoneDMA: true, zoneDMA32: true, paBits: 52, dtMaxCPUAddress: 0x7fff_ffff, acpiMaxCPUAddress: nil, dram: d) == 0x8000_0000)
    }

    @Test func dramAboveFourGiBMakesAllOfRAMTheDMAZone() {
        // D4: RAM only at 0x100000000 + 3 GiB.
        let d = dram(0x1_0000_0000, 0x1_c000_0000)
        #expect(v61.limit(zoneDMA: true, zoneDMA32: true, paBits: 48, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 0x1_c000_0000)
        #expect(v612.limit(zoneDMA: true, zoneDMA32: true, paBits: 52, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 0x1_c000_0000)
    }

    @Test func dramStartingAboveTheMaskButBelowFourGiB() {
        // D5: RAM 0x80000000 + 2 GiB and 0x100000000 + 1 GiB → limit 4 GiB on both.
        let d = dram(0x8000_0000, 0x1_4000_0000)
        #expect(v61.limit(zoneDMA: true, zoneDMA32: true, paBits: 48, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 0x1_0000_0000)
        #expect(v612.limit(zoneDMA: true, zoneDMA32: true, paBits: 52, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 0x1_0000_0000)
    }

    @Test func noDMAZonesMeansPhysMaskPlusOne() {
        let d = dram(0x4000_0000, 0x1_4000_0000)
        #expect(v612.limit(zoneDMA: false, zoneDMA32: false, paBits: 48, dtMaxCPUAddress: nil, acpiMaxCPUAddress: nil, dram: d) == 1 << 48)
    }
}
