@testable import CKPlanCommands
import CKPlanModel
import Foundation
import Testing

/// `ckplan suggest`: the answer is checked the way a user would check it, with `ckplan plan`'s
/// own option parser and the candidate on `--cmdline`, independently of the search.
@Suite struct SuggestTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var args: [String]
        var testDescription: String { args.joined(separator: " ") }
    }

    static let imx8mp = "Tests/Data/shared/dtb/freescale__imx8mp-evk.dtb"
    static let poplar = "Tests/Data/shared/dtb/hisilicon__hi3798cv200-poplar.dtb"
    static let cases: [Case] = ["debian-6.1-arm64", "debian-6.12-arm64"].flatMap { profile in
        [
            Case(args: ["--profile", profile]),
            Case(args: ["--profile", profile, "--kexec-initrd-size", "30M"]),
            Case(args: [imx8mp, "--profile", profile]),
            Case(args: [poplar, "--profile", profile, "--kexec-initrd-size", "0x1c3800"]),
        ]
    }

    static let step: UInt64 = 2 << 20

    static func suggest(_ args: [String]) throws -> Suggestion {
        let command = try SuggestCommand.parse(args)
        return Suggester.suggest(SuggestRequest(base: try command.options.request(), captureCommandLineFollows: true))
    }

    /// `ckplan plan <args> --cmdline '<kept> <parameter>'`.
    static func plan(_ args: [String], kept: String, _ parameter: String) throws -> Plan {
        let command = try PlanCommand.parse(args + ["--cmdline", [kept, parameter].filter { !$0.isEmpty }.joined(separator: " ")])
        return Planner.plan(try command.options.request())
    }

    static func works(_ p: Plan) -> Bool { p.outcome == .reserved && p.kdump?.fits == true }

    @Test(arguments: cases)
    func smallestWorksAndOneStepLessDoesNot(_ c: Case) throws {
        let s = try Self.suggest(c.args)
        for search in [s.plain, s.high].compactMap({ $0 }) {
            let answer = try #require(search.answer, "\(search.form): \(search.failureReason ?? "")")
            let suffix = search.form == .high ? ",high" : ""
            #expect(answer.size % Self.step == 0)
            let ok = try Self.plan(c.args, kept: s.keptCommandLine, "crashkernel=\(answer.size >> 20)M\(suffix)")
            let answerWorks = Self.works(ok)
            #expect(answerWorks, "\(answer.parameter)")
            #expect(ok.regions.map(\.range) == answer.plan.regions.map(\.range))
            let less = try Self.plan(c.args, kept: s.keptCommandLine, "crashkernel=\((answer.size - Self.step) >> 20)M\(suffix)")
            let lessWorks = Self.works(less)
            #expect(!lessWorks, "\(answer.parameter) minus 2 MiB works too")
            // Here the capture kernel's need does not move with the placement, so the answer is
            // that need rounded up to CRASH_ALIGN, found with three plans.
            let need = try #require(ok.kdump?.minimumRegionSize)
            #expect(answer.size == (need + Self.step - 1) / Self.step * Self.step)
            #expect(search.trials.count == 3)
            #expect(search.smaller?.size == answer.size - Self.step)
        }
    }

    /// Checked by hand against the kernel rules: the embedded QEMU virt 4 GiB machine on Debian
    /// 6.12. kexec-tools 2.0.29 (X1, kernel-rules.md §7.3) puts the Image (image_size 0x24f0000)
    /// at the 2 MiB-aligned region start, the 0x1e4c-byte DTB (2 pages) and the purgatory
    /// (4 pages) after it, the ELF header in the last page; the kernel then takes two control
    /// pages after the purgatory (kimage_alloc_crash_control_pages): 0x24f0000 + 0x2000 + 0x4000
    /// + 0x2000 + 0x1000 = 0x24f9000, 2 MiB steps up: 38 MiB. Top-down below the 64 MiB CMA area
    /// at 0xfc000000 (W1): [0xf9a00000, 0xfc000000). 36 MiB is smaller than the Image alone.
    /// `,high` on 6.12 goes above the 4 GiB DMA limit with the default 128 MiB low region under
    /// CMA (W7), which takes more below the limit than the 38 MiB plain region: plain it is.
    @Test func embeddedMachineByHand() throws {
        let s = try Self.suggest(["--profile", "debian-6.12-arm64"])
        #expect(s.removed == ["crashkernel=512M"])
        #expect(s.keptCommandLine == "console=ttyAMA0 nokaslr")
        let answer = try #require(s.plain.answer)
        #expect(answer.parameter == "crashkernel=38M")
        #expect(answer.plan.regions.map(\.range) == [PhysRange(start: 0xf9a0_0000, end: 0xfc00_0000)!])
        #expect(answer.plan.kdump?.minimumRegionSize == 0x24f9000)
        #expect(s.plain.smaller?.parameter == "crashkernel=36M")
        #expect(s.plain.smaller?.verdict == .captureDoesNotFit)
        let high = try #require(s.high?.answer)
        #expect(high.plan.boot.crash?.low == PhysRange(start: 0xf400_0000, end: 0xfc00_0000))
        #expect(s.advice?.recommendation == .plain)
        #expect(s.advice?.high.belowDMALimit == 128 << 20)
        #expect(s.best?.parameter == "crashkernel=38M")
    }

    /// 6.1 `,high` without `,low` reserves no low region (kernel-rules.md §4.4, W4), so plain is
    /// recommended although `,high` takes nothing below the DMA limit; and with rodata=on the
    /// crashkernel= parameter alone pages the whole linear map (crash_mem_map, L1).
    @Test func linux61HighHasNoLowRegionAndCrashkernelPagesTheMap() throws {
        let s = try Self.suggest(["--profile", "debian-6.1-arm64", "--cmdline", "console=ttyAMA0 rodata=on crashkernel=1G"])
        let advice = try #require(s.advice)
        #expect(advice.high.belowDMALimit == 0)
        #expect(advice.high.trial.plan.boot.crash?.low == nil)
        #expect(advice.recommendation == .plain)
        #expect(advice.reason.contains("no default `,low` before 6.2"))
        #expect(advice.plain.tablePagesVsNone > 0)
        #expect(advice.plain.linearMapEffect.contains("crash_mem_map"))
        #expect(s.keptCommandLine == "console=ttyAMA0 rodata=on")
    }

    @Test func highIsNotOfferedBefore519() throws {
        let s = try Self.suggest(["--kernel", "5.15"])
        #expect(s.high == nil)
        #expect(s.highUnavailable?.contains("from 5.19") == true)
        #expect(s.plain.answer != nil)
    }

    /// On 1 GiB (P4/P5, kernel-rules-observed.md): Fedora's list starts at 2G, so nothing matches
    /// and nothing is reserved; Debian's validates its 1024M entry before any range matches and
    /// 1024M ≥ 1 GiB is "crashkernel: invalid size"; the old Ubuntu list selects 64M.
    @Test func rangeListsOnASmallMachine() throws {
        let s = try Self.suggest(["--memory", "0x40000000+1G"])
        func distro(_ prefix: String) throws -> DistroEvaluation {
            try #require(s.distros.first { $0.entry.name.hasPrefix(prefix) })
        }
        let fedora = try distro("Fedora/RHEL/CentOS kdump-utils, 4K")
        #expect(fedora.selected == nil)
        #expect(fedora.outcome == .none)
        #expect(fedora.rangeSystemRAM == 1 << 30)
        #expect(fedora.pitfalls.contains { $0.hasPrefix("no range contains this machine's 1 GiB") })
        let debian = try distro("Debian/Ubuntu kdump-tools")
        #expect(debian.outcome == .invalid)
        #expect(debian.plan.boot.dmesg.contains("crashkernel: invalid size"))
        #expect(debian.pitfalls.contains { $0.contains("\"crashkernel: invalid size\"") })
        let ubuntu = try distro("Ubuntu linux-crashdump")
        #expect(ubuntu.selected == 64 << 20)
        #expect(ubuntu.fits == true)
        let fedora64k = try distro("Fedora/RHEL/CentOS kdump-utils, 64K")
        #expect(fedora64k.pitfalls.contains("written for 64K-page kernels; this kernel uses 4K pages"))
    }

    @Test func everyCrashkernelTokenIsReplacedAndTheRestKept() {
        let (kept, removed) = Suggester.stripCrashkernel(
            "console=ttyAMA0 crashkernel=1G,high foo.crashkernel=2M mem=3G crashkernel crashkernel=256M,low -- init crashkernel=8M")
        #expect(kept == "console=ttyAMA0 mem=3G -- init")
        #expect(removed == ["crashkernel=1G,high", "foo.crashkernel=2M", "crashkernel", "crashkernel=256M,low", "crashkernel=8M"])
    }

    /// mem= is kept: with mem=1G the RAM the kernel counts is 1 GiB, which the range lists see.
    @Test func memIsKept() throws {
        let s = try Self.suggest(["--cmdline", "console=ttyAMA0 mem=1G crashkernel=512M"])
        #expect(s.keptCommandLine == "console=ttyAMA0 mem=1G")
        #expect(s.distros.first { $0.entry.name.hasPrefix("Fedora/RHEL/CentOS kdump-utils, 4K") }?.rangeSystemRAM == 1 << 30)
        let answer = try #require(s.plain.answer)
        #expect(answer.plan.regions.allSatisfy { $0.range.end <= 0x8000_0000 })
    }
}

