import CKPlanModel
import Testing

private let M: UInt64 = 1 << 20
private let G: UInt64 = 1 << 30

private func plain(_ size: UInt64, base: UInt64 = 0) -> CrashKernelParseResult.Outcome {
    .request(CrashKernelRequest(size: size, base: base))
}

private func high(_ size: UInt64, low: UInt64, lowGiven: Bool = false) -> CrashKernelParseResult.Outcome {
    .request(CrashKernelRequest(size: size, base: 0, high: true, lowSize: low, lowGiven: lowGiven))
}

private func warn(_ text: String) -> KernelLogLine { KernelLogLine(.warning, text) }
private let zeroBytes = KernelLogLine(.info, "crashkernel size resulted in zero bytes")

// Real command lines (shared/data/cmdlines/crashkernel-cmdlines.md).
private let qemuVirt = "noinitrd nokaslr loglevel=8 sched_debug root=/dev/vda rootfstype=ext4 rw crashkernel=256M vfio.dyndbg=+pflmt irq_gic_v3_its.dyndbg=+pflmt iommu.dyndbg=+pflmt irqdomain.dyndbg=+pflmt"
private let tx2A = "BOOT_IMAGE=/boot/vmlinuz-5.6.0-rc4+ root=UUID=866b8df3-14f4-4e11-95a1-74a90ee9b694 ro crashkernel=4G@0xb81200000 crashkernel=250M,low nowatchdog earlycon"
private let tx2B = "BOOT_IMAGE=/boot/vmlinuz-5.6.0-rc4+ root=UUID=866b8df3-14f4-4e11-95a1-74a90ee9b694 ro crashkernel=4G crashkernel=250M,low nowatchdog"
private let tx2C = "BOOT_IMAGE=/boot/vmlinuz-5.6.0-rc4+ root=UUID=866b8df3-14f4-4e11-95a1-74a90ee9b694 ro nowatchdog earlycon crashkernel=1G crashkernel=250M,low"
private let emag = "BOOT_IMAGE=(hd2,gpt2)/vmlinuz-5.9.0-rc7+ root=/dev/mapper/rhel_ampere--hr330a--03-root ro rd.lvm.lv=rhel_ampere-hr330a-03/root rd.lvm.lv=rhel_ampere-hr330a-03/swap crashkernel=786M cma=1024M"
private let stingray = "FS2:\\Image.1  root=/dev/mmcblk0p4 rw rootwait  earlycon=uart8250_log,mmio32,0x68A10000 earlylog=0x8f110000,0x10000 console=ttyS0,115200n8 hugepages=0 cma=1G crashkernel=512M pci=pcie_bus_safe pciehp.pciehp_poll_mode=1 pciehp.pciehp_poll_time=5 pcie_ports=native maxcpus=8  bgmac_platform.ethaddr=00:0A:F7:95:62:82 ip=10.136.13.31:10.136.4.151:10.136.13.1:255.255.255.0:::off  loglevel=7 maxcpus=1 crashkernel=0 cma=128M"
private let fcosCapture = "BOOT_IMAGE=(hd0,gpt3)/ostree/fedora-coreos-d1d363af210b0f07906533c7ff8998c775c8408d1df6898b7d5c5e4477823301/vmlinuz-6.2.0-0.rc8.20230217gitec35307e18ba.60.fc39.aarch64 mitigations=auto,nosmt ignition.platform.id=qemu rw rootflags=prjquota boot=UUID=8166125f-f289-4275-b441-c2886518f04c ostree=/ostree/boot.1/fedora-coreos/d1d363af210b0f07906533c7ff8998c775c8408d1df6898b7d5c5e4477823301/0 nr_cpus=1 reset_devices cgroup_disable=memory udev.children-max=2 panic=10 swiotlb=noforce novmcoredd cma=0 hugetlb_cma=0"
private let rhelAzure = "ro console=tty1 console=ttyS0 earlyprintk=ttyS0 rootdelay=300 crashkernel= $tuned_params"
private let debianDefault = "crashkernel=2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M"
private let ubuntuDocs = "BOOT_IMAGE=/vmlinuz-6.18.0-8-generic root=UUID=0a86b691-f733-4cb0-9c5c-b88e0ef9e212 ro console=tty1 console=ttyS0 " + debianDefault
private let snapdragon = "root=UUID=$root_uuid ro quiet splash console=tty0 crashkernel=2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G-:4096M $vt_handoff"
private let rhelAarch64 = "crashkernel=1G-4G:256M,4G-64G:320M,64G-:576M"
private let p6Range = "crashkernel=1G-2000M:128M,2000M-:256M"

/// Deterministic xorshift so failures reproduce.
private struct XorShift {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

/// `crashkernel=` parsing per kernel version (kernel-rules.md §2, §4.2–4.13; kernel-rules-observed.md P1–P8).
@Suite struct CrashKernelParserTests {
    // MARK: - Table

    /// Where the kernel stopped, written against the test's own command line (never computed by the
    /// parser): the first occurrence of a marker plus an offset, the end of the line, or none.
    enum Col: Sendable {
        case none
        case at(String, Int = 0)
        case end
        case fromEnd(Int)

