@testable import CKPlanModel
import Testing

/// Properties every plan must have, on random machines and command lines (a fixed seed, so a
/// failure replays): for each named profile, the crash regions never overlap memory that was
/// reserved or NOMAP when the reservation ran, are 2 MiB aligned, have the requested size and lie
/// in a window the version's rules allow; the linear-map runs tile the mapped memory exactly and
/// the page-table and leaf counts are what the runs imply (recounted here the plain way, slot by
/// slot). That a plan's bytes do not change between processes is DeterminismTests'.
@Suite struct PropertyTests {
    static let M: UInt64 = 1 << 20
    static let G: UInt64 = 1 << 30
    static let cases = 400

    /// SplitMix64: small, fast and the same on every platform.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    struct Case: CustomStringConvertible {
        var machine: Machine
        var commandLine: String
        var description: String {
            let banks = machine.memory.map { "\($0.range)\($0.noMap ? " no-map" : "")" }.joined(separator: " ")
            let reserved = machine.reservedMemory.map { "\($0.name) \($0.reg) size \($0.size.map(Hex.short) ?? "-")" }
            return "cmdline `\(commandLine)`; memory \(banks); reserved-memory \(reserved); memreserve \(machine.memreserve)"
        }
    }

    /// 1 to 4 banks from 0x40000000 or 0x80000000 (64 MiB to 8 GiB, 2 MiB granular, gaps between),
    /// some with a NOMAP hole; now and then a bank whose edges are not 2 MiB or even page
    /// aligned (map_mem needs pages at its edges), a bank on NUMA node 1 or marked hotpluggable,
    /// and a bank across the top of the 48-bit physical address space (PHYS_MASK cuts it);
    /// static /reserved-memory regions (some no-map) and dynamic ones (some with alloc-ranges);
    /// now and then a /memreserve/ entry.
    static func randomMachine(_ rng: inout SeededGenerator) -> Machine {
        var m = Machine(source: "random", kind: .deviceTree)
        var at: UInt64 = Bool.random(using: &rng) ? 0x4000_0000 : 0x8000_0000
        var banks: [PhysRange] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            var size = UInt64.random(in: 32...4096, using: &rng) * 2 * M
            var start = at
            if Int.random(in: 0..<5, using: &rng) == 0 {
                // Edges off the 2 MiB grid: a page multiple, or any byte (trimmed to pages).
                let any = Bool.random(using: &rng)
                start += any ? UInt64.random(in: 1..<(2 * M), using: &rng) : UInt64.random(in: 1..<512, using: &rng) * 4096
                size -= any ? UInt64.random(in: 1..<(2 * M), using: &rng) : UInt64.random(in: 1..<512, using: &rng) * 4096
            }
            guard let bank = PhysRange(base: start, size: size) else { break }
            var template = MemoryRegion(range: bank)
            if Int.random(in: 0..<8, using: &rng) == 0 { template.numaNode = 1 }
            if Int.random(in: 0..<8, using: &rng) == 0 { template.hotpluggable = true }
            func piece(_ range: PhysRange, noMap: Bool = false) -> MemoryRegion {
                var r = template
                r.range = range
                r.noMap = noMap
                return r
            }
            if size >= 256 * M, Int.random(in: 0..<4, using: &rng) == 0 {
                // A NOMAP hole inside the bank (EFI runtime services, firmware).
                let holeStart = (bank.start + UInt64.random(in: 1..<(size / (2 * M) - 8), using: &rng) * 2 * M) / (2 * M) * (2 * M)
                let hole = PhysRange(base: holeStart, size: UInt64.random(in: 1...4, using: &rng) * 2 * M)!
                m.memory += [piece(PhysRange(start: bank.start, end: hole.start)!), piece(hole, noMap: true),
                             piece(PhysRange(start: hole.end, end: bank.end)!)]
            } else {
                m.memory.append(piece(bank))
            }
            banks.append(bank)
            at = (bank.end + 2 * M - 1) / (2 * M) * (2 * M) + UInt64.random(in: 0...512, using: &rng) * 2 * M
        }
        if Int.random(in: 0..<16, using: &rng) == 0 {
            // Across PHYS_MASK of a 48-bit kernel: arm64_memblock_init removes what is above.
            let top = PhysRange(start: (1 << 48) - 4 * G, end: (1 << 48) + 4 * G)!
            m.memory.append(MemoryRegion(range: top))
            banks.append(top)
        }
        for i in 0..<Int.random(in: 0...4, using: &rng) {
            var node = ReservedMemoryNode(name: "region\(i)")
            let bank = banks[Int.random(in: 0..<banks.count, using: &rng)]
            let size = UInt64.random(in: 1...64, using: &rng) * M
            if Bool.random(using: &rng), bank.size > size + 4 * M {
                let offset = UInt64.random(in: 0...((bank.size - size) / (64 << 10)), using: &rng) * (64 << 10)
                node.reg = [PhysRange(base: bank.start + offset, size: size)!]
            } else {
                node.size = size
                node.alignment = [nil, 4096, 2 * M, 4 * M][Int.random(in: 0..<4, using: &rng)]
                if Bool.random(using: &rng) { node.allocRanges = [PhysRange(start: bank.start, end: min(bank.end, 0x1_0000_0000)) ?? bank] }
            }
            node.noMap = Int.random(in: 0..<3, using: &rng) == 0
            m.reservedMemory.append(node)
        }
        if Int.random(in: 0..<5, using: &rng) == 0, let first = banks.first {
            m.memreserve = [PhysRange(base: first.start + 0x10_0000, size: 0x1000)!]
        }
        m.deviceTree = DeviceTreeShape(totalSize: 0x2_0000, nodes: 100, properties: 400, nodeNameBytes: 2000,
                                       nodesWithoutName: 100, madeUpNameBytes: 1200)
        m.cpuCount = Int.random(in: 1...8, using: &rng)
        return m
    }

    /// crashkernel= in every form (plain, `,high` with or without `,low`, `@offset`, a range list,
    /// none) with sometimes cma=, mem=, rodata= and kfence.sample_interval= beside it.
    static func randomCommandLine(_ rng: inout SeededGenerator, _ machine: Machine) -> String {
        func size() -> String {
            [UInt64.random(in: 16...1024, using: &rng).description + "M", ["128M", "256M", "512M", "1G", "2G", "3G"].randomElement(using: &rng)!]
                .randomElement(using: &rng)!
        }
        var tokens: [String] = []
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: break
        case 1, 2: tokens.append("crashkernel=\(size()),high")
        case 3: tokens += ["crashkernel=\(size()),high", "crashkernel=\(UInt64.random(in: 0...256, using: &rng))M,low"]
        case 4:
            let bank = machine.memory.filter { !$0.noMap }.randomElement(using: &rng)?.range ?? machine.memory[0].range
            let base = bank.start + UInt64.random(in: 0...(bank.size / (2 * M)), using: &rng) * 2 * M
            tokens.append("crashkernel=\(size())@\(Hex.short(base))")
        case 5: tokens.append("crashkernel=1G-4G:\(size()),4G-16G:\(size()),16G-:\(size())")
        default: tokens.append("crashkernel=\(size())")
        }
        if Int.random(in: 0..<4, using: &rng) == 0 { tokens.append("cma=\(UInt64.random(in: 0...256, using: &rng))M") }
        if Int.random(in: 0..<6, using: &rng) == 0 { tokens.append("mem=\(UInt64.random(in: 1...16, using: &rng))G") }
        if Int.random(in: 0..<4, using: &rng) == 0 { tokens.append("rodata=" + ["on", "off", "full", "noalias"].randomElement(using: &rng)!) }
        if Int.random(in: 0..<6, using: &rng) == 0 { tokens.append("kfence.sample_interval=100") }
        tokens.shuffle(using: &rng)
        return tokens.joined(separator: " ")
    }

    static let all: [Case] = {
        var rng = SeededGenerator(state: 20_261_121)
        return (0..<cases).map { _ in
            let machine = randomMachine(&rng)
            return Case(machine: machine, commandLine: randomCommandLine(&rng, machine))
        }
    }()

    static func request(_ c: Case, _ profile: KernelProfile) -> PlanRequest {
        var r = PlanRequest(machine: c.machine, profile: profile, commandLine: c.commandLine, commandLineOrigin: "--cmdline",
                            boot: PlanRequest.defaultBoot(machine: c.machine, profile: profile), cpu: CPUFeatures())
        r.kexec = KexecInputs(image: Arm64Image(imageSize: profile.image.end), imagePath: "Image", initrdSize: nil,
                              dtb: .unknown, commandLine: c.commandLine, cpus: c.machine.cpuCount ?? 1, loader: .kexecLoad(.observed))
        return r
    }

    @Test(arguments: KernelProfile.named.map(\.name))
    func reservationsRespectMemoryAlignmentAndWindows(_ name: String) throws {
        let profile = try #require(KernelProfile.named(name))
        let rules = ReserveCrashkernelRules.rules(for: profile.version)
        var reserved = 0
        for c in Self.all {
            let plan = Planner.plan(Self.request(c, profile))
            guard let crash = plan.boot.crash, crash.outcome == .reserved, let main = crash.main,
                  case .request(let request)? = plan.boot.parse?.outcome else { continue }
            reserved += 1
            let before = try #require(plan.boot.memblockBeforeCrash, "\(c)")
            let lowMax = plan.boot.dmaLimit
            let highMax: UInt64 = 1 << UInt64(profile.config.paBits)
            for region in [main, crash.low].compactMap({ $0 }) {
                // Inside one memory region that may be allocated from, clear of what was reserved.
                #expect(before.memory.contains { $0.range.contains(region) && !$0.flags.contains(.noMap) }, "\(region) is not in mappable memory: \(c)")
                #expect(!before.reserved.contains { $0.overlaps(region) }, "\(region) overlaps a reservation: \(c)")
                #expect(region.start % (2 * Self.M) == 0, "\(region) is not 2 MiB aligned (CRASH_ALIGN): \(c)")
                #expect(region.end <= highMax, "\(region) is above PHYS_MASK: \(c)")
            }
            #expect(main.size == rules.reservedSize(request.size, pageSize: profile.config.pageSize), "\(main): \(c)")
            if let low = crash.low {
                #expect(!low.overlaps(main), "\(c)")
                #expect(low.end <= lowMax, "low \(low) above the DMA limit \(Hex.short(lowMax)): \(c)")
                let lowAllowed = switch rules.lowRegionCondition {
                case .never: false
                case .baseAtOrAboveLimit: main.start >= lowMax
                case .baseAboveLimitMinusLow: lowMax >= low.size && main.start > lowMax - low.size
                }
                #expect(lowAllowed, "a low region beside \(main), DMA limit \(Hex.short(lowMax)): \(c)")
            }
            if request.base != 0 {
                #expect(main.start == request.base, "\(c)")
            } else if request.high, let base = rules.highSearchBase {
                let start: UInt64 = base == .zero ? 0 : base == .fourGiB ? 4 << 30 : lowMax
                let inHigh = main.start >= start, inLow = main.end <= lowMax && rules.highFallbackToLow != nil
                #expect(inHigh || inLow, "crashkernel,high at \(main) outside [\(Hex.short(start)), PHYS_MASK] and no fallback: \(c)")
            } else {
                let fallbackStart: UInt64? = rules.plainFallback.map { $0 == .fromZero ? 0 : lowMax }
                let inLow = main.end <= lowMax, inFallback = fallbackStart.map { main.start >= $0 } ?? false
                #expect(inLow || inFallback, "crashkernel at \(main) above the DMA limit \(Hex.short(lowMax)) without a fallback: \(c)")
            }
        }
        // The generator must keep producing reservations, or this proves nothing.
        #expect(reserved >= Self.cases / 3, "only \(reserved) of \(Self.cases) cases reserved")
    }

    @Test(arguments: KernelProfile.named.map(\.name))
    func linearMapRunsTileTheMappedMemoryAndCountTheirTables(_ name: String) throws {
        let profile = try #require(KernelProfile.named(name))
        for c in Self.all {
            let plan = Planner.plan(Self.request(c, profile))
            let map = try #require(plan.boot.linearMap, "\(c)")
            let g = map.geometry
            // The mapped memory: memblock.memory without NOMAP, page-rounded, touching pieces joined.
            var mapped: [PhysRange] = []
            for region in plan.boot.memblock.memory where !region.flags.contains(.noMap) {
                let start = region.range.start / g.pageSize * g.pageSize
                let end = (region.range.end + g.pageSize - 1) / g.pageSize * g.pageSize
                if let last = mapped.last, last.end >= start { mapped[mapped.count - 1] = PhysRange(start: last.start, end: max(last.end, end))! } else { mapped.append(PhysRange(start: start, end: end)!) }
            }
            var covered: [PhysRange] = []
            for (i, run) in map.runs.enumerated() {
                #expect(run.start < run.end, "empty run \(run): \(c)")
                if i > 0 { #expect(map.runs[i - 1].end <= run.start, "runs \(map.runs[i - 1]) and \(run) overlap or are unsorted: \(c)") }
                let unit = run.contiguous ? run.leafSize * (run.leafSize == g.pageSize ? g.contPTEs : g.contPMDs) : run.leafSize
                #expect(run.start % unit == 0 && run.end % unit == 0, "run \(run) is not made of whole \(unit)-byte units: \(c)")
                if let last = covered.last, last.end == run.start { covered[covered.count - 1] = PhysRange(start: last.start, end: run.end)! } else { covered.append(PhysRange(start: run.start, end: run.end)!) }
            }
            #expect(covered == mapped, "runs cover \(covered), memory to map is \(mapped): \(c)")

            // Tables, slot by slot: a PTE table per PMD-entry span holding pages, a PMD table per
            // PUD-entry span holding pages or PMD blocks, a PUD (P4D) table per P4D (PGD) entry span.
            func slots(shift: Int, _ include: (LinearMap.Run) -> Bool) -> UInt64 {
                var seen = Set<UInt64>()
                for run in map.runs where include(run) {
                    var va = (g.linearOffset(run.start) >> UInt64(shift)) << UInt64(shift)
                    while va < g.linearOffset(run.end) {
                        seen.insert(va >> UInt64(shift))
                        va += 1 << UInt64(shift)
                    }
                }
                return UInt64(seen.count)
            }
            let t = map.tablePages
            #expect(t.pte == slots(shift: g.pmdShift) { $0.leafSize == g.pageSize }, "pte tables: \(c)")
            #expect(t.pmd == (g.levels >= 3 ? slots(shift: g.pudShift) { $0.leafSize < g.pudSize } : 0), "pmd tables: \(c)")
            #expect(t.pud == (g.levels >= 4 ? slots(shift: g.p4dShift) { _ in true } : 0), "pud tables: \(c)")
            #expect(t.p4d == (g.levels >= 5 ? slots(shift: g.pgdShift) { _ in true } : 0), "p4d tables: \(c)")
            #expect(map.layout.tablePageBytes == t.allocated * g.pageSize)
            // Leaf entries: every run is a whole number of leaves of its size.
            var leaves: [String: UInt64] = [:]
            for run in map.runs { leaves["\(run.leafSize) \(run.contiguous)", default: 0] += run.size / run.leafSize }
            #expect(Dictionary(uniqueKeysWithValues: map.leafEntries.map { ("\($0.leafSize) \($0.contiguous)", $0.entries) }) == leaves, "\(c)")
        }
    }

    /// The report's number formats, written digit by digit, against the plain String forms.
    @Test func numberFormatsMatchTheirDefinitions() {
        var rng = SeededGenerator(state: 7)
        let units: [(UInt64, String)] = [(1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for i in 0..<20_000 {
            // Every magnitude, and exact multiples of the units as often as not.
            let v = i % 2 == 0 ? UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng)
                               : UInt64.random(in: 0...1023, using: &rng) << (10 * UInt64.random(in: 0...5, using: &rng))
            var human = "\(v) B"
            if let (scale, name) = units.first(where: { v >= $0.0 }) {
                human = v % scale == 0 ? "\(v / scale) \(name)" : "\(v / scale).\(min(9, (v % scale) / (scale / 10))) \(name)"
            }
            #expect(ByteCount.human(v) == human)
            let hex = String(v, radix: 16)
            #expect(Hex.short(v) == "0x" + hex)
            let width = Int.random(in: 0...20, using: &rng)
            #expect(Hex.padded(v, width: width) == String(repeating: "0", count: max(0, width - hex.count)) + hex)
            #expect(Hex.prefixed(v, width: width) == "0x" + Hex.padded(v, width: width))
        }
    }

    /// Which /chosen names the DTB's strings block already holds, found once per blob, against a
    /// search of the whole block as libfdt's fdt_find_string_ does it (suffixes count).
    @Test func stringsBlockNamesMatchASearch() {
        var rng = SeededGenerator(state: 99)
        let pieces = KexecDTBFacts.setNames + ["linux,initrd-start-x", "xbootargs", "boot", "", "rng", "compatible"]
        for _ in 0..<2000 {
            var strings: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                strings += Array(pieces.randomElement(using: &rng)!.utf8) + [0]
            }
            if Bool.random(using: &rng) { strings += Array("tail".utf8) }   // unterminated: matches nothing
            let facts = KexecDTBFacts(totalSize: 0, packedSize: 0, addressCells: 2, sizeCells: 2, hasChosen: true,
                                      chosenPropertyLengths: [:], kaslrSeedNonZero: false, strings: strings)
            for name in KexecDTBFacts.setNames {
                #expect(facts.stringsContain(name) == KexecDTBFacts.contains(strings, Array(name.utf8) + [0]), "\(name) in \(strings)")
            }
        }
    }
}
