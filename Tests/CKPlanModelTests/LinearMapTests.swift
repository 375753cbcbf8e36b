import CKPlanModel
import Testing

/// The linear-map walk (arch/arm64/mm/mmu.c `__create_pgd_mapping`) at every alignment edge,
/// checked against hand-derived layouts and the observed ones of kernel-rules-observed.md L2–L9.
@Suite struct LinearMapTests {
    static let k4 = UInt64(4 << 10), k16 = UInt64(16 << 10), k64 = UInt64(64 << 10)
    static let m2 = UInt64(2 << 20), m32 = UInt64(32 << 20), g1 = UInt64(1 << 30)

    func r(_ s: UInt64, _ e: UInt64) -> PhysRange { PhysRange(start: s, end: e)! }
    func run(_ s: UInt64, _ e: UInt64, _ leaf: UInt64, _ cont: Bool = false) -> LinearMap.Run {
        LinearMap.Run(start: s, end: e, leafSize: leaf, contiguous: cont)
    }
    func geometry(_ page: UInt64 = 4096, va: Int = 48, memstart: UInt64 = 0x4000_0000) -> LinearMapGeometry {
        LinearMapGeometry(pageSize: page, vaBits: va, memstartAddr: memstart)!
    }
    func build(_ mapped: [PhysRange], alias: PhysRange? = nil, pool: PhysRange? = nil, crash: PhysRange? = nil,
               forced: Bool = false, _ g: LinearMapGeometry) -> LinearMap {
        LinearMap.build(LinearMapInput(mapped: mapped, kernelAlias: alias, kfencePool: pool, crashEarly: crash,
                                       forcePages: forced, forceReason: forced ? "rodata=full" : nil, geometry: g))
    }

