import Foundation

/// Test fixtures live in Tests/Data (copied from shared/data with their INDEX files, which are
/// the independent truth the readers are checked against).
enum TestData {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Data")

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(relative)))
    }

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: url(relative), encoding: .utf8)
    }

    static func files(in directory: String, suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url(directory).path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }
}

/// "0x40000000" → 0x40000000.
func hexValue(_ s: String) -> UInt64? {
    guard s.hasPrefix("0x") else { return nil }
    return UInt64(s.dropFirst(2), radix: 16)
}

/// xorshift64*: a fixed seed, so a failure replays (the random tests' inputs).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }
}