        func resolve(in cmdline: String) -> Int? {
            let bytes = Array(cmdline.utf8)
            switch self {
            case .none: return nil
            case .end: return bytes.count
            case .fromEnd(let n): return bytes.count - n
            case .at(let marker, let offset):
                let m = Array(marker.utf8)
                guard m.count <= bytes.count else { return -1 }
                for i in 0...(bytes.count - m.count) where Array(bytes[i..<(i + m.count)]) == m {
                    return i + offset
                }
                return -1
            }
        }
    }

    typealias Outcome = CrashKernelParseResult.Outcome

    struct ParseCase: Sendable, CustomTestStringConvertible {
        var cmdline: String
        var kernel: String
        var ram: UInt64
        var outcome: Outcome
        var messages: [KernelLogLine] = []
        var column: Col = .none
        var crashMemMap: Bool
        var totalMem: UInt64? = nil
        var source: String

        var testDescription: String { "\(kernel) RAM \(ram >> 20)M: \(cmdline.prefix(90))" }
    }

    private static func C(
        _ cmdline: String, _ kernel: String, ram: UInt64, _ outcome: Outcome,
        _ messages: [KernelLogLine] = [], col: Col = .none, map: Bool, total: UInt64? = nil, src: String
    ) -> ParseCase {
        ParseCase(cmdline: cmdline, kernel: kernel, ram: ram, outcome: outcome, messages: messages,
                  column: col, crashMemMap: map, totalMem: total, source: src)
    }

