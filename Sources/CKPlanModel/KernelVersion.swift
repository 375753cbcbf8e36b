/// A Linux kernel release, compared the way the kernel's own `LINUX_VERSION_CODE` compares.
///
/// Rules that change between releases are keyed by the first release that has the new behaviour;
/// `patch` matters only for stable back-ports (e.g. 6.12.107's exact DMA limit).
public struct KernelVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses "6.12", "6.12.107" or a `uname -r` string such as "6.12.107+deb13-arm64"
    /// (everything after the numeric part is ignored).
    public init?(parsing text: some StringProtocol) {
        var numbers: [Int] = []
        var current: Int? = nil
        for ch in text {
            if let d = ch.wholeNumberValue, ch.isASCII {
                let (m, o1) = (current ?? 0).multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(d)
                if o1 || o2 || s > 1_000_000 { return nil }
                current = s
            } else if ch == ".", let c = current, numbers.count < 2 {
                numbers.append(c)
                current = nil
            } else {
                break
            }
        }
        if let c = current { numbers.append(c) }
        guard numbers.count >= 2 else { return nil }
        self.init(numbers[0], numbers[1], numbers.count > 2 ? numbers[2] : 0)
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
    /// "6.12" — the release series, as rule tables name their boundaries.
    public var series: String { "\(major).\(minor)" }
}
