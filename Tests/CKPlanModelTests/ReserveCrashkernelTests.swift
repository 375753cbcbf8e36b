import CKPlanModel
import Testing

/// The reservation windows, fallbacks, low regions and messages per version (kernel-rules.md §4),
/// run on memblock states that hold what the real boots had reserved when the reservation ran.
/// Every expected region below was observed (kernel-rules-observed.md W1–W11, QEMU virt, RAM at
/// 0x40000000); the boot-time allocations are given as the observed reserved ranges.
@Suite struct ReserveCrashkernelTests {
    static let M: UInt64 = 1 << 20
    static let G: UInt64 = 1 << 30
    let v61 = KernelVersion(6, 1, 192)
    let v612 = KernelVersion(6, 12, 107)

    func r(_ s: UInt64, _ e: UInt64) -> PhysRange { PhysRange(start: s, end: e)! }

    /// RAM from 0x40000000, with the low boot reservations (image, initrd, DTB), the 64 MiB CMA
    /// area directly below `cmaEnd`, and `topReserved` bytes taken at the top of RAM by page
    /// tables, memmap and the like.
    func machine(ram: UInt64, cmaEnd: UInt64 = 0x1_0000_0000, topReserved: UInt64, pageSize: UInt64 = 4096) -> Memblock {
        var m = Memblock(pageSize: pageSize)
        let end = 0x4000_0000 + ram
        m.add(r(0x4000_0000, end))
        m.reserve(r(0x4020_0000, 0x4270_0000))                 // kernel image
        m.reserve(r(0x4800_0000, 0x4830_0000))                 // initrd + DTB
        m.reserve(r(cmaEnd - 64 * Self.M, cmaEnd))             // CMA
        m.reserve(r(end - topReserved, end))
        return m
    }

    func reserve(_ cmdline: String, _ v: KernelVersion, _ m: inout Memblock, lowMax: UInt64 = 0x1_0000_0000, paBits: Int = 48) -> CrashReservation {
        let parsed = CrashKernelParser.parse(cmdline, kernel: v, systemRAM: m.physMemSize)
        guard let request = parsed.request else {
            Issue.record("\(cmdline) on \(v): no request (\(parsed.outcome))")
            return CrashReservation(outcome: .failed, main: nil, low: nil, dmesg: [], attempts: [])
        }
        return ReserveCrashkernel.run(request, rules: .rules(for: v), memblock: &m, lowMax: lowMax, highMax: 1 << UInt64(paBits))
    }

    @Test func plainFitsDirectlyBelowCMA() {
        // W1: 4 GiB, 512M → 0xdc000000–0xfc000000 on 6.1 and 6.12.
        for v in [v61, v612] {
            var m = machine(ram: 4 * Self.G, topReserved: 140 * Self.M)
            let res = reserve("crashkernel=512M", v, &m)
            #expect(res.main == r(0xdc00_0000, 0xfc00_0000))
            #expect(res.dmesg == ["crashkernel reserved: 0x00000000dc000000 - 0x00000000fc000000 (512 MB)"])
        }
    }

