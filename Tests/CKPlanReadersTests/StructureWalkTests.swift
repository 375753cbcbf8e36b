import CLibfdt
import FDT
import Testing

/// DeviceTree validates the structure block in its own walk instead of calling libfdt's
/// `fdt_check_full` (which loops for ever on some property lengths in libfdt 1.6.1). This holds
/// the walk to libfdt's verdict: on blobs corrupted at random, the walk refuses exactly the blobs
/// `fdt_check_full` refuses, with the same FDT_ERR code, except a property length of 2 GiB or
/// more, which libfdt mishandles and the walk always refuses.
@Suite struct StructureWalkTests {
    static func word(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes[at..<at + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    static func setWord(_ bytes: inout [UInt8], _ at: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * i)) }
    }

    /// libfdt's own verdict: 0 or a negative FDT_ERR code, on an 8-byte aligned copy.
    static func libfdtCheckFull(_ bytes: [UInt8]) -> Int32 {
        var words = [UInt64](repeating: 0, count: (bytes.count + 7) / 8)
        words.withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
        return words.withUnsafeBytes { fdt_check_full($0.baseAddress, bytes.count) }
    }

    /// The real blobs the corruptions start from: small enough to corrupt thousands of times.
    static let blobs = ["shared/dtb/cavium__thunder2-99xx.dtb", "shared/dtb/broadcom__bcm2712-rpi-5-b.dtb"]

    /// The walk reads up to the structure block's end as the header gives it, and the strings
    /// block as given: fdt_check_header (libfdt 1.5.1 and later) must refuse blocks that run past
    /// `totalsize`, or the walk would read past the blob.
    @Test(arguments: [(12, "off_dt_strings"), (32, "size_dt_strings"), (36, "size_dt_struct"), (8, "off_dt_struct")])
    func blocksPastTotalsizeAreRefusedByTheHeaderCheck(_ field: Int, _ name: String) throws {
        var blob = try TestData.bytes(Self.blobs[0])
        Self.setWord(&blob, field, Self.word(blob, 4) - 8)
        let error = try #require(throws: FDTError.self, "\(name)") { try DeviceTree(bytes: blob) }
        #expect(error.name == "FDT_ERR_TRUNCATED")
        #expect(error.function == "fdt_check_header")
    }

    @Test(arguments: blobs) func walkRefusesWhatFdtCheckFullRefuses(_ name: String) throws {
        let original = try TestData.bytes(name)
        #expect(Self.libfdtCheckFull(original) == 0)
        _ = try DeviceTree(bytes: original)
        let structBase = Int(Self.word(original, 8)), structSize = Int(Self.word(original, 36))
        let stringsSize = Self.word(original, 32)
        // Word-aligned offsets of the structure block's tags, to corrupt where it matters.
        var tags: [Int] = []
        var at = structBase
        while at < structBase + structSize {
            tags.append(at)
            switch Self.word(original, at) {
            case 1: at += (4 + (original[(at + 4)...].firstIndex(of: 0) ?? at) - at + 1 + 3) & ~3
            case 3: at += (12 + Int(Self.word(original, at + 4)) + 3) & ~3
            default: at += 4
            }
        }
        var rng = SeededGenerator(state: 0x5eed_0000 ^ UInt64(original.count))
        var refused = 0, agreed = 0
        for _ in 0..<3000 {
            var blob = original
            let tag = tags.randomElement(using: &rng) ?? structBase
            switch Int.random(in: 0..<7, using: &rng) {
            case 0:  // a tag replaced by another, or by garbage
                Self.setWord(&blob, tag, [1, 2, 3, 4, 9, 5, 0xffff_ffff].randomElement(using: &rng) ?? 0)
            case 1:  // a property length: small, past the block, or huge (but below 2 GiB)
                if Self.word(blob, tag) == 3 {
                    Self.setWord(&blob, tag + 4, [0, 1, 7, UInt32(structSize), 0x7fff_fff0, UInt32.random(in: 0..<64, using: &rng)].randomElement(using: &rng) ?? 0)
                }
            case 2:  // a property name offset in, at the end of, or past the strings block
                if Self.word(blob, tag) == 3 {
                    Self.setWord(&blob, tag + 8, [stringsSize - 1, stringsSize, stringsSize + 1, 0x8000_0000, UInt32.random(in: 0..<stringsSize, using: &rng)].randomElement(using: &rng) ?? 0)
                }
            case 3:  // the structure block cut short
                Self.setWord(&blob, 36, UInt32(Int.random(in: 0...structSize, using: &rng)))
            case 4:  // a byte anywhere in the block
                blob[Int.random(in: structBase..<structBase + structSize, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 5:  // a node name's terminator overwritten
                if Self.word(blob, tag) == 1, let nul = blob[(tag + 4)...].firstIndex(of: 0) { blob[nul] = 0x41 }
            default:  // a tag removed: the block shifted down by one word
                blob.replaceSubrange(tag..<tag + 4, with: [])
                blob.append(contentsOf: [0, 0, 0, 0])
            }
            let ours = Result { () throws(FDTError) in try DeviceTree(bytes: blob) }
            if case .failure(let error) = ours, error.code == FDT_ERR_BADSTRUCTURE,
               error.offset + 8 <= blob.count, Self.word(blob, error.offset) == 3, Self.word(blob, error.offset + 4) >= 0x8000_0000 {
                continue  // libfdt 1.6.1 may loop for ever here; the walk refuses it (FuzzRegressionTests)
            }
            let libfdt = Self.libfdtCheckFull(blob)
            switch ours {
            case .success:
                #expect(libfdt == 0, "libfdt refuses with \(libfdt) a blob the walk accepts")
            case .failure(let error):
                refused += 1
                #expect(libfdt == -error.code, "walk: \(error), libfdt: \(libfdt)")
            }
            agreed += 1
        }
        // The corruptions must exercise both verdicts.
        #expect(refused > 500 && agreed - refused > 500, "refused \(refused) of \(agreed)")
    }
}
