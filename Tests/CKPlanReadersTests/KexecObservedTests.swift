import CKPlanModel
import CKPlanReaders
import Foundation
import Testing

/// Replays the six `kexec -p -d` observations (kexec-tools 2.0.29 in Debian guests,
/// Scenarios/*-kexec/observed; kernel-rules-observed.md X1) from what the guest had before the
/// load: its `Crash kernel` and `System RAM` lines, the Image header values and the initrd size
/// kexec-tools printed, the DTB it booted with, 2 CPUs, the `--append` line. Every segment's
/// `mem`, `memsz` and `bufsz` and the entry point must match exactly.
@Suite struct KexecObservedTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenarios = [
        "qemu-6.1-4g-ck512m-kexec", "qemu-6.1-6g-ck1g-high-kexec", "qemu-6.12-16k-4g-ck512m-kexec",
        "qemu-6.12-4g-ck256m-at-0x60000000-kexec", "qemu-6.12-4g-ck512m-kexec", "qemu-6.12-6g-ck1g-high-kexec",
    ]
    static let append = "console=ttyAMA0 nokaslr maxcpus=1 reset_devices"

    struct Observation {
        var request: KdumpRequest
        var segments: [(mem: UInt64, memsz: UInt64, bufsz: UInt64)]
        var entry: UInt64
        var consoleDTBSize: UInt64
    }

    /// The first hex number after `label` on the first console line that has it.
    static func hex(_ log: String, after label: String) -> UInt64? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains(label) }),
              let r = line.range(of: label) else { return nil }
        let rest = line[r.upperBound...].drop { $0 == " " }
        let digits = (rest.hasPrefix("0x") ? rest.dropFirst(2) : rest).prefix { $0.isHexDigit }
        return UInt64(digits, radix: 16)
    }

    /// "initrd: base 17b4f0000, size 1c3800h (1849344)" → 1849344.
    static func decimalInParentheses(_ log: String, line prefix: String) -> UInt64? {
        guard let line = log.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix(prefix) }),
              let open = line.lastIndex(of: "(") else { return nil }
        return UInt64(line[line.index(after: open)...].prefix { $0.isNumber })
    }

    static func load(_ name: String) throws -> Observation {
        let dir = root.appendingPathComponent("Scenarios/\(name)/observed")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("observation.json"))) as! [String: Any]
        let observed = json["observed"] as! [String: Any]
        let provenance = json["provenance"] as! [String: Any]
        let request = json["request"] as! [String: Any]
        let log = try String(contentsOf: dir.appendingPathComponent("console.log"), encoding: .utf8)
        let kexecLog = String(log[log.range(of: "@@CKOBS:BEGIN kexec@@")!.upperBound...])

        let crash = (observed["iomemCrashKernel"] as! [[String: Any]]).map {
            PhysRange(start: ($0["start"] as! NSNumber).uint64Value, end: ($0["end"] as! NSNumber).uint64Value)!
        }.sorted()
        // Top-level "System RAM" lines of /proc/iomem ("40000000-13fffffff : System RAM").
        let ram = (observed["iomem"] as! [String]).filter { !$0.hasPrefix(" ") && $0.hasSuffix(": System RAM") }.map { line in
            let bounds = line.split(separator: " ")[0].split(separator: "-")
            return PhysRange(start: UInt64(bounds[0], radix: 16)!, inclusiveEnd: UInt64(bounds[1], radix: 16)!)!
        }
        let flavour = request["flavour"] as! String
        let profile = KernelProfile.named(flavour)!
        let image = Arm64Image(imageSize: hex(kexecLog, after: "image_size:")!, fileSize: hex(kexecLog, after: "kernel_size:")!,
                               textOffset: hex(kexecLog, after: "text_offset:")!)
        let initrd = decimalInParentheses(kexecLog, line: "initrd: base")
        let dtb = try #require(try DeviceTreeReader.machine(bytes: Array(Data(contentsOf: dir.appendingPathComponent("guest.dtb"))),
                                                            file: "guest.dtb").kexecDTB)
        let segs = (observed["kexecSegments"] as! [String: Any])
        let list = (segs["segments"] as! [[String: Any]]).map {
            (mem: ($0["mem"] as! NSNumber).uint64Value, memsz: ($0["memsz"] as! NSNumber).uint64Value,
             bufsz: ($0["bufsz"] as! NSNumber).uint64Value)
        }
        let req = KdumpRequest(main: crash.last!, low: crash.count > 1 ? crash.first : nil, image: image,
                               imagePath: "/kexec/Image", initrdSize: initrd, commandLine: append, dtb: .derived(dtb),
                               systemRAM: ram, cpus: provenance["smp"] as! Int, kernel: profile.version,
                               pageSize: profile.config.pageSize, loader: .kexecLoad(.observed))
        let consoleDTB = decimalInParentheses(kexecLog, line: "dtb:    base")!
        return Observation(request: req, segments: list, entry: (segs["entry"] as! NSNumber).uint64Value, consoleDTBSize: consoleDTB)
    }

    @Test(arguments: scenarios) func segmentsMatchExactly(_ name: String) throws {
        let o = try Self.load(name)
        let plan = KdumpPlanner.plan(o.request)
        #expect(plan.fits, "\(name): \(plan.failure?.description ?? "")")
        let got = plan.segments.map { [$0.start, $0.size, $0.bufsz] }
        let want = o.segments.map { [$0.mem, $0.memsz, $0.bufsz] }
        #expect(got == want, "\(name)")
        #expect(plan.segments.map(\.name) == [.kernel, .initrd, .dtb, .purgatory, .elfcorehdr])
        #expect(plan.entry == o.entry, "\(name)")
        // The DTB size kexec-tools printed ("dtb:    base …, size …h (N)") is the derived one.
        #expect(plan.segments.first { $0.name == .dtb }?.bufsz == o.consoleDTBSize)
        // The two control pages follow the purgatory.
        let purgatory = plan.segments.first { $0.name == .purgatory }!
        #expect(plan.controlPages.map(\.start) == [purgatory.end, purgatory.end + o.request.pageSize])
    }

    /// With ,high + ,low (6.12 6G: `Crash kernel` at 0xf4000000 and 0x179000000) everything goes
    /// into the high region, the last one /proc/iomem lists; the DTB's usable-memory-range then
    /// has two entries (bufsz 0x1ea9 rather than 0x1e99).
    @Test func highAndLowUsesTheHighRegion() throws {
        let o = try Self.load("qemu-6.12-6g-ck1g-high-kexec")
        #expect(o.request.low != nil)
        let plan = KdumpPlanner.plan(o.request)
        #expect(plan.region == o.request.main)
        #expect(plan.segments.allSatisfy { o.request.main.contains($0.range) })
        #expect(plan.segments.first { $0.name == .dtb }?.bufsz == 0x1ea9)
    }

    /// The smallest region that holds the 6.1 layout: everything bottom-up, the kernel's two
    /// control pages right after the purgatory (kimage_alloc_crash_control_pages searches from
    /// crashk_res.start), and the ELF header's page at the top. One page less leaves no page for
    /// the vmcoreinfo copy (-ENOMEM); with the control pages gone as well, the purgatory itself
    /// no longer fits (kexec-tools' locate_hole message).
    @Test func minimumRegionSizeIsTight() throws {
        let o = try Self.load("qemu-6.1-4g-ck512m-kexec")
        let plan = KdumpPlanner.plan(o.request)
        let purgatory = plan.segments.first { $0.name == .purgatory }!
        let expected = purgatory.end - o.request.main.start + 2 * 0x1000 + 0x1000
        #expect(plan.minimumRegionSize == expected)
        func smaller(by bytes: UInt64) -> KdumpPlan {
            var r = o.request
            r.main = PhysRange(base: o.request.main.start, size: expected - bytes)!
            return KdumpPlanner.plan(r)
        }
        let noVmcoreinfo = smaller(by: 0x1000)
        #expect(!noVmcoreinfo.fits)
        #expect(noVmcoreinfo.failure?.messages == ["kexec_load failed: Cannot allocate memory"])
        #expect(noVmcoreinfo.controlPages.map(\.start) == [purgatory.end])
        #expect(noVmcoreinfo.failure?.shortfall == 0x1000)
        let noControlPages = smaller(by: 0x2000)
        #expect(noControlPages.controlPages.isEmpty)
        #expect(noControlPages.notes.contains { $0.message.hasPrefix("no free page left in crashk_res for the control code page") })
        let noPurgatory = smaller(by: 0x3000)
        #expect(noPurgatory.failure?.messages == ["Could not find a free area of memory of 0x4000 bytes...", "locate_hole failed"])
        #expect(noPurgatory.failure?.shortfall == 0x3000)
    }
}