    static let parseCases: [ParseCase] = [
        // Simple syntax and memparse through crashkernel=
        C("crashkernel=256M", "5.10.262", ram: 2 * G, plain(256 * M), map: true,
          src: "kernel/crash_core.c parse_crashkernel_simple; arch/arm64/mm/init.c 5.10 plain only; kernel-rules.md §2.4, §4.2"),
        C("crashkernel=256M", "6.1.192", ram: 4 * G, plain(256 * M), map: true,
          src: "kernel/crash_core.c parse_crashkernel_simple; arch/arm64/mm/mmu.c enable_crash_mem_map (5.10–6.3); kernel-rules.md §2.4, §2.10"),
        C("crashkernel=256M", "6.12.107", ram: 4 * G, plain(256 * M), map: false,
          src: "kernel/crash_reserve.c parse_crashkernel; crash_mem_map gone since 6.4; kernel-rules.md §2.4, §4.6"),
        C("crashkernel=0100M", "6.1.192", ram: 4 * G, plain(64 * M), map: true,
          src: "lib/kstrtox.c _parse_integer_fixup_radix: leading 0 = octal; kernel-rules.md §2.3"),
        C("crashkernel=09M", "6.1.192", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: unrecognized char: 9")],
          col: .at("9M"), map: true, src: "lib/kstrtox.c octal stops at '9'; parse_crashkernel_simple; kernel-rules.md §2.3"),
        C("crashkernel=0x10000000", "6.12.107", ram: 4 * G, plain(256 * M), map: false,
          src: "lib/kstrtox.c 0x + hex digit = hex; kernel-rules.md §2.3"),
        C("crashkernel=0x10G", "6.12.107", ram: 64 * G, plain(16 * G), map: false,
          src: "lib/cmdline.c memparse: hex digits then G suffix; kernel-rules.md §2.3"),
        C("crashkernel=0x1E", "6.12.107", ram: 4 * G, plain(30), map: false,
          src: "lib/kstrtox.c: E is a hex digit, not the exa suffix; kernel-rules.md §2.3"),
        C("crashkernel=1e", "6.1.192", ram: 4 * G, plain(1 << 60), map: true,
          src: "lib/cmdline.c memparse: lower-case e = exa; no size check before 6.12; kernel-rules.md §2.3"),
        C("crashkernel=1e", "6.12.107", ram: 4 * G, .invalid(.sizeNotBelowSystemRAM), col: .at("1e"), map: false,
          src: "kernel/crash_reserve.c parse_crashkernel 6.12: *crash_size >= system_ram -> -EINVAL, silent; kernel-rules.md §4.10"),
        C("crashkernel=16E", "6.1.192", ram: 4 * G, .reservesNothing(.zeroSize), map: true,
          src: "lib/cmdline.c memparse: 16 << 60 wraps to 0; arch/arm64/mm/init.c `!crash_size` -> return; kernel-rules.md §2.3"),
        C("crashkernel=18446744073709551617", "6.1.192", ram: 4 * G, plain(1), map: true,
          src: "lib/kstrtox.c _parse_integer_limit: overflow flagged but value wraps (2^64+1 -> 1); kernel-rules.md §2.3"),
        C("crashkernel=K", "6.12.107", ram: 4 * G, .reservesNothing(.zeroSize), map: false,
          src: "lib/cmdline.c memparse consumes the suffix even without digits, so end != start: size 0, no message"),
        C("crashkernel=abc", "6.1.192", ram: 2 * G, .invalid(.plainToken), [warn("crashkernel: memory value expected")],
          col: .at("abc"), map: true, src: "observed: kernel-rules-observed.md P2 (6.1); parse_crashkernel_simple"),
        C("crashkernel=abc", "6.12.107", ram: 2 * G, .invalid(.plainToken), [warn("crashkernel: memory value expected")],
          col: .at("abc"), map: false, src: "observed: kernel-rules-observed.md P2 (6.12)"),
        C("crashkernel=256MB", "6.12.107", ram: 2 * G, .invalid(.plainToken), [warn("crashkernel: unrecognized char: B")],
          col: .at("B"), map: false, src: "observed: kernel-rules-observed.md P3; parse_crashkernel_simple"),
        C("crashkernel=-1G", "6.12.107", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: memory value expected")],
          col: .at("-1G"), map: false, src: "lib/kstrtox.c: no sign accepted; kernel-rules.md §2.3"),
        C("crashkernel=256MiB", "6.1.192", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: unrecognized char: i")],
          col: .at("iB"), map: true, src: "lib/cmdline.c memparse: single suffix char only; kernel-rules.md §2.3"),
        C("crashkernel=256M@0x60000000", "6.12.107", ram: 4 * G, plain(256 * M, base: 0x6000_0000), map: false,
          src: "parse_crashkernel_simple @offset; observed W10"),
        C("crashkernel=256M@", "6.12.107", ram: 4 * G, plain(256 * M), map: false,
          src: "parse_crashkernel_simple: offset not validated, no digits = base 0 = automatic; kernel-rules.md §2.4"),
        C("crashkernel=256M@1Gxyz quiet", "6.1.192", ram: 4 * G, plain(256 * M, base: G), map: true,
          src: "parse_crashkernel_simple: trailing bytes after the offset ignored; kernel-rules.md §2.4"),
        C("crashkernel=0", "5.10.262", ram: 2 * G, .reservesNothing(.zeroSize), map: true,
          src: "arch/arm64/mm/init.c 5.10 `if (ret || !crash_size) return`; mmu.c crash_mem_map still set; kernel-rules.md §2.8, §2.10"),
        C("crashkernel=0", "6.12.107", ram: 2 * G, .reservesNothing(.zeroSize), map: false,
          src: "kernel/crash_reserve.c parse_crashkernel: !*crash_size -> -EINVAL; kernel-rules.md §2.8"),
        C("crashkernel=", "6.12.107", ram: 2 * G, .invalid(.plainToken), [warn("crashkernel: memory value expected")],
          col: .end, map: false, src: "parse_crashkernel_simple at the terminating NUL"),
        C(rhelAzure, "5.15.167", ram: 8 * G, .invalid(.plainToken), [warn("crashkernel: memory value expected")],
          col: .at(" $tuned"), map: true, src: "cmdlines.md #14 (RHEL 9.4 Azure empty crashkernel=); parse_crashkernel_simple"),

        // get_last_crashkernel: last wins, substring match, only ' ' ends a token
        C("crashkernel=128M crashkernel=384M", "6.1.192", ram: 4 * G, plain(384 * M), map: true,
          src: "observed: kernel-rules-observed.md P1 (6.1); get_last_crashkernel"),
        C("crashkernel=384M crashkernel=128M", "6.12.107", ram: 4 * G, plain(128 * M), map: false,
          src: "observed: kernel-rules-observed.md P1 (6.12)"),
        C("foo.crashkernel=1G", "6.1.192", ram: 4 * G, plain(G), map: false,
          src: "get_last_crashkernel strstr substring match; early_param needs the exact name; kernel-rules.md §2.2, §2.10"),
        C("crashkernel=256M foo.crashkernel=1G", "6.1.192", ram: 4 * G, plain(G), map: true,
          src: "get_last_crashkernel: the substring match is the last candidate; kernel-rules.md §2.2"),
        C("crashkernel=256M\tquiet", "6.12.107", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: unrecognized char: \t")],
          col: .at("\t"), map: false, src: "get_last_crashkernel/parse_crashkernel_simple: only ' ' separates; kernel-rules.md §2.2"),
        C("crashkernel=256M\tfoo=a:b", "6.12.107", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: '-' expected")],
          col: .at("\t"), map: false, total: 4 * G,
          src: "__parse_crashkernel: first ':' before first ' ' (a tab is not one) selects parse_crashkernel_mem; kernel-rules.md §2.5"),
        C("crashkernel=256M foo=a:b", "6.12.107", ram: 4 * G, plain(256 * M), map: false,
          src: "__parse_crashkernel: ':' after the first space -> simple syntax; kernel-rules.md §2.5"),
        C("crashkernel=256M\0crashkernel=1G", "6.12.107", ram: 4 * G, plain(256 * M), map: false,
          src: "boot_command_line is a C string: nothing after NUL is seen"),
        C("\"crashkernel=1G\"", "6.1.192", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: unrecognized char: \"")],
          col: .fromEnd(1), map: true,
          src: "get_last_crashkernel ignores quotes; next_arg strips them so the early param still counts; kernel-rules.md §2.2"),
        C("root=/dev/vda -- crashkernel=256M", "6.1.192", ram: 4 * G, plain(256 * M), map: false,
          src: "kernel/params.c parse_args stops at `--` (no early param), strstr still finds the token"),
        C("crashkernel", "6.1.192", ram: 4 * G, .absent, map: true,
          src: "arch/arm64/mm/mmu.c early_param(\"crashkernel\") runs without a value; no `crashkernel=` substring; kernel-rules.md §2.10"),
        C("crashkernel=0", "6.3.8", ram: 2 * G, .reservesNothing(.zeroSize), map: true,
          src: "arch/arm64/mm/mmu.c crash_mem_map, last release 6.3; kernel-rules.md §2.10"),
        C("crashkernel=0", "6.4.6", ram: 2 * G, .reservesNothing(.zeroSize), map: false,
          src: "6.4 removed crash_mem_map (Baoquan He); kernel-rules.md §4.6"),

