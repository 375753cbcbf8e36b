// swift-tools-version:6.0
import PackageDescription

// Data flows one way: readers (FDT, iomem) -> machine model -> kernel profile -> boot simulation /
// reservation -> linear map -> kexec plan -> report. C (libfdt) is visible in CLibfdt and FDT only
// (and to the reader tests, which hold FDT's structure walk to libfdt's fdt_check_full).
let package = Package(
    name: "ckplan",
    products: [
        .executable(name: "ckplan", targets: ["ckplan"]),
        .library(name: "CKPlanModel", targets: ["CKPlanModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // libfdt from Debian's libfdt-dev. No pkgConfig: Debian ships no libfdt.pc.
        .systemLibrary(
            name: "CLibfdt",
            providers: [.apt(["libfdt-dev"])]
        ),
        // The only Swift module that sees libfdt: a safe, validated, read-only view of a DTB.
        .target(name: "FDT", dependencies: ["CLibfdt"]),
        // Pure Swift: the machine model, the kernel rules, the planner. No C, no I/O.
        .target(name: "CKPlanModel"),
        // Input readers: DTB (through FDT) and /proc/iomem -> Machine.
        .target(name: "CKPlanReaders", dependencies: ["FDT", "CKPlanModel"]),
        // Command-line commands and rendering.
        .target(
            name: "CKPlanCommands",
            dependencies: [
                "CKPlanReaders", "CKPlanModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "ckplan", dependencies: ["CKPlanCommands"]),
        .testTarget(name: "CKPlanModelTests", dependencies: ["CKPlanModel"]),
        .testTarget(name: "CKPlanReadersTests", dependencies: ["CKPlanReaders", "CKPlanModel", "FDT", "CLibfdt"]),
        .testTarget(name: "CKPlanCommandsTests", dependencies: ["CKPlanCommands", "CKPlanModel", "CKPlanReaders"]),
    ],
    swiftLanguageModes: [.v6]
)
