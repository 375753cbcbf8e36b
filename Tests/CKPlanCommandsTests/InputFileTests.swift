@testable import CKPlanCommands
import Foundation
import Testing

/// The commands read files and decode the embedded machine without Foundation (POSIXFile,
/// EmbeddedMachine.decodeBase64); these hold them to what Foundation gives.
@Suite struct InputFileTests {
    static let root = CKPlanProcess.packageRoot

    @Test func embeddedMachineIsTheCommittedDTB() throws {
        let committed = Array(try Data(contentsOf: Self.root.appendingPathComponent("Tests/Data/embedded/qemu-virt-4g.dtb")))
        #expect(EmbeddedMachine.dtb == committed)
    }

    /// RFC 4648 §10 test vectors, with the line breaks and padding the embedded text has.
    @Test(arguments: ["", "f", "fo", "foo", "foob", "fooba", "foobar"])
    func base64MatchesFoundation(_ plain: String) {
        let encoded = Data(plain.utf8).base64EncodedString(options: .lineLength64Characters)
        #expect(EmbeddedMachine.decodeBase64(encoded) == Array(plain.utf8))
        let long = Data((0..<300).map { UInt8($0 % 256) })
        #expect(EmbeddedMachine.decodeBase64(long.base64EncodedString(options: .lineLength76Characters)) == Array(long))
    }

    @Test func readsWholeFilesAndStopsAtTheLimit() throws {
        let path = Self.root.appendingPathComponent("Tests/Data/shared/dtb/qcom__sdm845-db845c.dtb").path
        let whole = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try POSIXFile.read(path, limit: 1 << 30).get() == whole)
        #expect(try POSIXFile.read(path, limit: 100_000).get() == Array(whole.prefix(100_000)))
        #expect(try POSIXFile.size(path).get() == UInt64(whole.count))
        #expect(POSIXFile.read(path + ".missing", limit: 10) == .failure(.noSuchFile))
        #expect(POSIXFile.read("/dev/null/x", limit: 10) == .failure(.noSuchFile))
        guard case .failure(.unreadable(let reason)) = POSIXFile.read(Self.root.path, limit: 10) else {
            Issue.record("a directory reads as a file")
            return
        }
        #expect(reason == "Is a directory")
    }
}
