import CKPlanModel
import Testing

/// `map_mem`'s flags per version (kernel-rules.md §6.2, kernel-rules-observed.md L1–L6).
@Suite struct LinearMapRulesTests {
    func flags(_ version: KernelVersion, _ cmdline: String, _ profile: KernelProfile = .debian61,
               edit: (inout KernelConfig) -> Void = { _ in }, facts: (inout LinearMapFacts) -> Void = { _ in }) -> LinearMapFlags {
        var config = profile.config
        edit(&config)
        var f = LinearMapFacts(cmdline)
        facts(&f)
        return LinearMapRules.rules(for: version).flags(config: config, facts: f)
    }

    static let v61 = KernelVersion(6, 1, 192), v612 = KernelVersion(6, 12, 107)

    @Test func sixOneObserved() {
        // L1/L2: Debian 6.1.192.
        #expect(flags(Self.v61, "console=ttyAMA0 nokaslr").reason == "rodata=full (CONFIG_RODATA_FULL_DEFAULT_ENABLED)")
        #expect(!flags(Self.v61, "rodata=on").forcePages)
        let ck = flags(Self.v61, "rodata=on crashkernel=256M")
        #expect(ck.forcePages)
        #expect(ck.reason?.hasPrefix("crashkernel= on the command line") == true)
        #expect(flags(Self.v61, "rodata=on crashkernel=192M,high").forcePages)
        #expect(flags(Self.v61, "rodata=on crashkernel=abc").forcePages)
        #expect(!flags(Self.v61, "rodata=on foo.crashkernel=1G").forcePages)
        #expect(!flags(Self.v61, "rodata=on -- crashkernel=1G").forcePages)
        // Not built: CONFIG_KFENCE is unset on Debian 6.1 (L3).
        #expect(!flags(Self.v61, "rodata=on kfence.sample_interval=100").kfenceEarlyPool)
    }

    @Test func sixTwelveObserved() {
        // L4: KFENCE with interval 0 forces all pages whatever rodata says; crashkernel= no longer does.
        let d = flags(Self.v612, "rodata=on crashkernel=256M", .debian612)
        #expect(d.forcePages)
        #expect(d.reasons == ["KFENCE sample interval 0 at boot (CONFIG_KFENCE_SAMPLE_INTERVAL=0): late pool"])
        let k = flags(Self.v612, "rodata=on kfence.sample_interval=100 crashkernel=384M", .debian612)
        #expect(!k.forcePages)
        #expect(k.kfenceEarlyPool)
        #expect(k.aliasStart == .text)
        let failed = flags(Self.v612, "rodata=on kfence.sample_interval=100", .debian612, facts: { $0.kfencePoolAllocationFailed = true })
        #expect(failed.forcePages && !failed.kfenceEarlyPool)
    }

    @Test func kfenceSampleIntervalIsParsedWithGetOption() {
        func early(_ value: String) -> Bool {
            flags(Self.v612, "rodata=on kfence.sample_interval=\(value)", .debian612).kfenceEarlyPool
        }
        #expect(early("1"))
        #expect(early("0x10"))
        #expect(early("5abc"))                 // digits then junk: get_option returns 1
        #expect(early("-1"))
        #expect(!early("0"))
        #expect(!early("abc"))                 // no digits: unchanged (Kconfig 0)
        #expect(!early("4294967296"))          // truncated to a 32-bit int: 0
        #expect(!early("-0"))
        #expect(flags(Self.v612, "rodata=on kfence.sample-interval=7", .debian612).kfenceEarlyPool)  // parameq
        #expect(!flags(Self.v612, "rodata=on kfence.sample_interval=7 kfence.sample_interval=0", .debian612).kfenceEarlyPool)
        #expect(flags(Self.v612, "rodata=on kfence.sample_interval=7 kfence.sample_interval=x", .debian612).kfenceEarlyPool)
    }

    @Test func rodataParsersPerVersion() {
        func forced(_ v: KernelVersion, _ line: String) -> Bool { flags(v, line).forcePages }
        // 5.10–5.19: kstrtobool values clear rodata_full; "full" sets it; junk is rejected.
        #expect(!forced(KernelVersion(5, 10, 262), "rodata=on"))
        #expect(!forced(KernelVersion(5, 10, 262), "rodata=yes-please"))
        #expect(!forced(KernelVersion(5, 10, 262), "rodata=0"))
        #expect(forced(KernelVersion(5, 10, 262), "rodata=on rodata=full"))
        let junk = flags(KernelVersion(5, 10, 262), "rodata=true")  // 't' only from 5.19
        #expect(junk.forcePages && junk.messages == ["Malformed early option 'rodata'"])
        #expect(!forced(KernelVersion(5, 19), "rodata=true"))
        // 6.0 and 6.1.0: "on"/"off" leave rodata_full set; 6.0 tests rodata_full alone.
        #expect(forced(KernelVersion(6, 0, 1), "rodata=on"))
        #expect(forced(KernelVersion(6, 0, 1), "rodata=off"))
        #expect(forced(KernelVersion(6, 1, 0), "rodata=on"))
        // 6.2–6.5: rodata_enabled && rodata_full, so off un-forces, on does not.
        #expect(!forced(KernelVersion(6, 2), "rodata=off"))
        #expect(forced(KernelVersion(6, 5), "rodata=on"))
        let invalid = flags(KernelVersion(6, 5), "rodata=1")
        #expect(invalid.forcePages && invalid.messages == ["Invalid option string for rodata: '1'"])
        // 6.6+ (and 6.1.176): on clears rodata_full.
        #expect(!forced(KernelVersion(6, 6), "rodata=on"))
        #expect(!forced(KernelVersion(6, 1, 176), "rodata=on"))
        #expect(forced(KernelVersion(6, 1, 175), "rodata=on"))
        // 6.18+: full is not recognised (the default is full anyway), noalias clears it.
        let v618 = KernelVersion(6, 18, 15)
        let full = flags(v618, "rodata=full") { $0.rodataFullDefault = false }
        #expect(full.forcePages && full.messages == ["Invalid option string for rodata: 'full'"])
        #expect(forced(v618, "rodata=on"))
        #expect(!forced(v618, "rodata=noalias"))
        #expect(!forced(v618, "rodata=off"))
        // A bare `rodata` changes nothing.
        #expect(flags(Self.v61, "rodata").messages == ["Invalid option string for rodata: '(null)'"])
    }

