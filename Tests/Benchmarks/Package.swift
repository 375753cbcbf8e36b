// swift-tools-version:6.0
import PackageDescription

// In-process benchmarks for ckplan (see run.sh, which also times the real `ckplan` binary).
// The project's modules are symbolic links to ../../Sources: the root package exports neither
// CKPlanReaders nor FDT as a product.
let package = Package(
    name: "ckplan-benchmarks",
    targets: [
        .systemLibrary(name: "CLibfdt", providers: [.apt(["libfdt-dev"])]),
        .target(name: "FDT", dependencies: ["CLibfdt"]),
        .target(name: "CKPlanModel"),
        .target(name: "CKPlanReaders", dependencies: ["FDT", "CKPlanModel"]),
        /// Reader -> PlanRequest as `ckplan plan` builds it (also used by ../Fuzz).
        .target(name: "PlanHarness", dependencies: ["CKPlanReaders", "CKPlanModel"]),
        /// `ckplan-bench plan FILE` and `ckplan-bench batch DIR`.
        .executableTarget(name: "ckplan-bench", dependencies: ["PlanHarness", "CKPlanModel"]),
    ],
    swiftLanguageModes: [.v6]
)
