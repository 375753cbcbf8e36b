import CKPlanModel
import FuzzSupport

/// Every version at which a parse rule changes, one before the first, and the named profiles'.
let versions: [KernelVersion] = [KernelVersion(5, 4), CrashKernelParseRules.baseline.since]
    + CrashKernelParseRules.changes.map(\.since) + KernelProfile.named.map(\.version)

/// Byte 0 picks the kernel version, bytes 1...8 the System RAM size (little-endian, any value
/// including 0 and 2^64 - 1); the rest is the command line, parsed both from raw bytes and as text.
func fuzzCmdline(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard bytes.count >= 9 else { return 0 }
    let version = versions[Int(bytes[0]) % versions.count]
    let ram = bytes[1...8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    let line = Array(bytes[9...])
    let fromBytes = CrashKernelParser.parse(KernelCommandLine(bytes: line), kernel: version, systemRAM: ram)
    let text = String(decoding: line, as: UTF8.self)
    let fromText = CrashKernelParser.parse(text, kernel: version, systemRAM: ram)
    _ = fromBytes.request
    // The same bytes give the same answer.
    if Array(text.utf8) == line && fromBytes != fromText { fatalError("parse of bytes and of text differ") }
    return 0
}

@_cdecl("FuzzCmdline_main")
func fuzzCmdlineMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzCmdline)
}