    @Test func debugPagealloc() {
        let on = flags(Self.v61, "rodata=on debug_pagealloc=on") { $0.debugPagealloc = true }
        #expect(on.reasons == ["debug_pagealloc"])
        #expect(!flags(Self.v61, "rodata=on debug_pagealloc=on").forcePages)     // not built
        #expect(!flags(Self.v61, "rodata=on debug_pagealloc=off") { $0.debugPagealloc = true; $0.debugPageallocDefault = true }.forcePages)
        #expect(!flags(KernelVersion(5, 10), "rodata=on debug_pagealloc=true") { $0.debugPagealloc = true }.forcePages)
        #expect(flags(KernelVersion(6, 1), "rodata=on debug_pagealloc=enable") { $0.debugPagealloc = false }.debugPagealloc == false)
        #expect(flags(KernelVersion(6, 2), "rodata=on debug_pagealloc=enable") { $0.debugPagealloc = true }.forcePages)
    }

    @Test func crashRegionPathsWithoutDMAZones() {
        let noDMA: (inout KernelConfig) -> Void = { $0.zoneDMA = false; $0.zoneDMA32 = false }
        // 5.15.24: always deferred, so crash_mem_map forces pages.
        #expect(flags(KernelVersion(5, 15, 24), "rodata=off crashkernel=256M", edit: noDMA).forcePages)
        // (rodata=off: 6.0–6.5 keep rodata_full on rodata=on.)
        // 5.15.167, 5.19–6.3: early reservation, the crash region alone is mapped with pages.
        for v in [KernelVersion(5, 15, 167), KernelVersion(5, 19), KernelVersion(6, 3)] {
            let f = flags(v, "rodata=off crashkernel=256M", edit: noDMA)
            #expect(!f.forcePages && f.crashRegionMappedSeparately, "\(v)")
        }
        #expect(!flags(KernelVersion(6, 4), "rodata=off crashkernel=256M", edit: noDMA).crashRegionMappedSeparately)
        #expect(!flags(KernelVersion(6, 4), "rodata=off crashkernel=256M").forcePages)
        #expect(flags(KernelVersion(6, 3), "rodata=off crashkernel=256M", facts: { $0.crashReservationDeferred = true }).forcePages)
    }

    @Test func kfenceBeforeTheEarlyPool() {
        let kfence: (inout KernelConfig) -> Void = { $0.kfence = true; $0.kfenceSampleInterval = 100 }
        #expect(flags(KernelVersion(6, 3), "rodata=off", edit: kfence).reasons == ["CONFIG_KFENCE (no early KFENCE pool before 6.4)"])
        #expect(!flags(KernelVersion(5, 10), "rodata=off", edit: kfence).forcePages)
        #expect(flags(KernelVersion(6, 4), "rodata=off", edit: kfence).kfenceEarlyPool)
    }

    @Test func bbml2KeepsBlocksUnderRodataFull() {
        let v = KernelVersion(7, 1, 13)
        let plain = flags(v, "")
        #expect(plain.forcePages)
        let bbml2 = flags(v, "", facts: { $0.bbml2NoAbort = true })
        #expect(!bbml2.forcePages && bbml2.linearMapRequiresBBML2)
        let debug = flags(v, "debug_pagealloc=1", edit: { $0.debugPagealloc = true }, facts: { $0.bbml2NoAbort = true })
        #expect(debug.reasons == ["debug_pagealloc"])
        #expect(!flags(KernelVersion(6, 12), "", facts: { $0.bbml2NoAbort = true; $0.realmWorld = true }).reasons.contains("Arm CCA realm guest"))
        #expect(flags(v, "rodata=noalias", facts: { $0.realmWorld = true }).reasons == ["Arm CCA realm guest"])
    }

    @Test func kernelAliasSymbol() {
        func start(_ v: KernelVersion) -> LinearMapRules.AliasStart { LinearMapRules.rules(for: v).aliasStart }
        #expect(start(KernelVersion(5, 10, 262)) == .text)
        #expect(start(KernelVersion(5, 11)) == .stext)
        #expect(start(Self.v61) == .stext)          // observed L6
        #expect(start(KernelVersion(6, 12, 0)) == .stext)
        #expect(start(Self.v612) == .text)          // observed L6 (stable back-port)
        #expect(start(KernelVersion(6, 17, 3)) == .stext)
        #expect(start(KernelVersion(6, 18)) == .text)
        let image = KernelImageSymbols.debian61(text: 0x4020_0000)
        #expect(LinearMapFlags(aliasStart: .stext).kernelAlias(of: image) == PhysRange(start: 0x4021_0000, end: 0x4186_0000))
        #expect(LinearMapFlags(aliasStart: .text).kernelAlias(of: .debian612(text: 0x4020_0000)) == PhysRange(start: 0x4020_0000, end: 0x41f2_0000))
    }
}
