import CKPlanModel
import Testing

/// Failing kdump loads with kexec-tools' exact messages, the kernel's kexec_file_load layout, and
/// the JSON/text renderings. The base case is the observed 6.1, 4 GiB, crashkernel=512M one (X1).
@Suite struct KexecPlacementTests {
    static let ram = [PhysRange(base: 0x4000_0000, size: 4 << 30)!]
    static let region = PhysRange(start: 0xdc00_0000, end: 0xfc00_0000)!

    func request(_ loader: KexecLoader = .kexecLoad(.observed), main: PhysRange = region, initrd: UInt64? = 0x1c3800,
                 dtb: KexecDTBSize = .bytes(0x1e99), kernel: KernelVersion = KernelVersion(6, 1, 192),
                 pageSize: UInt64 = 4096, ram: [PhysRange] = ram) -> KdumpRequest {
        KdumpRequest(main: main, image: Arm64Image(imageSize: 0x2010000, fileSize: 0x1f6da00), imagePath: "/kexec/Image",
                     initrdSize: initrd, commandLine: "console=ttyAMA0", dtb: dtb, systemRAM: ram, cpus: 2,
                     kernel: kernel, pageSize: pageSize, loader: loader)
    }

    @Test func initrdLargerThanTheRegion() {
        let plan = KdumpPlanner.plan(request(initrd: 600 << 20))
        #expect(!plan.fits)
        #expect(plan.failure?.messages == ["Could not find a free area of memory of 0x25800000 bytes...", "locate_hole failed"])
        // Image 0x2010000 + initrd 600 MiB + dtb 2 pages + purgatory 4 pages + the two control
        // pages the kernel then takes after the purgatory + ELF header page.
        let minimum: UInt64 = 0x2010000 + (600 << 20) + 0x2000 + 0x4000 + 0x2000 + 0x1000
        #expect(plan.minimumRegionSize == minimum)
        #expect(plan.failure?.shortfall == minimum - Self.region.size)
    }

    @Test func dtbOverTwoMiB() {
        let plan = KdumpPlanner.plan(request(dtb: .bytes((2 << 20) + 1)))
        #expect(plan.failure?.messages == ["kexec: Error: dtb too big.", "kexec: load failed.", "Cannot load /kexec/Image"])
        #expect(plan.failure?.shortfall == 1)
        #expect(plan.minimumRegionSize == nil)
    }

    @Test func imageAndInitrdOutsideThe32GiBWindow() {
        let big = PhysRange(base: 1 << 30, size: 40 << 30)!
        let plan = KdumpPlanner.plan(request(main: big, initrd: 33 << 30, ram: [PhysRange(base: 1 << 30, size: 48 << 30)!]))
        #expect(plan.failure?.messages == ["kexec: Error: image + initrd too big.", "kexec: load failed.", "Cannot load /kexec/Image"])
        #expect(plan.failure?.shortfall == 2 << 30)
    }

    @Test func imageLargerThanTheRegion() {
        let plan = KdumpPlanner.plan(request(main: PhysRange(base: 0xdc00_0000, size: 16 << 20)!))
        #expect(plan.failure?.messages == ["kexec: load failed.", "Cannot load /kexec/Image"])
        #expect(plan.segments.isEmpty)
    }

    @Test func memMinMovesTheImage() {
        var r = request()
        r.memMin = 0xe000_0001
        let plan = KdumpPlanner.plan(r)
        #expect(plan.segments.first { $0.name == .kernel }?.start == 0xe020_0000)
    }

    /// kexec_file_load on 6.1: kernel bottom-up at the 2 MiB-aligned start, ELF header top-down at
    /// 64 KiB alignment, initrd after the kernel, DTB top-down at 2 MiB alignment; the control pages
    /// go to the first free pages after the initrd.
    @Test func kexecFileLayout() {
        let plan = KdumpPlanner.plan(request(.kexecFileLoad))
        #expect(plan.fits)
        #expect(plan.segments.map(\.name) == [.kernel, .elfcorehdr, .initrd, .dtb])
        #expect(plan.segments.map(\.start) == [0xdc00_0000, 0xfbff_0000, 0xde01_0000, 0xfbe0_0000])
        #expect(plan.segments.map(\.size) == [0x2010000, 0x1000, 0x1c4000, 0x2000])
        #expect(plan.controlPages.map(\.start) == [0xde1d_4000, 0xde1d_5000])
        #expect(plan.entry == 0xdc00_0000)
    }

    /// Before 6.8 the top-down search starts one byte low: a 64 KiB ELF header (64K pages) lands one
    /// 64 KiB unit lower than from 6.8 on.
    @Test func topDownOneByteLowBefore68() {
        let old = KdumpPlanner.plan(request(.kexecFileLoad, kernel: KernelVersion(6, 7), pageSize: 65536))
        let new = KdumpPlanner.plan(request(.kexecFileLoad, kernel: KernelVersion(6, 8), pageSize: 65536))
        #expect(old.segments.first { $0.name == .elfcorehdr }?.start == 0xfbfe_0000)
        #expect(new.segments.first { $0.name == .elfcorehdr }?.start == 0xfbff_0000)
    }

    @Test func kexecFileBefore510HasNoCrashSupport() {
        let plan = KdumpPlanner.plan(request(.kexecFileLoad, kernel: KernelVersion(5, 4)))
        #expect(plan.failure?.messages == ["kexec_file_load failed: Operation not supported"])
    }

    @Test func kexecFileRegionTooSmall() {
        let plan = KdumpPlanner.plan(request(.kexecFileLoad, main: PhysRange(base: 0xdc00_0000, size: 34 << 20)!))
        #expect(plan.failure?.messages == ["kexec_file(Image): Could not find any suitable kernel location!",
                                           "kexec_file_load failed: Cannot assign requested address"])
        let minimum = plan.minimumRegionSize!
        #expect(KdumpPlanner.plan(request(.kexecFileLoad, main: PhysRange(base: 0xdc00_0000, size: minimum)!)).fits)
        #expect(!KdumpPlanner.plan(request(.kexecFileLoad, main: PhysRange(base: 0xdc00_0000, size: minimum - 4096)!)).fits)
    }

    @Test func jsonHasTheContractKeysFirst() {
        let plan = KdumpPlanner.plan(request())
        guard case .object(let fields) = KexecReport.json(plan, relocation: nil) else {
            Issue.record("not an object")
            return
        }
        #expect(Array(fields.map(\.0).prefix(2)) == ["segments", "relocation"])
        guard case .array(let segments) = fields[0].1, case .object(let first) = segments.first else {
            Issue.record("no segments")
            return
        }
        #expect(Array(first.map(\.0).prefix(3)) == ["name", "start", "size"])
        let text = KexecReport.text(plan, relocation: nil)
        #expect(text.contains("  kernel        0xdc000000  0xde010000  0x2010000  0x1f6da00"))
    }
}
