import Testing

/// Two processes plan the same input to the same bytes: nothing in a report depends on hash
/// seeds (which differ per process), addresses or time.
@Suite struct DeterminismTests {
    static let inputs: [[String]] = [
        ["plan", "--dtb", "Tests/Data/shared/dtb/qcom__sdm845-db845c.dtb", "--memory", "0x80000000+8G", "--cmdline", "crashkernel=1G,high crashkernel=64M,low"],
        ["plan", "Tests/Data/shared/iomem/qemu-virt-linux5.0-crashkernel256M.txt", "--cmdline", "crashkernel=256M", "--profile", "debian-6.1-arm64"],
        ["plan", "--cmdline", "crashkernel=3G cma=128M rodata=full", "--kernel", "6.6", "--set", "CONFIG_ARM64_16K_PAGES=y"],
        ["explain", "--cmdline", "crashkernel=2G", "--profile", "debian-6.12-arm64-16k"],
    ]

    @Test(arguments: inputs)
    func twoProcessesWriteTheSameBytes(_ arguments: [String]) throws {
        for format in [["--format", "text"], ["--format", "json"]] where arguments[0] == "plan" || format[1] == "text" {
            let args = arguments[0] == "explain" ? arguments : arguments + format
            let a = try CKPlanProcess.run(args), b = try CKPlanProcess.run(args)
            #expect(a.status == b.status)
            #expect(!a.stdout.isEmpty, "\(a.stderr)")
            #expect(a.stdout == b.stdout)
        }
    }
}