    @Test func tooLargeBelowTheLimitFailsOn61AndFallsBackOn612() {
        // W2/W3: 8 GiB, crashkernel=3G. The top 148 MiB were taken by boot allocations.
        var m61 = machine(ram: 8 * Self.G, topReserved: 0x240000000 - 0x236c00000)
        let a = reserve("crashkernel=3G", v61, &m61)
        #expect(a.outcome == .failed)
        #expect(a.dmesg == ["cannot allocate crashkernel (size:0xc0000000)"])
        var m612 = machine(ram: 8 * Self.G, topReserved: 0x240000000 - 0x236c00000)
        let b = reserve("crashkernel=3G", v612, &m612, paBits: 52)
        #expect(b.main == r(0x1_76c0_0000, 0x2_36c0_0000))
        #expect(b.low == r(0xf400_0000, 0xfc00_0000))
        #expect(b.dmesg == ["crashkernel low memory reserved: 0xf4000000 - 0xfc000000 (128 MB)",
                            "crashkernel reserved: 0x0000000176c00000 - 0x0000000236c00000 (3072 MB)"])
    }

    @Test func highWithoutLowOn61WithDefaultLowOn612() {
        // W4/W7: 6 GiB, 1G,high. Top of RAM: 110 MiB (6.1) / 112 MiB (6.12 LPA2) taken.
        var m61 = machine(ram: 6 * Self.G, topReserved: 0x1c0000000 - 0x1b9200000)
        let a = reserve("crashkernel=1G,high", v61, &m61)
        #expect(a.main == r(0x1_7920_0000, 0x1_b920_0000))
        #expect(a.low == nil)
        var m612 = machine(ram: 6 * Self.G, topReserved: 0x1c0000000 - 0x1b9000000)
        let b = reserve("crashkernel=1G,high", v612, &m612, paBits: 52)
        #expect(b.main == r(0x1_7900_0000, 0x1_b900_0000))
        #expect(b.low == r(0xf400_0000, 0xfc00_0000))
        #expect(b.kexecCrashSize(.rules(for: v612)) == Self.G + 128 * Self.M)
        #expect(a.kexecCrashSize(.rules(for: v61)) == Self.G)
    }

    @Test func explicitLowAndZeroLow() {
        // W5: 6 GiB, 2G,high 64M,low. W6: 4 GiB, 512M,high 0,low.
        var m = machine(ram: 6 * Self.G, topReserved: 0x1c0000000 - 0x1b9200000)
        let a = reserve("crashkernel=2G,high crashkernel=64M,low", v61, &m)
        #expect(a.low == r(0xf800_0000, 0xfc00_0000))
        #expect(a.main == r(0x1_3920_0000, 0x1_b920_0000))
        #expect(a.dmesg.first == "crashkernel low memory reserved: 0xf8000000 - 0xfc000000 (64 MB)")
        var n = machine(ram: 4 * Self.G, topReserved: 0x140000000 - 0x13b400000)
        let b = reserve("crashkernel=512M,high crashkernel=0,low", v612, &n, paBits: 52)
        #expect(b.main == r(0x1_1b40_0000, 0x1_3b40_0000))
        #expect(b.low == nil)
    }

    @Test func highFallsBackBelowTheLimitWithoutLowOn612() {
        // W8: 6 GiB with mem=3G → RAM [0x40000000, 0x100000000); 1G,high → 0xb8600000–0xf8600000.
        var m = Memblock(pageSize: 4096)
        m.add(r(0x4000_0000, 0x1_0000_0000))
        m.reserve(r(0xf860_0000, 0x1_0000_0000))  // CMA (64 MiB) and the top-of-RAM boot allocations
        let res = reserve("crashkernel=1G,high", v612, &m, lowMax: 0x1_0000_0000, paBits: 52)
        #expect(res.main == r(0xb860_0000, 0xf860_0000))
        #expect(res.attempts.map(\.window) == [r(0x1_0000_0000, 1 << 52), r(0, 0x1_0000_0000)])
        #expect(res.low == nil)
    }

    @Test func fixedBaseFreeAndInUse() {
        // W10: 4 GiB; 256M@0x60000000 is free; 256M@0x48000000 overlaps the initrd.
        var m = machine(ram: 4 * Self.G, topReserved: 140 * Self.M)
        #expect(reserve("crashkernel=256M@0x60000000", v612, &m, paBits: 52).main == r(0x6000_0000, 0x7000_0000))
        var n = machine(ram: 4 * Self.G, topReserved: 140 * Self.M)
        #expect(reserve("crashkernel=256M@0x48000000", v612, &n, paBits: 52).dmesg == ["crashkernel reservation failed - memory is in use."])
        var o = machine(ram: 4 * Self.G, topReserved: 140 * Self.M)
        #expect(reserve("crashkernel=256M@0x40000000", v61, &o).dmesg == ["cannot allocate crashkernel (size:0x10000000)"])
    }

    @Test func sizeIsPageAlignedOnlyUpTo66() {
        // W11: 2 GiB, crashkernel=102402K (0x6400800 bytes), CMA ending at 0xb9800000 / 0xb9a00000.
        var m61 = Memblock(pageSize: 4096)
        m61.add(r(0x4000_0000, 0xc000_0000))
        m61.reserve(r(0xb9a0_0000, 0xc000_0000))
        let a = reserve("crashkernel=102402K", v61, &m61, lowMax: 0xc000_0000)
        #expect(a.dmesg == ["crashkernel reserved: 0x00000000b3400000 - 0x00000000b9801000 (100 MB)"])
        var m612 = Memblock(pageSize: 4096)
        m612.add(r(0x4000_0000, 0xc000_0000))
        m612.reserve(r(0xb980_0000, 0xc000_0000))
        let b = reserve("crashkernel=102402K", v612, &m612, lowMax: 0xc000_0000, paBits: 52)
        #expect(b.dmesg == ["crashkernel reserved: 0x00000000b3200000 - 0x00000000b9600800 (100 MB)"])
        #expect(a.kexecCrashSize(.rules(for: v61)) == 104_861_696)
        #expect(b.kexecCrashSize(.rules(for: v612)) == 104_859_648)
    }

    @Test func noDMAZonesMakeAFailingPlainRequestHangFrom62() {
        // kernel-rules.md §4.5 [I]: LOW == HIGH keeps `crash_max == CRASH_ADDR_LOW_MAX` true.
        // 1 GiB of RAM with its middle taken: 768M fits nowhere.
        func fragmented() -> Memblock {
            var m = Memblock(pageSize: 4096)
            m.add(r(0x4000_0000, 0x8000_0000))
            m.reserve(r(0x5000_0000, 0x5200_0000))
            return m
        }
        var m = fragmented()
        #expect(reserve("crashkernel=768M", v612, &m, lowMax: 1 << 48, paBits: 48).outcome == .hangs)
        var n = fragmented()
        #expect(reserve("crashkernel=768M", v61, &n, lowMax: 1 << 48, paBits: 48).outcome == .failed)
        // 6.12's guard: X,high with LOW == HIGH tries only the empty high window, then fails.
        var o = fragmented()
        #expect(reserve("crashkernel=768M,high", v612, &o, lowMax: 1 << 48, paBits: 48).outcome == .failed)
        // 6.5–6.11 have no guard: the retry window [0, HIGH) fails too, and they loop.
        var p = fragmented()
        #expect(reserve("crashkernel=768M,high", KernelVersion(6, 6), &p, lowMax: 1 << 48, paBits: 48).outcome == .hangs)
    }

    @Test func lowConditionOf62To64UsesLimitMinusLow() {
        // 6.2–6.4: `crash_base > LOW_MAX - low_size`: a high region starting 64 MiB below the
        // limit still gets a low region; 6.5+ requires crash_base >= LOW_MAX.
        var m = Memblock(pageSize: 4096)
        m.add(r(0x4000_0000, 0x1_4000_0000))
        m.reserve(r(0x1_0000_0000 + 960 * Self.M, 0x1_4000_0000))  // leaves [.., 4G+960M) free
        let res = reserve("crashkernel=1G,high", KernelVersion(6, 3), &m)
        #expect(res.main == r(0xfc00_0000, 0x1_3c00_0000))
        #expect(res.low != nil)
    }

    @Test func fixedBaseMessagesOf510() {
        var m = Memblock(pageSize: 4096)
        m.add(r(0x4000_0000, 0x8000_0000))
        m.reserve(r(0x4800_0000, 0x4810_0000))
        let v = KernelVersion(5, 10, 262)
        #expect(reserve("crashkernel=256M@0x78000000", v, &m).dmesg == ["cannot reserve crashkernel: region is not memory"])
        #expect(reserve("crashkernel=256M@0x48000000", v, &m).dmesg == ["cannot reserve crashkernel: region overlaps reserved memory"])
        #expect(reserve("crashkernel=256M@0x50100000", v, &m).dmesg == ["cannot reserve crashkernel: base address is not 2MB aligned"])
        #expect(reserve("crashkernel=256M@0x50000000", v, &m).main == r(0x5000_0000, 0x6000_0000))
    }
}
