/// The horizontal address axis of the SVG map.
///
/// Addresses are grouped into spans (contiguous memory and whatever else is drawn); each span is
/// drawn to scale within itself, and the holes between spans become fixed-width breaks. A span
/// is never narrower than a minimum width, so a small bank beside a large one stays visible (its
/// own scale is then larger). When a region that matters (the crash kernel) would still be too
/// thin to see — a map spanning terabytes — every piece between two drawn boundaries that is
/// larger than a cap is drawn at the cap's width instead and marked as compressed, with its true
/// size: a broken axis, never a silently distorted one.
struct AddressAxis {
    struct Piece {
        var range: PhysRange
        var x0: Double
        var x1: Double
        /// Drawn narrower than the scale of its span: the map must mark it.
        var compressed: Bool
    }

    struct Gap {
        /// The addresses the break stands for.
        var hole: PhysRange
        var x0: Double
        var x1: Double
    }

    struct Options {
        var gapWidth = 40.0
        var minSpanWidth = 24.0
        /// Below this many pixels an important region counts as too thin ...
        var thinWidth = 8.0
        /// ... and the cap is lowered until it gets this many.
        var importantWidth = 48.0
        /// At most this many pieces are drawn compressed.
        var maxCompressed = 12
    }

    private(set) var pieces: [Piece] = []
    private(set) var gaps: [Gap] = []
    /// The spans with their pixel extent.
    private(set) var spans: [(range: PhysRange, x0: Double, x1: Double)] = []
    let x0: Double
    let x1: Double

    /// `spans` may overlap or touch (they are merged); `boundaries` are the addresses where
    /// drawn things start or end; `important` are the regions that must not end up too thin.
    init(spans: [PhysRange], boundaries: [UInt64], important: [PhysRange], x0: Double, width: Double,
         options: Options = Options()) {
        self.x0 = x0
        self.x1 = x0 + width
        let merged = Self.merged(spans)
        guard !merged.isEmpty else { return }
        let cuts = Array(Set(boundaries + important.flatMap { [$0.start, $0.end] })).sorted()
        var ranges: [PhysRange] = []
        var spanOf: [Int] = []
        for (i, span) in merged.enumerated() {
            var start = span.start
            var k = Self.firstIndex(in: cuts, above: span.start)
            while k < cuts.count, cuts[k] < span.end {
                if let r = PhysRange(start: start, end: cuts[k]) { ranges.append(r); spanOf.append(i) }
                start = cuts[k]
                k += 1
            }
            if let r = PhysRange(start: start, end: span.end) { ranges.append(r); spanOf.append(i) }
        }
        let gapCount = Double(merged.count - 1)
        let gapWidth = gapCount > 0 ? min(options.gapWidth, width * 0.3 / gapCount) : 0
        let minSpan = min(options.minSpanWidth, width * 0.3 / Double(merged.count))
        let available = width - gapWidth * gapCount
        // Which pieces each important region covers.
        let covered: [[Int]] = important.filter { !$0.isEmpty }.map { r in
            ranges.indices.filter { r.contains(ranges[$0]) }
        }.filter { !$0.isEmpty }

        func widths(cap: Double) -> [Double] {
            let effective = ranges.map { min(Double($0.size), cap) }
            var weight = Array(repeating: 0.0, count: merged.count)
            for (j, e) in effective.enumerated() { weight[spanOf[j]] += e }
            var fixed = Array(repeating: false, count: merged.count)
            var spanWidth = Array(repeating: 0.0, count: merged.count)
            var changed = true
            while changed {
                changed = false
                let free = available - minSpan * Double(fixed.filter { $0 }.count)
                let total = zip(weight, fixed).filter { !$0.1 }.reduce(0.0) { $0 + $1.0 }
                for i in merged.indices where !fixed[i] {
                    let w = total > 0 ? free * weight[i] / total : 0
                    if w < minSpan {
                        fixed[i] = true
                        changed = true
                    }
                    spanWidth[i] = w
                }
            }
            for i in merged.indices where fixed[i] { spanWidth[i] = minSpan }
            return effective.enumerated().map { j, e in weight[spanOf[j]] > 0 ? spanWidth[spanOf[j]] * e / weight[spanOf[j]] : 0 }
        }
        func thinnest(_ w: [Double]) -> Double {
            covered.map { $0.reduce(0.0) { $0 + w[$1] } }.min() ?? .infinity
        }

        var cap = Double.infinity
        var w = widths(cap: cap)
        if thinnest(w) < options.thinWidth, let largest = ranges.map(\.size).max() {
            // The largest cap that still gives the important regions their width (bisection on
            // log2; the width of a region only grows as the cap falls), never below the smallest
            // important region: a cap under it would only shrink it relative to the others.
            // And never so low that more than `maxCompressed` pieces are compressed: a map of
            // thousands of similar blocks gains nothing from breaking them all.
            let bySize = ranges.map(\.size).sorted(by: >)
            let floor = bySize.count > options.maxCompressed ? bySize[options.maxCompressed] : 1
            var lo = Self.log2(Double(max(important.filter { !$0.isEmpty }.map(\.size).min() ?? 1, floor)))
            var hi = Self.log2(Double(largest))
            if hi > lo, thinnest(widths(cap: Self.exp2(lo))) >= options.importantWidth {
                for _ in 0..<48 {
                    let mid = (lo + hi) / 2
                    if thinnest(widths(cap: Self.exp2(mid))) >= options.importantWidth { lo = mid } else { hi = mid }
                }
            }
            // Worth it only when it makes the important regions at least twice as wide.
            let capped = widths(cap: Self.exp2(lo))
            if thinnest(capped) >= 2 * thinnest(w) {
                cap = Self.exp2(lo)
                w = capped
            }
        }

        var x = x0
        for (j, r) in ranges.enumerated() {
            if j > 0, spanOf[j] != spanOf[j - 1], let hole = PhysRange(start: ranges[j - 1].end, end: r.start) {
                gaps.append(Gap(hole: hole, x0: x, x1: x + gapWidth))
                x += gapWidth
            }
            if j == 0 || spanOf[j] != spanOf[j - 1] { self.spans.append((merged[spanOf[j]], x, x)) }
            pieces.append(Piece(range: r, x0: x, x1: x + w[j], compressed: Double(r.size) > cap * (1 + 1e-9)))
            x += w[j]
            self.spans[self.spans.count - 1].x1 = x
        }
    }