        // Range syntax
        C(debianDefault, "6.1.192", ram: 12 * G, plain(512 * M), map: true, total: 12 * G,
          src: "observed: kernel-rules-observed.md P4 (6.1, 12G, Debian range)"),
        C(debianDefault, "6.12.107", ram: 3 * G, plain(320 * M), map: false, total: 3 * G,
          src: "observed: kernel-rules-observed.md P4 (6.12, 3G, Debian range)"),
        C("crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M", "6.1.192", ram: 2 * G, plain(192 * M), map: true, total: 2 * G,
          src: "observed: kernel-rules-observed.md P4 (6.1, 2G)"),
        C("crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M", "6.12.107", ram: 16 * G, plain(256 * M), map: false, total: 16 * G,
          src: "observed: kernel-rules-observed.md P4 (6.12, 16G)"),
        C("crashkernel=1G-2G:4G,2G-:256M", "6.1.192", ram: 3 * G, .invalid(.plainToken), [warn("crashkernel: invalid size")],
          col: .at("4G"), map: true, total: 3 * G, src: "observed: kernel-rules-observed.md P5 (6.1)"),
        C("crashkernel=1G-2G:4G,2G-:256M", "6.12.107", ram: 3 * G, .invalid(.plainToken), [warn("crashkernel: invalid size")],
          col: .at("4G"), map: false, total: 3 * G, src: "observed: kernel-rules-observed.md P5 (6.12)"),
        C(debianDefault, "6.1.192", ram: 1536 * M, .invalid(.plainToken), [warn("crashkernel: invalid size")],
          col: .at("2048M"), map: true, total: 1536 * M,
          src: "observed: kernel-rules-observed.md P5 (1536M, no entry matches, 64G-128G:2048M validated)"),
        C(p6Range, "6.1.192", ram: 1990 * M, plain(256 * M), map: true, total: 2048 * M,
          src: "observed: kernel-rules-observed.md P6 (6.1: 1990M rounds up to 2048M)"),
        C(p6Range, "6.12.107", ram: 1990 * M, plain(256 * M), map: false, total: 2048 * M,
          src: "observed: kernel-rules-observed.md P6 (6.12)"),
        C(p6Range, "5.15.167", ram: 1990 * M, plain(128 * M), map: true, total: 1990 * M,
          src: "kernel/crash_core.c parse_crashkernel_mem without roundup before 6.0; kernel-rules.md §1, §2.5"),
        C(p6Range, "5.19.0", ram: 1990 * M, plain(128 * M), map: true, total: 1990 * M,
          src: "kernel/crash_core.c 5.19: no roundup yet; kernel-rules.md §1"),
        C(p6Range, "6.0.1", ram: 1990 * M, plain(256 * M), map: true, total: 2048 * M,
          src: "kernel/crash_core.c 6.0: total_mem = roundup(total_mem, SZ_128M); kernel-rules.md §1, §2.5"),
        C("crashkernel=1G-:256M@", "6.1.192", ram: 2 * G, .invalid(.plainToken), [warn("Memory value expected after '@'")],
          col: .end, map: true, total: 2 * G, src: "observed: kernel-rules-observed.md P7 (6.1, no prefix)"),
        C("crashkernel=1G-:256M@", "6.12.107", ram: 2 * G, .invalid(.plainToken),
          [warn("crahskernel: Memory value expected after '@'")], col: .end, map: false, total: 2 * G,
          src: "observed: kernel-rules-observed.md P7 (6.12 typo)"),
        C("crashkernel=1G-:256M@", "6.9.0", ram: 2 * G, .invalid(.plainToken), [warn("Memory value expected after '@'")],
          col: .end, map: false, total: 2 * G, src: "kernel/crash_reserve.c 6.9 (file created by the split, old text)"),
        C("crashkernel=1G-:256M@", "6.10.0", ram: 2 * G, .invalid(.plainToken),
          [warn("crahskernel: Memory value expected after '@'")], col: .end, map: false, total: 2 * G,
          src: "kernel/crash_reserve.c: \"crash: add prefix for crash dumping messages\" (6.10-rc1)"),
        C("crashkernel=1G-:256M@", "6.16.0", ram: 2 * G, .invalid(.plainToken),
          [warn("crashkernel: Memory value expected after '@'")], col: .end, map: false, total: 2 * G,
          src: "kernel/crash_reserve.c: \"crash: fix spelling mistake crahskernel\" (6.16-rc1)"),
        C("crashkernel=4G", "6.12.107", ram: 2 * G, .invalid(.sizeNotBelowSystemRAM), col: .at("4G"), map: false,
          src: "observed: kernel-rules-observed.md P8 (6.12 rejects silently)"),
        C("crashkernel=4G", "6.1.192", ram: 2 * G, plain(4 * G), map: true,
          src: "observed: kernel-rules-observed.md P8 (6.1 parses it; the allocation fails later)"),
        C("crashkernel=1G-:", "6.1.192", ram: 2 * G, .invalid(.plainToken), [warn("Memory value expected")],
          col: .end, map: true, total: 2 * G, src: "kernel/crash_core.c parse_crashkernel_mem size error text before 6.10"),
        C("crashkernel=1G-:", "6.12.107", ram: 2 * G, .invalid(.plainToken), [warn("crashkernel: Memory value expected")],
          col: .end, map: false, total: 2 * G, src: "kernel/crash_reserve.c parse_crashkernel_mem size error text from 6.10"),
        C("crashkernel=1G:256M", "6.12.107", ram: 2 * G, .invalid(.plainToken), [warn("crashkernel: '-' expected")],
          col: .at(":"), map: false, total: 2 * G, src: "parse_crashkernel_mem: '-' expected; kernel-rules.md §2.5"),
        C("crashkernel=2G-1G:256M", "6.12.107", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: end <= start")],
          col: .at("1G"), map: false, total: 4 * G, src: "parse_crashkernel_mem: end <= start; kernel-rules.md §2.5"),
        C("crashkernel=1G-2G,2G-:256M", "6.12.107", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: ':' expected")],
          col: .at(","), map: false, total: 4 * G, src: "parse_crashkernel_mem: ':' expected; kernel-rules.md §2.5"),
        C("crashkernel=-:256M", "6.12.107", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: Memory value expected")],
          col: .at("-:"), map: false, total: 4 * G, src: "parse_crashkernel_mem: range start missing"),
        C("crashkernel=1G-x:256M", "6.12.107", ram: 4 * G, .invalid(.plainToken), [warn("crashkernel: Memory value expected")],
          col: .at("x"), map: false, total: 4 * G, src: "parse_crashkernel_mem: range end not a number"),
        C("crashkernel=2G-4G:256M", "6.12.107", ram: G, .reservesNothing(.noRangeMatched), [zeroBytes], map: false, total: G,
          src: "parse_crashkernel_mem: no match -> pr_info zero bytes, returns 0; kernel-rules.md §2.5"),
        C("crashkernel=1G-2G:128M,2G-:256M", "6.12.107", ram: 2 * G, plain(256 * M), map: false, total: 2 * G,
          src: "parse_crashkernel_mem: end is exclusive; kernel-rules.md §2.5"),
        C("crashkernel=1G-:256MB quiet", "6.12.107", ram: 2 * G, plain(256 * M), map: false, total: 2 * G,
          src: "parse_crashkernel_mem: after a match, bytes up to ' '/'@' are skipped unchecked"),
        C("crashkernel=1G-2G:128MB,2G-:256M", "6.12.107", ram: 4 * G, .reservesNothing(.noRangeMatched), [zeroBytes],
          map: false, total: 4 * G,
          src: "parse_crashkernel_mem: `while (*cur++ == ',')` ends at the 'B', so the matching 2G- entry is never read"),
        C("crashkernel=1G-4G:128M,4G-:256M@2G", "6.12.107", ram: 2 * G, plain(128 * M, base: 2 * G), map: false, total: 2 * G,
          src: "parse_crashkernel_mem: @offset after the list applies to whichever entry matched; kernel-rules.md §2.5"),
        C("crashkernel=1G-4G:256M,4G-:16G", "6.12.107", ram: 2 * G, plain(256 * M), map: false, total: 2 * G,
          src: "parse_crashkernel_mem: entries after the match are not validated; kernel-rules.md §2.5"),
        C("crashkernel=1G-4G:256M,4G-:16G", "6.12.107", ram: 8 * G, .invalid(.plainToken), [warn("crashkernel: invalid size")],
          col: .at("16G"), map: false, total: 8 * G, src: "parse_crashkernel_mem: size >= total_mem; kernel-rules.md §2.5"),
        C("crashkernel=1G-:0", "6.12.107", ram: 2 * G, .reservesNothing(.zeroSize), [zeroBytes], map: false, total: 2 * G,
          src: "parse_crashkernel_mem: matched size 0 -> zero bytes message"),
        C(rhelAarch64, "6.12.107", ram: 512 * M, .invalid(.plainToken), [warn("crashkernel: invalid size")],
          col: .at("576M"), map: false, total: 512 * M, src: "peers-and-users.md §5.1 (RHEL aarch64 default on a 512 MiB VM)"),
        C(debianDefault, "6.12.107", ram: G, .invalid(.plainToken), [warn("crashkernel: invalid size")],
          col: .at("1024M"), map: false, total: G, src: "peers-and-users.md §5.1 (Debian/Ubuntu default on 1 GiB)"),
        C(snapdragon, "6.17.0", ram: 16 * G, plain(512 * M), map: false, total: 16 * G,
          src: "cmdlines.md #12 malformed 64G-128G-: works below 64G; peers-and-users.md §5.1"),
        C(snapdragon, "6.17.0", ram: 64 * G, .invalid(.plainToken), [warn("crashkernel: ':' expected")],
          col: .at("-:4096M"), map: false, total: 64 * G, src: "cmdlines.md #12 fails at >= 64G; parse_crashkernel_mem"),
        C("crashkernel=512M-2G:64M,2G-:128M", "6.12.107", ram: 8 * G, plain(128 * M), map: false, total: 8 * G,
          src: "peers-and-users.md §3 (older Ubuntu linux-crashdump range)"),