    @Test func sixOneRodataOnMatchesTheObservedWalk() {
        // kernel-rules-observed.md L2/L6: 6.1 2G rodata=on, alias [_stext, __init_begin).
        let m = build([r(0x4000_0000, 0xc000_0000)], alias: r(0x4021_0000, 0x4186_0000), geometry())
        #expect(m.runs == [
            run(0x4000_0000, 0x4020_0000, Self.m2), run(0x4020_0000, 0x4021_0000, Self.k4, true),
            run(0x4021_0000, 0x4040_0000, Self.k4), run(0x4040_0000, 0x4180_0000, Self.m2),
            run(0x4180_0000, 0x4186_0000, Self.k4), run(0x4186_0000, 0x41a0_0000, Self.k4, true),
            run(0x41a0_0000, 0x4200_0000, Self.m2), run(0x4200_0000, 0x8000_0000, Self.m2, true),
            run(0x8000_0000, 0xc000_0000, Self.g1),
        ])
        #expect(m.forcedReason == nil)
        // The alias start cuts a 2 MiB block, its end leaves CONT pages up to 0x41a00000.
        #expect(m.breaks.map(\.at).contains(0x4021_0000))
        #expect(m.breaks.map(\.at).contains(0x4186_0000))
    }

    @Test func regionStartingOnePageBelowA2MiBBoundary() {
        let m = build([r(0x401f_f000, 0x4080_0000)], geometry())
        #expect(m.runs == [run(0x401f_f000, 0x4020_0000, Self.k4), run(0x4020_0000, 0x4080_0000, Self.m2)])
        let b = m.breaks.first { $0.at == 0x401f_f000 }
        #expect(b?.reason.contains("start of memory") == true)
    }

    @Test func regionEndingOnePagePastA1GiBBoundary() {
        let m = build([r(0x3ff0_0000, 0x8000_1000)], geometry(memstart: 0))
        #expect(m.runs == [run(0x3ff0_0000, 0x4000_0000, Self.k4, true), run(0x4000_0000, 0x8000_0000, Self.g1),
                           run(0x8000_0000, 0x8000_1000, Self.k4)])
        #expect(m.breaks.map(\.at) == [0x3ff0_0000, 0x8000_1000])
        #expect(m.leafEntries.map(\.entries) == [1, 256, 1])
    }

    @Test func contiguousRunsCutByAHole() {
        let m = build([r(0x4000_0000, 0x4300_0000), r(0x4320_0000, 0x4600_0000)], geometry())
        #expect(m.runs == [run(0x4000_0000, 0x4200_0000, Self.m2, true), run(0x4200_0000, 0x4300_0000, Self.m2),
                           run(0x4320_0000, 0x4400_0000, Self.m2), run(0x4400_0000, 0x4600_0000, Self.m2, true)])
        #expect(m.breaks.contains { $0.at == 0x4300_0000 && $0.reason.hasPrefix("start of the hole [0x43000000, 0x43200000)") })
        #expect(m.breaks.contains { $0.at == 0x4320_0000 && $0.reason.hasPrefix("end of the hole [0x43000000, 0x43200000)") })
    }

    @Test func noMapCarveOutInTheMiddleOfA1GiBRegion() {
        // qemu-6.1-2g-nomap-rodata-on: no-map 0x90000000+16M; the region after it is 16 MiB
        // aligned only, so its first 16 MiB are 2 MiB blocks without CONT.
        let input = LinearMapInput(mapped: [r(0x4000_0000, 0x9000_0000), r(0x9100_0000, 0xc000_0000)],
                                   nomap: [r(0x9000_0000, 0x9100_0000)], kernelAlias: r(0x4021_0000, 0x4186_0000),
                                   forcePages: false, geometry: geometry())
        let m = LinearMap.build(input)
        #expect(m.runs.suffix(3) == [run(0x4200_0000, 0x9000_0000, Self.m2, true), run(0x9100_0000, 0x9200_0000, Self.m2),
                                     run(0x9200_0000, 0xc000_0000, Self.m2, true)])
        #expect(m.breaks.contains { $0.at == 0x9000_0000 && $0.reason.contains("start of NOMAP") })
        #expect(m.breaks.contains { $0.at == 0x9100_0000 && $0.reason.contains("end of NOMAP") })
        // The best layout keeps the carve-out (it is the memory map) but not the alias cut.
        #expect(m.best.runs.first == run(0x4000_0000, 0x8000_0000, Self.g1))
    }

    @Test func sixteenKConstants() {
        // kernel-rules-observed.md L8: 6.12-16k 3G rodata=on kfence.sample_interval=100.
        let g = geometry(16384, va: 52)
        #expect(g.levels == 4)
        #expect(g.pmdSize == Self.m32)
        #expect(g.units.map(\.size) == [Self.g1, Self.m32, Self.m2, Self.k16])
        let m = build([r(0x4000_0000, 0x1_0000_0000)], alias: r(0x4020_0000, 0x41f6_0000), pool: r(0xff80_0000, 0x1_0000_0000), g)
        #expect(m.runs == [
            run(0x4000_0000, 0x4020_0000, Self.k16, true), run(0x4020_0000, 0x4200_0000, Self.k16),
            run(0x4200_0000, 0x8000_0000, Self.m32), run(0x8000_0000, 0xc000_0000, Self.m32, true),
            run(0xc000_0000, 0xfe00_0000, Self.m32), run(0xfe00_0000, 0xff80_0000, Self.k16, true),
            run(0xff80_0000, 0x1_0000_0000, Self.k16),
        ])
        #expect(m.tablePages == LinearMap.TablePages(pgd: 1, p4d: 0, pud: 1, pmd: 1, pte: 2))
        #expect(m.breaks.contains { $0.at == 0xff80_0000 && $0.reason.contains("KFENCE pool") })
    }

    @Test func sixtyFourKConstantsAndTheContPMDCongruence() {
        // 64K: PMD 512 MiB, CONT_PMD 16 GiB, which needs memstart_addr 16 GiB aligned too.
        let aligned = build([r(0, 0x8_0000_0000)], geometry(65536, memstart: 0))
        #expect(aligned.geometry.levels == 3)
        #expect(aligned.runs == [run(0, 0x8_0000_0000, 512 << 20, true)])
        let shifted = build([r(0x4000_0000, 0x8_4000_0000)], geometry(65536))
        #expect(shifted.runs == [run(0x4000_0000, 0x8_4000_0000, 512 << 20)])
        #expect(shifted.breaks.contains { $0.reason.contains("memstart_addr 0x40000000 is not 16 GiB aligned") })
        #expect(LinearMapGeometry.memstartAlign(pageSize: 65536, version: KernelVersion(6, 1)) == 512 << 20)
        #expect(LinearMapGeometry.memstartAlign(pageSize: 65536, version: KernelVersion(5, 10)) == Self.g1)
        #expect(LinearMapGeometry.memstartAlign(pageSize: 16384, version: KernelVersion(6, 12)) == Self.g1)
        // CONT_PTE on 64K is 32 pages = 2 MiB.
        let small = build([r(0x4000_0000, 0x4040_0000)], geometry(65536))
        #expect(small.runs == [run(0x4000_0000, 0x4040_0000, Self.k64, true)])
    }

    @Test func levelsFromVABits() {
        #expect(geometry(va: 39).levels == 3)
        #expect(geometry(va: 48).levels == 4)
        #expect(geometry(va: 52).levels == 5)
        #expect(geometry(16384, va: 47).levels == 3)
        #expect(geometry(16384, va: 36).levels == 2)
        #expect(geometry(65536, va: 42).levels == 2)
        #expect(geometry(65536, va: 52).levels == 3)
        #expect(LinearMapGeometry.runtimeVABits(configured: 52, pageSize: 4096, largeVA: false) == 48)
        #expect(LinearMapGeometry.runtimeVABits(configured: 52, pageSize: 16384, largeVA: false) == 47)
        #expect(LinearMapGeometry.runtimeVABits(configured: 52, pageSize: 4096, largeVA: true) == 52)
    }

    @Test func tablePagesForThreeFourAndFiveLevels() {
        // kernel-rules-observed.md L9: 6.12 2G all pages except the alias's 2 MiB blocks.
        let mapped = [r(0x4000_0000, 0xc000_0000)], alias = r(0x4020_0000, 0x41f2_0000)
        let five = build(mapped, alias: alias, forced: true, geometry(va: 52))
        #expect(five.tablePages == LinearMap.TablePages(pgd: 1, p4d: 1, pud: 1, pmd: 2, pte: 1010))
        #expect(five.tablePages.allocated == 1014)
        #expect(five.layout.tablePageBytes == 1014 * 4096)
        let four = build(mapped, alias: alias, forced: true, geometry(va: 48))
        #expect(four.tablePages.allocated == 1013)  // observed with lpa2=off
        let three = build(mapped, alias: alias, forced: true, geometry(va: 39))
        #expect(three.tablePages == LinearMap.TablePages(pgd: 1, p4d: 0, pud: 0, pmd: 2, pte: 1010))
        // 6.1 2G: alias [_stext, __init_begin) has ten 2 MiB blocks: 1017 tables.
        let sixOne = build(mapped, alias: r(0x4021_0000, 0x4186_0000), forced: true, geometry())
        #expect(sixOne.tablePages.allocated == 1017)
        // The best layout of 2 GiB at 1 GiB: two 1 GiB blocks in one PUD table.
        #expect(sixOne.best.tablePages == LinearMap.TablePages(pgd: 1, p4d: 0, pud: 1, pmd: 0, pte: 0))
        #expect(sixOne.best.runs == [run(0x4000_0000, 0xc000_0000, Self.g1)])
    }

    @Test func tablesAreSharedAcrossSegmentsInOneSlot() {
        // Two regions in the same 2 MiB slot share one PTE table; a region spanning a 1 GiB
        // boundary needs two PMD tables.
        let m = build([r(0x4000_0000, 0x4010_0000), r(0x4011_0000, 0x4020_0000), r(0x7ff0_0000, 0x8010_0000)], geometry())
        #expect(m.tablePages.pte == 3)
        #expect(m.tablePages.pmd == 2)
        #expect(m.tablePages.pud == 1)
    }

    @Test func forcedPagesKeepAliasBlocks() {
        let m = build([r(0x4000_0000, 0xc000_0000)], alias: r(0x4020_0000, 0x41f2_0000), forced: true, geometry(va: 52))
        #expect(m.runs == [run(0x4000_0000, 0x4020_0000, Self.k4), run(0x4020_0000, 0x41e0_0000, Self.m2),
                           run(0x41e0_0000, 0xc000_0000, Self.k4)])
        #expect(m.forcedReason == "rodata=full")
        #expect(m.breaks.contains { $0.at == 0x4000_0000 && $0.reason.contains("forced to pages by rodata=full") })
        #expect(!m.leafEntries.contains { $0.contiguous })
    }

    @Test func kfencePoolAtTheTop() {
        // kernel-rules-observed.md L7: 6.12 2G rodata=on kfence.sample_interval=100.
        let m = build([r(0x4000_0000, 0xc000_0000)], alias: r(0x4020_0000, 0x41f2_0000), pool: r(0xbfe0_0000, 0xc000_0000), geometry(va: 52))
        #expect(m.runs == [
            run(0x4000_0000, 0x41e0_0000, Self.m2), run(0x41e0_0000, 0x41f2_0000, Self.k4),
            run(0x41f2_0000, 0x4200_0000, Self.k4, true), run(0x4200_0000, 0xbe00_0000, Self.m2, true),
            run(0xbe00_0000, 0xbfe0_0000, Self.m2), run(0xbfe0_0000, 0xc000_0000, Self.k4),
        ])
        // Cost against the best layout (1G + CONT 2M blocks: no PTE table at all).
        #expect(m.tablePages.pte == 2)
        #expect(m.best.tablePages.pte == 0)
    }

    @Test func earlyCrashRegionIsMappedWithPages() {
        let m = build([r(0x4000_0000, 0x1_0000_0000)], crash: r(0xd000_0000, 0xe000_0000), geometry())
        #expect(m.runs.contains(run(0xd000_0000, 0xe000_0000, Self.k4)))
        #expect(m.runs.contains(run(0xc000_0000, 0xd000_0000, Self.m2, true)))
        #expect(m.breaks.contains { $0.at == 0xd000_0000 && $0.reason.contains("crash region") })
    }

    @Test func hugeMapsCostTheSameAsSmallOnes() {
        let tib64 = UInt64(64) << 40
        let clock = ContinuousClock()
        var huge: LinearMap? = nil, small: LinearMap? = nil
        let hugeTime = clock.measure {
            huge = build([r(0x4000_0000, 0x4000_0000 + tib64)], alias: r(0x4020_0000, 0x41f2_0000), forced: true, geometry(va: 52))
        }
        let smallTime = clock.measure {
            small = build([r(0x4000_0000, 0x4000_0000 + (64 << 30))], alias: r(0x4020_0000, 0x41f2_0000), forced: true, geometry(va: 52))
        }
        #expect(huge?.runs.count == 3)
        #expect(small?.runs.count == 3)
        #expect(huge?.tablePages.pte == tib64 / Self.m2 - 14)
        #expect(huge?.tablePages.pmd == tib64 / Self.g1)
        #expect(huge?.tablePages.pud == 128)
        #expect(huge?.best.runs.count == 1)
        #expect(hugeTime < .milliseconds(200))
        #expect(smallTime < .milliseconds(200))
    }

    @Test func manyRegionsStayLinear() {
        // 8192 regions of 1 GiB + 2 MiB, each ending 2 MiB past a 1 GiB boundary before a hole:
        // one 1 GiB block, one 2 MiB block (in its own PMD table) and a break at the hole.
        let regions = (0..<UInt64(8192)).map { i in r(i * Self.g1 * 2 + Self.g1, i * Self.g1 * 2 + 2 * Self.g1 + Self.m2) }
        let clock = ContinuousClock()
        var m: LinearMap? = nil
        let time = clock.measure { m = build(regions, geometry(memstart: 1 << 30)) }
        #expect(m?.runs.count == 16384)
        #expect(m?.breaks.count == 8192)
        #expect(m?.breaks.first?.reason.hasPrefix("start of the hole [0x80200000, 0xc0000000)") == true)
        #expect(m?.tablePages.pmd == 8192)
        #expect(time < .seconds(2))
    }

    @Test func jsonHasTheContractKeysAndTextIsOneLinePerRun() throws {
        let m = build([r(0x4000_0000, 0xc000_0000)], alias: r(0x4021_0000, 0x4186_0000), geometry())
        guard case .object(let items) = m.json() else { Issue.record("not an object"); return }
        #expect(items.map(\.0).prefix(3) == ["runs", "breaks", "tablePages"])
        let text = m.json().rendered()
        #expect(text.contains("\"tablePages\": {\"pgd\": 1, \"p4d\": 0, \"pud\": 1, \"pmd\": 1, \"pte\": 2}"))
        #expect(text.contains("{\"start\": 2147483648, \"end\": 3221225472, \"leafSize\": 1073741824, \"contiguous\": false}"))
        let lines = m.textLines()
        #expect(lines.count == m.runs.count)
        #expect(lines.last == "0x80000000-0xc0000000    1 GiB  1 GiB blocks")
        #expect(lines[1] == "0x40200000-0x40210000   64 KiB  4 KiB pages CONT")
    }
}
