import CFuzzerDriver
import CKPlanModel

/// The signature libFuzzer calls for each input.
public typealias FuzzTest = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Starts libFuzzer with the process's arguments and `test`. Each target's `<Target>_main` (the
/// name SwiftPM links as `main`) calls this.
public func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                         _ test: FuzzTest) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, test)
}

/// The input as an array (libFuzzer may pass nil for an empty input).
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
}

/// Reads the derived values a plan reads first from a machine a reader accepted.
public func touch(_ machine: Machine) {
    _ = machine.totalMemory
    _ = machine.memoryIsUnknown
}