        // Suffix syntax and the arm64 combination per version
        C("crashkernel=1G,high", "5.10.262", ram: 16 * G, .absent, map: true,
          src: "arch/arm64/mm/init.c 5.10 never parses ,high; still sets crash_mem_map; kernel-rules.md §2.8"),
        C("crashkernel=1G,high", "5.15.167", ram: 16 * G, .absent, map: true,
          src: "arch/arm64/mm/init.c 5.15 never parses ,high; kernel-rules.md §2.1, §2.8"),
        C("crashkernel=1G,high", "5.19.0", ram: 16 * G, high(G, low: 0), map: true,
          src: "arch/arm64/mm/init.c 5.19 parse_crashkernel_high on -ENOENT, no default low; kernel-rules.md §4.4"),
        C("crashkernel=1G,high", "6.1.192", ram: 16 * G, high(G, low: 0), map: true,
          src: "observed: kernel-rules-observed.md W4 (6.1 no default low region)"),
        C("crashkernel=1G,high", "6.2.1", ram: 16 * G, high(G, low: 128 * M), map: true,
          src: "arch/arm64/mm/init.c 6.2 DEFAULT_CRASH_KERNEL_LOW_SIZE; kernel-rules.md §4.5"),
        C("crashkernel=1G,high", "6.4.6", ram: 16 * G, high(G, low: 128 * M), map: false,
          src: "arch/arm64 6.4: default low kept, crash_mem_map gone; kernel-rules.md §4.6"),
        C("crashkernel=1G,high", "6.6.87", ram: 16 * G, high(G, low: 128 * M), map: false,
          src: "arch/arm64/mm/init.c 6.6 (last arm64-specific parse); kernel-rules.md §4.7"),
        C("crashkernel=1G,high", "6.7.3", ram: 16 * G, high(G, low: 128 * M), map: false,
          src: "kernel/crash_core.c 6.7 generic parse_crashkernel fills the default low; kernel-rules.md §4.8"),
        C("crashkernel=1G,high", "6.12.107", ram: 6 * G, high(G, low: 128 * M), map: false,
          src: "observed: kernel-rules-observed.md W7 (6.12 default 128 MiB low)"),
        C("crashkernel=2G,high crashkernel=64M,low", "6.1.192", ram: 6 * G, high(2 * G, low: 64 * M, lowGiven: true), map: true,
          src: "observed: kernel-rules-observed.md W5"),
        C("crashkernel=512M,high crashkernel=0,low", "6.12.107", ram: 4 * G, high(512 * M, low: 0, lowGiven: true), map: false,
          src: "observed: kernel-rules-observed.md W6 (,low 0 means no low region)"),
        C("crashkernel=256M,low", "6.12.107", ram: 4 * G, .absent, map: false,
          src: "kernel/crash_reserve.c parse_crashkernel: ,low alone is never used; kernel-rules.md §2.8"),
        C("crashkernel=1G crashkernel=2G,high", "6.12.107", ram: 8 * G, plain(G), map: false,
          src: "parse_crashkernel: a plain token wins, ,high only on -ENOENT; kernel-rules.md §2.8"),
        C("crashkernel=1G,high crashkernel=abc,low", "6.12.107", ram: 8 * G, .invalid(.lowToken),
          [warn("crashkernel: memory value expected")], col: .at("abc"), map: false,
          src: "parse_crashkernel: invalid ,low returns the error; kernel-rules.md §2.8"),
        C("crashkernel=1G,high crashkernel=64MB,low", "6.1.192", ram: 8 * G, .invalid(.lowToken),
          [warn("crashkernel: unrecognized char: B")], col: .at("B,low"), map: true,
          src: "arch/arm64/mm/init.c 6.1: `if (ret && (ret != -ENOENT)) return`; kernel-rules.md §4.4"),
        C("crashkernel=bad crashkernel=1G,high", "6.12.107", ram: 8 * G, .invalid(.plainToken),
          [warn("crashkernel: memory value expected")], col: .at("bad"), map: false,
          src: "plain parse returns -EINVAL, not -ENOENT, so ,high is never tried; kernel-rules.md §2.8"),
        C("crashkernel=256M@1G,high", "6.12.107", ram: 8 * G, .invalid(.highToken),
          [warn("crashkernel: unrecognized char: @")], col: .at("@"), map: false,
          src: "parse_crashkernel_suffix: no @offset with a suffix; kernel-rules.md §2.6"),
        C("crashkernel=1G,high,high", "6.12.107", ram: 8 * G, .invalid(.highToken),
          [warn("crashkernel: unrecognized char: ,")], col: .at(",high", 5), map: false,
          src: "parse_crashkernel_suffix: byte after the suffix must be ' ' or NUL"),
        C("crashkernel=0,high", "6.12.107", ram: 8 * G, .reservesNothing(.zeroSize), map: false,
          src: "parse_crashkernel: `if (ret || !*crash_size) return -EINVAL` before ,low"),
        C("crashkernel=4G,high", "6.12.107", ram: 2 * G, .invalid(.sizeNotBelowSystemRAM), col: .at("4G"), map: false,
          src: "kernel/crash_reserve.c 6.12 size check also applies to ,high; kernel-rules.md §4.10"),
        C("crashkernel=4G,high", "6.9.0", ram: 2 * G, high(4 * G, low: 128 * M), map: false,
          src: "kernel/crash_reserve.c 6.9: no size check yet"),
        C("crashkernel=1G,highx", "6.12.107", ram: 8 * G, .invalid(.plainToken),
          [warn("crashkernel: unrecognized char: ,")], col: .at(","), map: false,
          src: "get_last_crashkernel: not ending in a suffix -> plain candidate"),
        C("crashkernel=1G-:256M,high", "6.12.107", ram: 8 * G, .invalid(.highToken),
          [warn("crashkernel: unrecognized char: -")], col: .at("-"), map: false,
          src: "parse_crashkernel_suffix has no range syntax"),
        C("crashkernel=256M,cma", "6.12.107", ram: 8 * G, .invalid(.plainToken),
          [warn("crashkernel: unrecognized char: ,")], col: .at(","), map: false,
          src: "kernel/crash_reserve.c 6.12 suffix_tbl has no ,cma; kernel-rules.md §2.2"),
        C("crashkernel=256M,cma", "6.16.0", ram: 8 * G, .invalid(.plainToken),
          [warn("crashkernel: unrecognized char: ,")], col: .at(","), map: false,
          src: "kernel/crash_reserve.c 6.16: still no ,cma (added by 35c18f2933c5 in 6.17)"),
        C("crashkernel=256M,cma", "6.17.0", ram: 8 * G, .absent, map: false,
          src: "kernel/crash_reserve.c 6.17 suffix_tbl[SUFFIX_CMA]; arm64 passes cma_size = NULL"),
        C("crashkernel=1G crashkernel=256M,cma", "6.18.15", ram: 8 * G, plain(G), map: false,
          src: "kernel/crash_reserve.c 6.18: ,cma token skipped by the plain parse; kernel-rules.md §4.11"),
        C("crashkernel=1G crashkernel=256M,cma", "6.12.107", ram: 8 * G, .invalid(.plainToken),
          [warn("crashkernel: unrecognized char: ,")], col: .at(",cma"), map: false,
          src: "6.12: the ,cma token is the last plain candidate"),
        C("crashkernel=1G,high crashkernel=256M,cma", "7.1.13", ram: 8 * G, high(G, low: 128 * M), map: false,
          src: "kernel/crash_reserve.c 7.1; arm64 ignores ,cma; kernel-rules.md §4.11"),
        C("crashkernel=256M,low", "5.10.262", ram: 4 * G, .absent, map: true,
          src: "kernel/crash_core.c 5.10 suffix_tbl already has ,high/,low"),