@Suite struct SuggestCommandTests {
    @Test func exitZeroWhenSomethingFits() throws {
        let r = try CKPlanProcess.run(["suggest"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("suggested: crashkernel=38M"))
        #expect(r.stderr.isEmpty)
    }

    /// 64 MiB: the capture kernel needs 37 MiB, and no block that large is free below the limit.
    @Test func exitOneWhenNothingFits() throws {
        let r = try CKPlanProcess.run(["suggest", "--memory", "0x40000000+64M"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("suggested: nothing fits (exit 1)"))
        #expect(r.stdout.contains("crashkernel=38M, the smallest size the capture kernel fits in, is not reserved: cannot allocate crashkernel (size:0x2600000)"))
    }

    @Test func usageAndInputErrors() throws {
        let noKexec = try CKPlanProcess.run(["suggest", "--no-kexec"])
        #expect(noKexec.status == 64)
        #expect(noKexec.stdout.isEmpty)
        let malformed = try CKPlanProcess.run(["suggest", "Tests/Data/malformed/reg-partial.dtb"])
        #expect(malformed.status == 65)
        #expect(malformed.stdout.isEmpty)
        #expect(malformed.stderr.hasPrefix("ckplan: error: Tests/Data/malformed/reg-partial.dtb: byte 148:"))
    }

    @Test func jsonIsByteIdenticalAcrossRuns() throws {
        let args = ["suggest", SuggestTests.imx8mp, "--profile", "debian-6.1-arm64", "--format", "json"]
        let a = try CKPlanProcess.run(args), b = try CKPlanProcess.run(args)
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        let object = try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any]
        #expect(object?["schema"] as? String == "ckplan/suggest/1")
        #expect(object?["recommended"] as? String == "crashkernel=34M")
        #expect((object?["distroDefaults"] as? [Any])?.count == DistroDefault.all.count)
    }
}
