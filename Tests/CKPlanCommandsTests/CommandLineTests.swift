import Foundation
import Testing

/// Runs the built `ckplan` as a user would, to check exit statuses and the stdout/stderr split.
enum CKPlanProcess {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var executable: URL {
        let beside = Bundle.main.bundleURL.appendingPathComponent("ckplan")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/ckplan")
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ arguments: [String]) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.currentDirectoryURL = packageRoot
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite struct MalformedInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let dir = "Tests/Data/malformed"
    static let cases: [Case] = [
        Case(arguments: ["machine", "--dtb", "\(dir)/truncated.dtb"],
             message: "\(dir)/truncated.dtb: byte 4: the header's totalsize is 276 bytes but the blob has 100 (FDT_ERR_TRUNCATED)"),
        Case(arguments: ["machine", "--dtb", "\(dir)/tiny.dtb"],
             message: "\(dir)/tiny.dtb: byte 20: the blob is 20 bytes; a device tree header takes 40 (FDT_ERR_TRUNCATED)"),
        Case(arguments: ["machine", "--dtb", "\(dir)/short-totalsize.dtb"],
             message: "\(dir)/short-totalsize.dtb: byte 4: the header's totalsize is 4372 bytes but the blob has 276 (FDT_ERR_TRUNCATED)"),
        Case(arguments: ["plan", "--image", "\(dir)/bad-magic.dtb"],
             message: "\(dir)/bad-magic.dtb: byte 56: expected the arm64 Image magic \"ARM\\x64\" (41 52 4d 64), found 00 00 00 01"),
        Case(arguments: ["plan", "--root", "/nonexistent-ckplan-root"],
             message: "/nonexistent-ckplan-root: neither sys/firmware/fdt nor proc/iomem found: not the root of an arm64 Linux system"),
        Case(arguments: ["machine", "--dtb", "\(dir)/bad-magic.dtb"],
             message: "\(dir)/bad-magic.dtb: byte 0: not a device tree blob (magic is not 0xd00dfeed) (FDT_ERR_BADMAGIC from fdt_check_header)"),
        Case(arguments: ["machine", "\(dir)/bad-magic.dtb"],
             message: "\(dir)/bad-magic.dtb: byte 0: neither a device tree blob (no 0xd00dfeed magic) nor a /proc/iomem text dump"),
        Case(arguments: ["machine", "--dtb", "\(dir)/bad-structure.dtb"],
             message: "\(dir)/bad-structure.dtb: byte 56: the structure block ends before any node; a device tree has a root node (FDT_ERR_BADSTRUCTURE)"),
        Case(arguments: ["machine", "\(dir)/address-cells-3.dtb"],
             message: "\(dir)/address-cells-3.dtb: byte 76: /: #address-cells = <3>; addresses and sizes of 1 or 2 cells (at most 64 bits) expected"),
        Case(arguments: ["machine", "\(dir)/size-cells-bytes.dtb"],
             message: "\(dir)/size-cells-bytes.dtb: byte 92: /: #size-cells must be one 32-bit cell, found 1 bytes"),
        Case(arguments: ["machine", "\(dir)/reg-partial.dtb"],
             message: "\(dir)/reg-partial.dtb: byte 148: /memory@40000000: reg is 12 bytes, not a multiple of 16 (#address-cells = 2, #size-cells = 2)"),
        Case(arguments: ["machine", "\(dir)/reg-wraps.dtb"],
             message: "\(dir)/reg-wraps.dtb: byte 156: /memory@fffffffffffff000: reg entry 0xfffffffffffff000 + 0x2000 wraps past 2^64"),
        Case(arguments: ["machine", "\(dir)/memreserve-wraps.dtb"],
             message: "\(dir)/memreserve-wraps.dtb: byte 40: /memreserve/ entry 0 (0xfffffffffffff000 + 0x2000) wraps past 2^64"),
        Case(arguments: ["machine", "\(dir)/initrd-backwards.dtb"],
             message: "\(dir)/initrd-backwards.dtb: byte 208: /chosen: linux,initrd-end 0x48000000 is below linux,initrd-start 0x48100000"),
        Case(arguments: ["machine", "--iomem", "\(dir)/bad-line.iomem"],
             message: "\(dir)/bad-line.iomem:2: expected `START-END : NAME` with hexadecimal START and END, found `garbage here`"),
        Case(arguments: ["machine", "--iomem", "\(dir)/too-wide.iomem"],
             message: "\(dir)/too-wide.iomem:2: address does not fit in 64 bits"),
        Case(arguments: ["machine", "--iomem", "\(dir)/backwards.iomem"],
             message: "\(dir)/backwards.iomem:1: end 0x7fffffff is below start 0x80000000"),
        Case(arguments: ["machine", "--iomem", "\(dir)/top-of-space.iomem"],
             message: "\(dir)/top-of-space.iomem:1: `System RAM` ends at 2^64 - 1; physical memory cannot reach the top of the address space"),
        Case(arguments: ["machine", "--iomem", "\(dir)/not-utf8.iomem"],
             message: "\(dir)/not-utf8.iomem: byte 31: not text (invalid UTF-8); /proc/iomem is plain text"),
        Case(arguments: ["machine", "--iomem", "\(dir)/empty.iomem"],
             message: "\(dir)/empty.iomem: no /proc/iomem lines found"),
        Case(arguments: ["machine", "Tests/Data/shared/iomem/cavium-thunderx2-nonroot-zeroed.txt"],
             message: "Tests/Data/shared/iomem/cavium-thunderx2-nonroot-zeroed.txt: every address is zero: this /proc/iomem was read without root (the kernel hides resource addresses from unprivileged readers); read it as root"),
        Case(arguments: ["machine", "\(dir)/does-not-exist.dtb"],
             message: "\(dir)/does-not-exist.dtb: no such file"),
    ]

