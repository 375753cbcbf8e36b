// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for ckplan. Not part of the product: built only by run.sh with
// `-sanitize=fuzzer,address`. The project's modules are symbolic links to ../../Sources, because
// the root package exports neither CKPlanReaders nor FDT as a product; compiling them here also
// lets the sanitizer instrument them (coverage and bounds) without touching the root manifest.
let package = Package(
    name: "ckplan-fuzz",
    targets: [
        .systemLibrary(name: "CLibfdt", providers: [.apt(["libfdt-dev"])]),
        .target(name: "FDT", dependencies: ["CLibfdt"]),
        .target(name: "CKPlanModel"),
        .target(name: "CKPlanReaders", dependencies: ["FDT", "CKPlanModel"]),
        /// Declares LLVMFuzzerRunDriver, through which each target's entry point starts libFuzzer.
        .systemLibrary(name: "CFuzzerDriver"),
        /// Reader -> PlanRequest as `ckplan plan` builds it (shared with ../Benchmarks).
        .target(name: "PlanHarness", dependencies: ["CKPlanReaders", "CKPlanModel"]),
        /// The entry point shared by the targets, and helpers.
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver", "CKPlanModel"]),
        /// DeviceTreeReader.machine(bytes:file:) on arbitrary bytes.
        .executableTarget(name: "FuzzDTB", dependencies: ["FuzzSupport", "CKPlanReaders", "CKPlanModel"]),
        /// IomemReader.machine(_:file:) on arbitrary text.
        .executableTarget(name: "FuzzIomem", dependencies: ["FuzzSupport", "CKPlanReaders", "CKPlanModel"]),
        /// KernelCommandLine and CrashKernelParser.parse for every rule set and any RAM size.
        .executableTarget(name: "FuzzCmdline", dependencies: ["FuzzSupport", "CKPlanModel"]),
        /// Memblock against a one-cell-per-MiB model of what its regions, reserved and free ranges must be.
        .executableTarget(name: "FuzzMemblock", dependencies: ["FuzzSupport", "CKPlanModel"]),
        /// Any bytes as a saved plan: JSONReader, PlanFacts, PlanDiff and the diff reports.
        .executableTarget(name: "FuzzSaved", dependencies: ["FuzzSupport", "CKPlanReaders", "CKPlanModel"]),
        /// A DTB or iomem plus a command line through reader, Planner.plan and the reports, per profile.
        .executableTarget(name: "FuzzPlan", dependencies: ["FuzzSupport", "PlanHarness", "CKPlanModel"]),
    ],
    swiftLanguageModes: [.v6]
)
