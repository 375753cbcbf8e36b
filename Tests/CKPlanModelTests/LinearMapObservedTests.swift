import CKPlanModel
import Foundation
import Testing

/// Replays every committed kernel observation that has a live linear-map walk
/// (`Scenarios/<name>/observed/observation.json`, `observed.linearMap.runs`; recorded by
/// Tests/KernelObservation from Debian's real kernels under QEMU) and requires the computed runs to
/// equal the walked ones.
///
/// The input is built from observed facts only:
/// * regions: `observed.memblock.memory`; NOMAP from the region flags (6.12 prints them) or, on
///   6.1, from the top-level `reserved` entries of /proc/iomem (request_standard_resources makes
///   exactly the NOMAP regions top-level `reserved`). Adjacent non-NOMAP regions are merged: on a
///   DT boot NUMA ids are assigned after `map_mem`, so the kernel saw one region where the run-time
///   dump shows one per node.
/// * kernel alias: the image base (QEMU direct boot: RAM start + 2 MiB; custom boots: the
///   recorded load address) with the flavour's `__init_begin` offset and the version's alias
///   symbol, checked against iomem "Kernel code" (`[_stext or _text, __init_begin)`, the same
///   symbol as map_mem in both kernels).
/// * KFENCE pool: only when the rules say it is allocated early; its size from the
///   "kfence: initialized - using N bytes" line, its place the top of the highest region
///   (`memblock_phys_alloc` top-down, before anything else is taken there).
/// * flags: `LinearMapRules` for the profile's version with `observed.cmdline`.
/// * geometry: the profile's granule and VA bits, 48 (4K) / 47 (16K) when the QEMU CPU had
///   `lpa2=off`, `memstart_addr` rounded down from the first region; checked against the walk's
///   translation (VA bits, levels).
///
/// Normalisation of the walked runs (run-time artefacts, not boot layout):
/// * inside the KFENCE pool the walk shows single pages, guard pages that KFENCE unmapped at run
///   time as holes: every walked run in the pool must be page-sized without CONT, and the pool is
///   then compared as one page run (the harness's `--check` compares it the same way);
/// * read-only ranges (`linearMap.readOnly`: the rodata alias, BPF/module aliases) are only a
///   permission change: the walk merges runs by leaf size and CONT only, so they need nothing;
/// * every "unmapped inside memblock.memory" note must be a NOMAP region or lie in the KFENCE pool.
@Suite struct LinearMapObservedTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var testDescription: String { name }
    }

    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenarios")

    static let all: [Scenario] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().filter { name in
            guard let object = try? load(name), let observed = object["observed"] as? [String: Any],
                  let map = observed["linearMap"] as? [String: Any], let runs = map["runs"] as? [Any] else { return false }
            return !runs.isEmpty
        }.map(Scenario.init)
    }()

    static func load(_ name: String) throws -> [String: Any]? {
        let url = root.appendingPathComponent("\(name)/observed/observation.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
    }

    /// Allocated linear-map table pages counted by memblock=debug (kernel-rules-observed.md L9).
    static let observedTablePages: [String: UInt64] = [
        "qemu-6.12-2g-ck512m-memblock-debug": 1014,     // L0 1 + L1 1 + L2 2 + L3 1010
        "qemu-6.12-16k-4g-ck2g-memblock-debug": 130,    // L1 1 + L2 1 + L3 128
        "qemu-6.1-2g-ck512m-memblock-debug": 1017,      // of 1028: 11 more map the kernel image (paging_init)
    ]

    /// Scenarios whose walk the model does not reproduce, with the reason. Empty: none known.
    static let knownDisagreements: [String: String] = [:]

    @Test func thereAreWalks() {
        #expect(Self.all.count >= 20)
    }

    @Test(arguments: all)
    func runsEqualTheWalk(_ s: Scenario) throws {
        let json = try #require(try Self.load(s.name))
        let request = try #require(json["request"] as? [String: Any])
        let observed = try #require(json["observed"] as? [String: Any])
        let profile = try #require(KernelProfile.named(request["flavour"] as? String ?? ""))
        let walk = try #require(observed["linearMap"] as? [String: Any])
        let cmdline = try #require(observed["cmdline"] as? String)
        let rules = LinearMapRules.rules(for: profile.version)
        let flags = rules.flags(config: profile.config, facts: LinearMapFacts(cmdline))

        // Regions and NOMAP.
        let iomem = observed["iomem"] as? [String] ?? []
        let topReserved = Set(iomem.compactMap { Self.iomemRange($0, named: "reserved", topLevel: true) })
        var mapped: [PhysRange] = [], nomap: [PhysRange] = []
        for region in (observed["memblock"] as? [String: Any])?["memory"] as? [[String: Any]] ?? [] {
            let range = try #require(Self.range(region))
            let isNomap = (region["flags"] as? String).map { $0.contains("NOMAP") } ?? topReserved.contains(range)
            if isNomap {
                nomap.append(range)
            } else if let last = mapped.last, last.end == range.start {
                mapped[mapped.count - 1] = PhysRange(start: last.start, end: range.end)!
            } else {
                mapped.append(range)
            }
        }
        let first = try #require(mapped.first)

        // The kernel image.
        let layout = try #require(request["memoryLayout"] as? [String: Any])
        let ramStart = try #require(((layout["ram"] as? [[String: Any]])?.first).flatMap(Self.range)).start
        let base = ((layout["loadAddresses"] as? [String: Any])?["image"] as? NSNumber)?.uint64Value ?? ramStart + (2 << 20)
        let image: KernelImageSymbols = switch profile.name {
        case "debian-6.1-arm64": .debian61(text: base)
        case "debian-6.12-arm64-16k": .debian612_16k(text: base)
        default: .debian612(text: base)
        }
        let kernelCode = iomem.compactMap { Self.iomemRange($0, named: "Kernel code", topLevel: false) }.first
        #expect(flags.kernelAlias(of: image) == kernelCode, "alias vs iomem Kernel code")

        // The KFENCE pool, when allocated early.
        var pool: PhysRange? = nil
        if flags.kfenceEarlyPool {
            let dmesg = observed["dmesg"] as? [String] ?? []
            let line = try #require(dmesg.first { $0.hasPrefix("kfence: initialized - using ") })
            let size = try #require(UInt64(line.dropFirst("kfence: initialized - using ".count).prefix { $0.isNumber }))
            let top = try #require(mapped.last).end
            pool = PhysRange(start: top - size, end: top)
        }

        // Geometry.
        let largeVA = !((request["cpu"] as? String) ?? "").contains("lpa2=off")
        let vaBits = LinearMapGeometry.runtimeVABits(configured: profile.config.vaBits, pageSize: profile.config.pageSize, largeVA: largeVA)
        let geometry = try #require(LinearMapGeometry(
            pageSize: profile.config.pageSize, vaBits: vaBits,
            memstartAddr: LinearMapGeometry.memstartAddr(firstMemoryStart: first.start, pageSize: profile.config.pageSize, version: profile.version)))
        let translation = walk["translation"] as? [String: Any] ?? [:]
        #expect((translation["vaBits"] as? NSNumber)?.intValue == geometry.vaBits)
        #expect((translation["levels"] as? NSNumber)?.intValue == geometry.levels)

        let map = LinearMap.build(LinearMapInput(mapped: mapped, nomap: nomap, kernelImage: image, kfencePool: pool,
                                                 crashRegion: nil, flags: flags, geometry: geometry))

        // The walk, normalised.
        var walked = (walk["runs"] as? [[String: Any]] ?? []).compactMap(Self.run)
        if let pool {
            let inside = walked.filter { pool.contains(PhysRange(start: $0.start, end: $0.end)!) }
            #expect(inside.allSatisfy { $0.leafSize == geometry.pageSize && !$0.contiguous }, "KFENCE pool walked as pages")
            #expect(!walked.contains { $0.start < pool.start && $0.end > pool.start }, "nothing straddles the pool")
            walked.removeAll { pool.contains(PhysRange(start: $0.start, end: $0.end)!) }
            walked.append(LinearMap.Run(start: pool.start, end: pool.end, leafSize: geometry.pageSize, contiguous: false))
            walked.sort { $0.start < $1.start }
        }
        for note in walk["notes"] as? [String] ?? [] where note.hasPrefix("unmapped inside memblock.memory: [") {
            let hole = try #require(Self.noteRange(note))
            #expect(nomap.contains(hole) || pool?.contains(hole) == true, "unexplained hole \(hole)")
        }

        if let why = Self.knownDisagreements[s.name] {
            withKnownIssue(Comment(rawValue: why)) { #expect(map.runs == walked) }
        } else {
            #expect(map.runs == walked)
        }
        if let pages = Self.observedTablePages[s.name] {
            #expect(map.tablePages.allocated == pages)
        }
    }

    // MARK: - Reading the observation

    static func range(_ object: [String: Any]) -> PhysRange? {
        guard let s = (object["start"] as? NSNumber)?.uint64Value, let e = (object["end"] as? NSNumber)?.uint64Value else { return nil }
        return PhysRange(start: s, end: e)
    }

    static func run(_ object: [String: Any]) -> LinearMap.Run? {
        guard let r = range(object), let leaf = (object["leafSize"] as? NSNumber)?.uint64Value,
              let cont = object["contiguous"] as? Bool else { return nil }
        return LinearMap.Run(start: r.start, end: r.end, leafSize: leaf, contiguous: cont)
    }

    /// `"  40210000-4185ffff : Kernel code"` → `[0x40210000, 0x41860000)`.
    static func iomemRange(_ line: String, named name: String, topLevel: Bool) -> PhysRange? {
        guard line.hasPrefix(" ") != topLevel, line.hasSuffix(" : \(name)") else { return nil }
        let bounds = line.trimmingCharacters(in: .whitespaces).prefix { $0 != " " }.split(separator: "-")
        guard bounds.count == 2, let s = UInt64(bounds[0], radix: 16), let l = UInt64(bounds[1], radix: 16) else { return nil }
        return PhysRange(start: s, inclusiveEnd: l)
    }

    /// `"unmapped inside memblock.memory: [0x90000000, 0x91000000) (…)"`.
    static func noteRange(_ note: String) -> PhysRange? {
        guard let open = note.firstIndex(of: "["), let close = note.firstIndex(of: ")") else { return nil }
        let parts = note[note.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let s = UInt64(parts[0].dropFirst(2), radix: 16), let e = UInt64(parts[1].dropFirst(2), radix: 16) else { return nil }
        return PhysRange(start: s, end: e)
    }
}
