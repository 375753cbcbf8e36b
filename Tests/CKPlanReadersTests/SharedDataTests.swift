import CKPlanModel
import CKPlanReaders
import Foundation
import Testing

/// Every shared DTB and /proc/iomem dump is read and checked against the facts recorded in
/// shared/data/*/INDEX.* — written by an independent reader cross-checked with `dtc -I dtb -O dts`
/// — never against ckplan's own output.
@Suite struct SharedDataTests {
    struct DTBFacts: Sendable, CustomTestStringConvertible {
        var file: String
        var entry: [String: any Sendable]
        var testDescription: String { file }
    }

    static let dtbIndex: [DTBFacts] = {
        guard let data = try? Data(contentsOf: TestData.url("shared/dtb/INDEX.json")),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.compactMap { e in
            guard let file = e["file"] as? String else { return nil }
            return DTBFacts(file: file, entry: e.mapValues { SendableBox($0) })
        }
    }()

    @Test func indexCoversEveryDTB() {
        #expect(Self.dtbIndex.count == 27)
        #expect(Self.dtbIndex.map(\.file) == TestData.files(in: "shared/dtb", suffix: ".dtb"))
    }

    @Test(arguments: dtbIndex)
    func deviceTreeMatchesIndex(_ facts: DTBFacts) throws {
        let m = try DeviceTreeReader.machine(bytes: TestData.bytes("shared/dtb/\(facts.file)"), file: facts.file)
        let e = facts.entry.mapValues { ($0 as? SendableBox)?.value as Any }

        // Memory: every reg pair of available memory nodes, zero sizes dropped as the kernel does.
        var expected: [PhysRange] = []
        for node in e["memory_nodes"] as? [[String: Any]] ?? [] {
            let status = node["status"] as? String
            guard status == nil || status == "okay" || status == "ok" else { continue }
            for pair in node["reg"] as? [[String]] ?? [] {
                let base = try #require(hexValue(pair[0])), size = try #require(hexValue(pair[1]))
                if size > 0 { expected.append(try #require(PhysRange(base: base, size: size))) }
            }
        }
        #expect(m.memory.map(\.range) == expected.sorted())
        #expect(m.totalMemory == (e["memory_total_bytes"] as? NSNumber)?.uint64Value)
        #expect(m.memoryIsUnknown == expected.isEmpty)
        if expected.isEmpty {
            #expect(m.notes.contains { $0.message.contains("--memory BASE+SIZE") })
        }

        // /reserved-memory: counts and kinds.
        #expect(m.reservedMemory.count == e["reserved_children"] as? Int)
        #expect(m.reservedMemory.filter(\.noMap).count == e["no_map"] as? Int)
        #expect(m.reservedMemory.filter(\.reusable).count == e["reusable"] as? Int)
        #expect(m.reservedMemory.filter(\.isDynamic).count == e["dynamic"] as? Int)
        for (node, r) in zip(e["reserved_memory"] as? [[String: Any]] ?? [], m.reservedMemory) {
            #expect(r.name == node["name"] as? String)
            #expect(r.compatible == node["compatible"] as? [String] ?? [])
            #expect(r.cmaDefault == (node["linux,cma-default"] as? Bool ?? false))
            let regs = (node["reg"] as? [[String]] ?? []).compactMap { p in
                hexValue(p[0]).flatMap { b in hexValue(p[1]).flatMap { PhysRange(base: b, size: $0) } }
            }
            #expect(r.reg == regs)
            if let size = node["size"] as? String { #expect(r.size == hexValue(size)) }
            let status = node["status"] as? String
            #expect(r.available == (status == nil || status == "okay" || status == "ok"))
        }

        // /memreserve/.
        let memreserve = (e["memreserve"] as? [[String]] ?? []).compactMap { p in
            hexValue(p[0]).flatMap { b in hexValue(p[1]).flatMap { PhysRange(base: b, size: $0) } }
        }
        #expect(m.memreserve == memreserve)

        // /chosen/bootargs.
        let chosen = e["chosen"] as? [String: Any] ?? [:]
        #expect(m.chosen.bootargs == chosen["bootargs"] as? String)

        // of_dma_get_max_cpu_address(NULL).
        #expect(m.dmaMaxCPUAddress == (e["dt_max_dma_cpu_addr"] as? String).flatMap(hexValue))

        // CRASH_ADDR_LOW_MAX (= arm64_dma_phys_limit) a Debian kernel (ZONE_DMA and ZONE_DMA32)
        // derives from this DT, under the 6.1 and the 6.12 rule.
        if let first = m.memory.first, let last = m.memory.last, let dram = PhysRange(start: first.range.start, end: last.range.end) {
            for (version, key) in [(KernelVersion(6, 1, 192), "crash_addr_low_max_6_1"), (KernelVersion(6, 12, 107), "crash_addr_low_max_6_12")] {
                let limit = ZoneDMALimitRules.rules(for: version).limit(
                    zoneDMA: true, zoneDMA32: true, paBits: 48, dtMaxCPUAddress: m.dmaMaxCPUAddress,
                    acpiMaxCPUAddress: nil, dram: dram)
                #expect(Hex.short(limit) == e[key] as? String, "\(key)")
            }
        }
    }

    // MARK: - /proc/iomem

    struct IomemFacts: Sendable, CustomTestStringConvertible {
        var file: String
        var systemRAMRanges: Int
        var systemRAMGiB: String
        var reserved: Int
        var crashLines: [String]
        var kernelCode: String?
        var testDescription: String { file }
    }

    /// Rows of shared/data/iomem/INDEX.md's table.
    static let iomemIndex: [IomemFacts] = {
        guard let text = try? TestData.text("shared/iomem/INDEX.md") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 9, cells[1].hasSuffix(".txt"), let ram = Int(cells[3]), let res = Int(cells[5]) else { return nil }
            let crash = cells[6] == "-" ? [] : cells[6].components(separatedBy: "; ")
            return IomemFacts(file: cells[1], systemRAMRanges: ram, systemRAMGiB: cells[4], reserved: res,
                              crashLines: crash, kernelCode: cells[7] == "-" ? nil : cells[7])
        }
    }()

    @Test func iomemIndexCoversEveryDump() {
        #expect(Self.iomemIndex.count == 11)
        #expect(Self.iomemIndex.map(\.file).sorted() == TestData.files(in: "shared/iomem", suffix: ".txt"))
    }

    @Test(arguments: iomemIndex)
    func iomemMatchesIndex(_ facts: IomemFacts) throws {
        let text = try TestData.text("shared/iomem/\(facts.file)")
        if facts.systemRAMGiB == "0.00 GiB" {
            // The non-root dump: refused, with the reason.
            #expect(throws: InputError.self) { try IomemReader.machine(text, file: facts.file) }
            do {
                _ = try IomemReader.machine(text, file: facts.file)
            } catch {
                #expect(error.message.contains("read without root"))
            }
            return
        }
        let m = try IomemReader.machine(text, file: facts.file)
        let ram = m.memory.filter { !$0.noMap }
        #expect(ram.count == facts.systemRAMRanges)
        #expect(m.memory.filter(\.noMap).count == facts.reserved)
        let gib = Double(ram.reduce(UInt64(0)) { $0 + $1.range.size }) / Double(1 << 30)
        #expect(String(format: "%.2f GiB", gib) == facts.systemRAMGiB)
        let crash = m.crashKernel.map {
            String($0.range.start, radix: 16) + "-" + String($0.range.last, radix: 16) + " : Crash kernel" + ($0.explicitLow ? " (low)" : "")
        }
        // INDEX.md prints the addresses zero-padded as /proc/iomem does.
        #expect(crash.map(unpad) == facts.crashLines.map(unpad))
        if let code = facts.kernelCode {
            let image = try #require(m.kernelImage.first)
            #expect(unpad(String(image.start, radix: 16) + "-" + String(image.last, radix: 16) + " : Kernel code") == unpad(code))
        }
        let capture = m.notes.contains { $0.message.contains("capture (kdump) kernel") }
        #expect(capture == (facts.file == "cavium-thunderx2-kdump-kernel-view.txt"))
    }

    /// Strips leading zeros from each hex field so "00080000-013fffff" matches "80000-13fffff".
    func unpad(_ s: String) -> String {
        s.split(separator: " ", maxSplits: 1).enumerated().map { i, part in
            i == 0 ? part.split(separator: "-").map { String(Int($0, radix: 16) ?? -1, radix: 16) }.joined(separator: "-") : String(part)
        }.joined(separator: " ")
    }
}

/// Wraps JSONSerialization's `Any` values so parameterised test arguments are `Sendable`.
struct SendableBox: @unchecked Sendable {
    let value: Any
    init(_ value: Any) { self.value = value }
}
