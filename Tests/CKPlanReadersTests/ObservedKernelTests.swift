import CKPlanModel
import CKPlanReaders
import Foundation
import Testing

/// What ckplan can already decide, held against every committed kernel observation
/// (Scenarios/<name>/observed, recorded by Tests/KernelObservation from real Debian kernels under
/// QEMU): the DTB the guest saw reads back as the RAM QEMU was given; `arm64_dma_phys_limit`
/// equals the end of the observed DMA zone; the `crashkernel=` parse prints what the kernel printed
/// and asks for the size the kernel reserved.
@Suite struct ObservedKernelTests {
    struct Observation: Sendable, CustomTestStringConvertible {
        var name: String
        var testDescription: String { name }
    }

    static let scenarios = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenarios")

    static let all: [Observation] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: scenarios.path)) ?? []
        return names.sorted().filter {
            FileManager.default.fileExists(atPath: scenarios.appendingPathComponent("\($0)/observed/observation.json").path)
        }.map(Observation.init)
    }()

    @Test func thereAreObservations() {
        #expect(Self.all.count >= 10)
    }

    @Test(arguments: all)
    func agreesWithTheKernel(_ o: Observation) throws {
        let dir = Self.scenarios.appendingPathComponent("\(o.name)/observed")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("observation.json"))) as? [String: Any])
        let request = try #require(json["request"] as? [String: Any])
        let observed = try #require(json["observed"] as? [String: Any])
        let profile = try #require(KernelProfile.named(request["flavour"] as? String ?? ""))
        let dmesg = observed["dmesg"] as? [String] ?? []

        // 1. The guest's DTB: its memory is the RAM the harness asked for.
        let dtb = Array(try Data(contentsOf: dir.appendingPathComponent("guest.dtb")))
        let machine = try DeviceTreeReader.machine(bytes: dtb, file: "\(o.name)/guest.dtb")
        let layout = try #require(request["memoryLayout"] as? [String: Any])
        let ram = (layout["ram"] as? [[String: Any]] ?? []).compactMap { r -> PhysRange? in
            guard let s = (r["start"] as? NSNumber)?.uint64Value, let e = (r["end"] as? NSNumber)?.uint64Value else { return nil }
            return PhysRange(start: s, end: e)
        }
        // Compared as memblock holds them: contiguous banks (e.g. one per NUMA node) merge.
        var memblock = Memblock(pageSize: profile.config.pageSize)
        for bank in machine.memory { memblock.add(bank.range) }
        #expect(memblock.memory.map(\.range) == ram)

        // 2. arm64_dma_phys_limit is the end of ZONE_DMA.
        if let zones = observed["zones"] as? [String: Any], let dma = zones["DMA"] as? [String: Any],
           let end = (dma["end"] as? NSNumber)?.uint64Value,
           let first = machine.memory.first, let last = machine.memory.last,
           let dram = PhysRange(start: first.range.start, end: last.range.end) {
            let limit = ZoneDMALimitRules.rules(for: profile.version).limit(
                zoneDMA: profile.config.zoneDMA, zoneDMA32: profile.config.zoneDMA32, paBits: profile.config.paBits,
                dtMaxCPUAddress: machine.dmaMaxCPUAddress, acpiMaxCPUAddress: nil, dram: dram)
            #expect(limit == end, "arm64_dma_phys_limit")
        }

        // 3. The parse: its messages are in the kernel's log, and it asks for what was reserved.
        let cmdline = try #require(observed["cmdline"] as? String)
        let parsed = CrashKernelParser.parse(cmdline, kernel: profile.version, systemRAM: machine.totalMemory)
        // The harness keeps only matching dmesg lines; 6.1's unprefixed "Memory value expected
        // after '@'" is not among them, so look in the whole console log (timestamps stripped).
        let console = String(decoding: try Data(contentsOf: dir.appendingPathComponent("console.log")), as: UTF8.self)
        let printed = Set(console.split(whereSeparator: \.isNewline).map { line -> String in
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return String(line) }
            return String(line[line.index(after: close)...].drop { $0 == " " })
        })
        for line in parsed.messages {
            #expect(printed.contains(line.text), "parse message \(line.text)")
        }
        let reservedLine = dmesg.first { $0.hasPrefix("crashkernel reserved: ") }
        switch parsed.outcome {
        case .request(let r):
            let rules = ReserveCrashkernelRules.rules(for: profile.version)
            let size = rules.reservedSize(r.size, pageSize: profile.config.pageSize)
            if let line = reservedLine {
                #expect(line.hasSuffix("(\(size >> 20) MB)"))
            }
            if let crashSize = (observed["kexecCrashSize"] as? NSNumber)?.uint64Value, reservedLine != nil {
                let low = dmesg.contains { $0.hasPrefix("crashkernel low memory reserved") }
                let expectedLow: UInt64 = (low && rules.crashSizeIncludesLow) ? (r.high && r.lowGiven ? r.lowSize : ReserveCrashkernel.defaultLowSize) : 0
                #expect(crashSize == size + expectedLow, "kexec_crash_size")
            }
        case .absent, .reservesNothing, .invalid:
            #expect(reservedLine == nil)
        }
    }
}