    /// The x of an address: interpolated inside a piece or a hole; clamped outside the axis.
    func x(_ address: UInt64) -> Double {
        guard let first = pieces.first, let last = pieces.last else { return x0 }
        if address <= first.range.start { return first.x0 }
        if address >= last.range.end { return last.x1 }
        var lo = 0, hi = pieces.count
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if pieces[mid].range.start <= address { lo = mid } else { hi = mid }
        }
        let p = pieces[lo]
        if address <= p.range.end { return Self.interpolate(address, p.range, p.x0, p.x1) }
        if let g = gaps.first(where: { $0.hole.contains(address) }) { return Self.interpolate(address, g.hole, g.x0, g.x1) }
        return p.x1
    }

    /// The pixel extent of `[start, end)`, at least `minWidth` wide (centred on the true extent,
    /// kept on the axis).
    func extent(_ r: PhysRange, minWidth: Double = 0) -> (x: Double, w: Double) {
        let a = x(r.start), b = x(r.end)
        guard b - a < minWidth else { return (a, b - a) }
        let centre = (a + b) / 2
        let left = min(max(centre - minWidth / 2, x0), x1 - minWidth)
        return (left, minWidth)
    }

    static func interpolate(_ a: UInt64, _ r: PhysRange, _ x0: Double, _ x1: Double) -> Double {
        guard r.size > 0 else { return x0 }
        return x0 + Double(a - r.start) / Double(r.size) * (x1 - x0)
    }

    /// Sorted, with overlapping or touching ranges joined; empty ranges dropped.
    static func merged(_ ranges: [PhysRange]) -> [PhysRange] {
        var out: [PhysRange] = []
        for r in ranges.filter({ !$0.isEmpty }).sorted() {
            if let last = out.last, r.start <= last.end {
                out[out.count - 1] = PhysRange(start: last.start, end: max(last.end, r.end)) ?? last
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// The index of the first element of sorted `values` greater than `v`.
    private static func firstIndex(in values: [UInt64], above v: UInt64) -> Int {
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[mid] <= v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// A monotone stand-in for log2 without Foundation: the binary exponent plus a linear
    /// mantissa (exact at powers of two, monotone in between), inverted exactly by `exp2`; the
    /// bisection needs nothing more.
    private static func log2(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 0 }
        return Double(v.exponent) + (v.significand - 1)
    }

    private static func exp2(_ v: Double) -> Double {
        let c = min(max(v, -1000), 1000)
        let e = c.rounded(.down)
        return Double(sign: .plus, exponent: Int(e), significand: 1 + (c - e))
    }
}