    @Test(arguments: cases)
    func exit65WithOneLineAndNothingOnStdout(_ c: Case) throws {
        let r = try CKPlanProcess.run(c.arguments)
        #expect(r.status == 65)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "ckplan: error: \(c.message)\n")
    }

    @Test func usageErrorIs64WithNothingOnStdout() throws {
        let r = try CKPlanProcess.run(["machine", "--dtb", "a", "--iomem", "b"])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
    }

    @Test func embeddedDefaultMachineNeedsNoInput() throws {
        let r = try CKPlanProcess.run(["machine", "--format", "json"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"schema\": \"ckplan/machine/1\""))
        #expect(r.stdout.contains("embedded:qemu-virt-4g"))
    }
}

@Suite struct ProfilesCommandTests {
    /// Completion scripts for the three shells know every subcommand and the plan options.
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsNameEveryCommand(_ shell: String) throws {
        let r = try CKPlanProcess.run(["--generate-completion-script", shell])
        #expect(r.status == 0)
        // Whole words, so that "explain" does not stand in for "plan"; fish writes options
        // without their dashes.
        let words = Set(r.stdout.split { !($0.isLetter || $0.isNumber || $0 == "-") }.map(String.init))
        for command in ["plan", "diff", "explain", "suggest", "machine", "profiles"] {
            #expect(words.contains(command), "\(shell) completion lacks \(command)")
        }
        for option in ["cmdline", "batch", "root"] {
            #expect(words.contains("--" + option) || words.contains(option), "\(shell) completion lacks --\(option)")
        }
    }

    /// The three Debian builds the contract names, with the configuration read from Debian's
    /// packaging (kernel-rules.md §1 "Debian kernels").
    @Test func listsTheDebianProfiles() throws {
        let r = try CKPlanProcess.run(["profiles"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.dropFirst().map { $0.prefix(4) } == [
            ["debian-6.1-arm64", "6.1.192", "4", "KiB"],
            ["debian-6.12-arm64", "6.12.107", "4", "KiB"],
            ["debian-6.12-arm64-16k", "6.12.107", "16", "KiB"],
        ].map { $0[...] })
        #expect(r.stdout.contains("48/48") && r.stdout.contains("52/52"))
    }
}

@Suite struct MemoryOptionTests {
    /// A DTB whose firmware fills in RAM (sdm845: /memory size 0) gets its banks from --memory.
    @Test func banksReplaceFirmwareFilledMemory() throws {
        let dtb = "Tests/Data/shared/dtb/qcom__sdm845-db845c.dtb"
        let without = try CKPlanProcess.run(["machine", dtb])
        #expect(without.stdout.contains("give RAM with --memory BASE+SIZE"))
        let with = try CKPlanProcess.run(["machine", dtb, "--memory", "0x80000000+2G", "--memory", "0x880000000+6G", "--format", "json"])
        #expect(with.status == 0)
        #expect(with.stdout.contains(#"{"start": 2147483648, "end": 4294967296, "hotpluggable": false, "noMap": false}"#))
        #expect(with.stdout.contains(#"{"start": 36507222016, "end": 42949672960, "hotpluggable": false, "noMap": false}"#))
        #expect(!with.stdout.contains("give RAM with --memory"))
    }

