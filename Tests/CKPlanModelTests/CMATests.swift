import CKPlanModel
import Testing

/// The default CMA area against observed boots (kernel-rules-observed.md C1–C3, QEMU virt, Debian
/// CMA_SIZE_MBYTES=64), on memblock states holding the observed earlier reservations.
@Suite struct CMATests {
    func r(_ s: UInt64, _ e: UInt64) -> PhysRange { PhysRange(start: s, end: e)! }

    func reserve(_ v: KernelVersion, _ m: inout Memblock, limit: UInt64, cmdline: String = "") -> DMAContiguous.Result {
        DMAContiguous.reserve(rules: .rules(for: v), memblock: &m, dmaLimit: limit, configMBytes: 64,
                              cmdline: CMACommandLine(KernelCommandLine(cmdline)), replacedByDT: false)
    }

    @Test func topDownBelowTheDMALimit() {
        // 4 GiB at 0x40000000: 6.1 → 0xfc000000; 6.12 prints the node (-1).
        var m = Memblock(pageSize: 4096)
        m.add(r(0x4000_0000, 0x1_4000_0000))
        #expect(reserve(KernelVersion(6, 1, 192), &m, limit: 0x1_0000_0000).dmesg == ["cma: Reserved 64 MiB at 0x00000000fc000000"])
        var n = Memblock(pageSize: 4096)
        n.add(r(0x4000_0000, 0x1_4000_0000))
        #expect(reserve(KernelVersion(6, 12, 107), &n, limit: 0x1_0000_0000).dmesg == ["cma: Reserved 64 MiB at 0x00000000fc000000 on node -1"])
    }

    @Test func commandLineSizeAndZero() {
        // C1: 6.1 4G cma=128M → 0xf8000000; 6.12 cma=0 → no area, no line.
        var m = Memblock(pageSize: 4096)
        m.add(r(0x4000_0000, 0x1_4000_0000))
        #expect(reserve(KernelVersion(6, 1, 192), &m, limit: 0x1_0000_0000, cmdline: "cma=128M crashkernel=512M").area == r(0xf800_0000, 0x1_0000_0000))
        var n = Memblock(pageSize: 4096)
        n.add(r(0x4000_0000, 0x1_4000_0000))
        let none = reserve(KernelVersion(6, 12, 107), &n, limit: 0x1_0000_0000, cmdline: "cma=0")
        #expect(none.area == nil && none.dmesg.isEmpty)
    }

    @Test func bottomUpAboveFourGiBWhenTheDMAZoneIsAllOfRAM() {
        // C3: RAM only at 0x100000000 + 3 GiB, kernel image at 0x100200000 (6.1: [_stext, _end)
        // = 0x100210000–0x102210000) → CMA at 0x102400000, the first free 2 MiB slot above it.
        var m = Memblock(pageSize: 4096)
        m.add(r(0x1_0000_0000, 0x1_c000_0000))
        m.reserve(r(0x1_0021_0000, 0x1_0221_0000))
        #expect(reserve(KernelVersion(6, 1, 192), &m, limit: 0x1_c000_0000).area?.start == 0x1_0240_0000)
    }

    @Test func sixteenKPagesAlignTo32MiB() {
        // C2: 16K CMA addresses are 32 MiB aligned; `cma=128M` under 4 GiB → 0xf6000000 when the
        // slot below 4 GiB is taken up to 0xfe000000 (the kept 16K memmap, observed).
        var m = Memblock(pageSize: 16384)
        m.add(r(0x4000_0000, 0x1_4000_0000))
        m.reserve(r(0xfe00_0000, 0xff00_0000))
        #expect(reserve(KernelVersion(6, 12, 107), &m, limit: 0x1_0000_0000, cmdline: "cma=128M").area == r(0xf600_0000, 0xfe00_0000))
        var n = Memblock(pageSize: 16384)
        n.add(r(0x4000_0000, 0x1_4000_0000))
        n.reserve(r(0xfe00_0000, 0xff00_0000))
        #expect(reserve(KernelVersion(6, 12, 107), &n, limit: 0x1_0000_0000).area == r(0xfa00_0000, 0xfe00_0000))
    }

    @Test func oldAlignmentWas4MiB() {
        #expect(CMARules.rules(for: KernelVersion(5, 15)).alignmentBytes(pageSize: 4096) == 4 << 20)
        #expect(CMARules.rules(for: KernelVersion(6, 1)).alignmentBytes(pageSize: 4096) == 2 << 20)
    }
}
