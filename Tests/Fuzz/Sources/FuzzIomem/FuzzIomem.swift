import CKPlanReaders
import FuzzSupport

/// Any bytes, decoded as UTF-8 (invalid sequences become U+FFFD), as /proc/iomem.
func fuzzIomem(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    if let machine = try? IomemReader.machine(text, file: "fuzz.iomem") { touch(machine) }
    return 0
}

@_cdecl("FuzzIomem_main")
func fuzzIomemMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzIomem)
}