    @Test func malformedOrOverlappingBanksAreUsageErrors() throws {
        for banks in [["0x80000000"], ["0x80000000+0"], ["0x80000000+4G", "0x100000000+1G"], ["0xfffffffffffff000+8K"]] {
            let r = try CKPlanProcess.run(["machine"] + banks.flatMap { ["--memory", $0] })
            #expect(r.status == 64, "\(banks)")
            #expect(r.stdout.isEmpty)
        }
    }
}

@Suite struct ExplainAndImageTests {
    /// kernel-rules.md §4.4: 6.1 has no fallback, so 3500M on the 4 GiB machine fails; the largest
    /// free 2 MiB-aligned block below 4 GiB is [0x48200000, 0xfc000000) = 2878 MiB (FDT at
    /// 0x48000000 + 1 MiB below it, CMA above it), and top-down that size would be found.
    @Test func explainNamesTheLargestBlockOfAFailure() throws {
        let r = try CKPlanProcess.run(["explain", "--cmdline", "crashkernel=3500M", "--profile", "debian-6.1-arm64"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("cannot allocate crashkernel (size:0xdac00000)"))
        #expect(r.stdout.contains("would fit: crashkernel=2878M"))
        let fits = try CKPlanProcess.run(["plan", "--cmdline", "crashkernel=2878M", "--profile", "debian-6.1-arm64", "--no-kexec"])
        #expect(fits.status == 0)
        #expect(fits.stdout.contains("crashkernel reserved: 0x0000000048200000 - 0x00000000fc000000 (2878 MB)"))
    }

    /// kexec -p in explain, in kexec-tools' order: the ELF header first at the region's end (as all
    /// six `kexec -p -d` observations show), the Image at the 2 MiB-aligned start, then bottom-up.
    @Test func explainPlacesTheKexecSegmentsInTheirOrder() throws {
        let r = try CKPlanProcess.run(["explain", "--cmdline", "crashkernel=512M"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let kexec = try #require(lines.firstIndex { $0.hasPrefix("6. kexec -p through kexec_load") })
        #expect(lines[kexec + 1].hasPrefix("   1. elfcorehdr [0xfbfff000, 0xfc000000)"))
        #expect(lines[kexec + 2].hasPrefix("   2. kernel [0xdc000000, "))
        #expect(lines.contains { $0.hasPrefix("   5. 2 control pages") })
        #expect(lines.contains { $0.contains("without the copy: kexec --mem-min=0xdc000000 --mem-max=0xfbffffff -l Image fits") })
    }

    /// An IORT limit enters zone_dma_limit like a DT dma-ranges limit: the same 0xbfffffff gave,
    /// on real kernels (kernel-rules-observed D1/D2, DT form), crash 0xec000000 on 6.1 (fls64 → 4 GiB)
    /// and 0xac000000 on 6.12 (exact 0xc0000000).
    @Test(arguments: [("debian-6.1-arm64", "0x00000000ec000000"), ("debian-6.12-arm64", "0x00000000ac000000")])
    func acpiDMALimit(_ profile: String, _ start: String) throws {
        let r = try CKPlanProcess.run(["plan", "--profile", profile, "--acpi-dma-limit", "0xbfffffff",
                                       "--cmdline", "crashkernel=256M", "--no-kexec"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("crashkernel reserved: \(start)"))
    }

}