        // Real command lines (shared/data/cmdlines/crashkernel-cmdlines.md)
        C(qemuVirt, "5.10.262", ram: G, plain(256 * M), map: true, src: "cmdlines.md #1 (QEMU virt 1 GiB)"),
        C(tx2A, "6.1.192", ram: 256 * G, plain(4 * G, base: 0xb_8120_0000), map: true,
          src: "cmdlines.md #2 A (ThunderX2, 4G@0xb81200000; ,low ignored with a plain token)"),
        C(tx2B, "6.12.107", ram: 256 * G, plain(4 * G), map: false, src: "cmdlines.md #2 B (,low ignored with a plain token)"),
        C(tx2C, "6.12.107", ram: 256 * G, plain(G), map: false, src: "cmdlines.md #2 C"),
        C(emag, "6.12.107", ram: 128 * G, plain(786 * M), map: false, src: "cmdlines.md #4 (Ampere eMAG)"),
        C(stingray, "5.10.262", ram: 8 * G, .reservesNothing(.zeroSize), map: true,
          src: "cmdlines.md #6 (Broadcom capture cmdline: trailing crashkernel=0 wins)"),
        C(fcosCapture, "6.2.1", ram: 4 * G, .absent, map: false, src: "cmdlines.md #7 (FCOS capture cmdline, crashkernel stripped)"),
        C("crashkernel=300M", "6.12.107", ram: 4 * G, plain(300 * M), map: false, src: "cmdlines.md #8 (FCOS recommendation)"),
        C("crashkernel=256M,high crashkernel=128M,low", "6.1.192", ram: 8 * G, high(256 * M, low: 128 * M, lowGiven: true), map: true,
          src: "cmdlines.md #9 (openSUSE x86 line, parsed by arm64 5.19+)"),
        C("crashkernel=256M,high crashkernel=128M,low", "5.10.262", ram: 8 * G, .absent, map: true,
          src: "cmdlines.md #9 (\"Please reserve memory by passing crashkernel=X@Y\": arm64 ignored ,high/,low then)"),
        C("crashkernel=72M,low crashkernel=300M,high", "6.12.107", ram: 8 * G, high(300 * M, low: 72 * M, lowGiven: true), map: false,
          src: "cmdlines.md #10 (SUSE sysconfig example)"),
        C("crashkernel=512M-:192M", "6.12.107", ram: 4 * G, plain(192 * M), map: false, total: 4 * G,
          src: "cmdlines.md #15 (Ubuntu/Debian amd64 512M-:192M)"),
        C(ubuntuDocs, "6.18.15", ram: 8 * G, plain(512 * M), map: false, total: 8 * G,
          src: "cmdlines.md #13 / peers-and-users.md §3 (Debian/Ubuntu default)"),
    ]

    @Test("crashkernel= parse table", arguments: CrashKernelParserTests.parseCases)
    func crashKernelParse(_ c: ParseCase) throws {
        let kernel = try #require(KernelVersion(parsing: c.kernel))
        let result = CrashKernelParser.parse(c.cmdline, kernel: kernel, systemRAM: c.ram)
        #expect(result.outcome == c.outcome, "\(c.source)")
        #expect(result.messages == c.messages, "\(c.source)")
        #expect(result.errorColumn == c.column.resolve(in: c.cmdline), "\(c.source)")
        #expect(result.crashMemMap == c.crashMemMap, "\(c.source)")
        #expect(result.rangeTotalMemory == c.totalMem, "\(c.source)")
        #expect(!c.source.isEmpty)
    }

    @Test func tableIsLargeEnough() {
        #expect(Self.parseCases.count >= 70)
    }

    // MARK: - Return codes and rule boundaries

    @Test func absentReturnCodeChangesIn519() throws {
        let v510 = CrashKernelParser.parse("quiet", kernel: KernelVersion(5, 10, 262), systemRAM: 4 * G)
        let v519 = CrashKernelParser.parse("quiet", kernel: KernelVersion(5, 19), systemRAM: 4 * G)
        #expect(v510.plainReturn == .einval)
        #expect(v519.plainReturn == .enoent)
        #expect(v510.outcome == .absent && v519.outcome == .absent)
        let bad = CrashKernelParser.parse("crashkernel=x", kernel: KernelVersion(6, 12), systemRAM: 4 * G)
        #expect(bad.plainReturn == .einval)
        let ok = CrashKernelParser.parse("crashkernel=1G", kernel: KernelVersion(6, 12), systemRAM: 4 * G)
        #expect(ok.plainReturn == .ok)
    }

    @Test func ruleBoundaries() {
        func rules(_ major: Int, _ minor: Int) -> CrashKernelParseRules { .rules(for: KernelVersion(major, minor)) }
        #expect(rules(5, 15).caller == .arm64PlainOnly)
        #expect(rules(5, 19).caller == .arm64HighLow)
        #expect(rules(6, 6).caller == .arm64HighLow)
        #expect(rules(6, 7).caller == .generic)
        #expect(rules(6, 8).parserFile == "kernel/crash_core.c")
        #expect(rules(6, 9).parserFile == "kernel/crash_reserve.c")
        #expect(rules(6, 16).knownSuffixes == [",high", ",low"])
        #expect(rules(6, 17).knownSuffixes == [",high", ",low", ",cma"])
        #expect(rules(6, 11).rejectsSizeNotBelowSystemRAM == false)
        #expect(rules(6, 12).rejectsSizeNotBelowSystemRAM)
        #expect(rules(4, 19) == rules(5, 10))
        #expect(rules(7, 1).since == KernelVersion(6, 17))
        // The change list is chronological and every entry says where it comes from.
        let since = CrashKernelParseRules.changes.map(\.since)
        #expect(since == since.sorted())
        #expect(CrashKernelParseRules.changes.allSatisfy { !$0.source.isEmpty })
    }

    @Test func tokensAndRequestAccessor() {
        let line = "ro crashkernel=1G,high crashkernel=64M,low"
        let r = CrashKernelParser.parse(line, kernel: KernelVersion(6, 12, 107), systemRAM: 8 * G)
        #expect(r.sizeToken == 3..<22)
        #expect(r.lowToken == 23..<42)
        #expect(r.request == CrashKernelRequest(size: G, high: true, lowSize: 64 * M, lowGiven: true))
    }

    // MARK: - Robustness

    @Test func arbitraryBytesNeverTrap() {
        let pieces: [[UInt8]] = [
            Array("crashkernel=".utf8), Array(",high".utf8), Array(",low".utf8), Array(",cma".utf8),
            Array("0x".utf8), Array("1G".utf8), Array("128M".utf8), Array("16E".utf8), Array("-".utf8), Array(":".utf8),
            Array("@".utf8), Array(",".utf8), [0x20], [0x09], [0x22], [0x00], [0xA0], [0xFF], [0xC3],
            Array("99999999999999999999999".utf8), Array("--".utf8), Array("=".utf8),
        ]
        let versions = [KernelVersion(5, 10), KernelVersion(5, 19), KernelVersion(6, 1), KernelVersion(6, 12), KernelVersion(7, 1)]
        var rng = XorShift(state: 0x9E37_79B9_7F4A_7C15)
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(rng.next() % 24) {
                bytes += pieces[Int(rng.next() % UInt64(pieces.count))]
            }
            let line = KernelCommandLine(bytes: bytes)
            for v in versions {
                let ram = rng.next() % 4 == 0 ? UInt64.max - rng.next() % 1000 : rng.next() % (1 << 40)
                let r = CrashKernelParser.parse(line, kernel: v, systemRAM: ram)
                if let column = r.errorColumn {
                    #expect(column >= 0 && column <= line.bytes.count)
                }
            }
        }
    }

    @Test func veryLongLineIsLinear() {
        var bytes: [UInt8] = []
        for _ in 0..<20_000 { bytes += Array("crashkernel=".utf8) }
        bytes += Array("1G".utf8)
        let r = CrashKernelParser.parse(KernelCommandLine(bytes: bytes), kernel: KernelVersion(6, 12), systemRAM: 8 * G)
        // 20,000 overlapping candidates in 240 KB: the last one wins and the scan stays linear.
        #expect(r.outcome == .request(CrashKernelRequest(size: G)))
        #expect(r.sizeToken == (bytes.count - 14)..<bytes.count)
    }
}
