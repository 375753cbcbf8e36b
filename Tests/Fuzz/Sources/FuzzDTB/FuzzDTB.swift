import CKPlanReaders
import FuzzSupport

/// Any bytes as a DTB. A thrown InputError is a correct answer; a trap is a bug.
func fuzzDTB(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let machine = try? DeviceTreeReader.machine(bytes: fuzzBytes(data, size), file: "fuzz.dtb") { touch(machine) }
    return 0
}

@_cdecl("FuzzDTB_main")
func fuzzDTBMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzDTB)
}
