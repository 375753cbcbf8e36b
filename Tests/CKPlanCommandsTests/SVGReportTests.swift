@testable import CKPlanCommands
@testable import CKPlanModel
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `ckplan plan --format svg`: a well-formed standalone SVG whose marked-up rectangles carry the
/// plan's own addresses, and that renders failures too.
@Suite struct SVGReportTests {
    /// Every element of a parsed document, with its attributes, and the text content.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var text = ""
        var root: (name: String, attributes: [String: String])?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if root == nil { root = (name, attributes) }
            elements.append((name, attributes))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func rects(_ cls: String) -> [[String: String]] {
            elements.filter { $0.name == "rect" && $0.attributes["class"] == cls }.map(\.attributes)
        }
    }

    static func plan(_ arguments: [String]) throws -> Plan {
        Planner.plan(try PlanCommand.parse(arguments).options.request())
    }

    static func parsed(_ svg: String) throws -> Collector {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        let ok = parser.parse()
        #expect(ok, "XMLParser: \(String(describing: parser.parserError))")
        return collector
    }

    /// The embedded QEMU virt 4 GiB machine with its own bootargs (crashkernel=512M), 6.12:
    /// observed at [0xdc000000, 0xfc000000) in Scenarios/qemu-6.12-4g-ck512m.
    @Test func embeddedDefaultIsStandaloneSVGWithTheCrashRegion() throws {
        let plan = try Self.plan([])
        let svg = SVGReport.svg(plan)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""))
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("href="))
        let doc = try Self.parsed(svg)
        #expect(doc.root?.name == "svg")
        #expect(doc.root?.attributes["width"] == "1200")
        let crash = doc.rects("crashkernel")
        #expect(crash.count == 1)
        #expect(crash.first?["data-start"] == "0xdc000000")
        #expect(crash.first?["data-end"] == "0xfc000000")
        #expect(plan.regions.map(\.range) == [PhysRange(start: 0xdc00_0000, end: 0xfc00_0000)])
        // The kexec segments of the same plan, in the inset, with the plan's addresses.
        let segments = doc.rects("kexec-segment")
        #expect(segments.map { $0["data-name"] ?? "" } == plan.kdump?.segments.map(\.name.rawValue))
        #expect(segments.map { $0["data-start"] ?? "" } == plan.kdump?.segments.map { Hex.short($0.start) })
        #expect(doc.rects("cma").map { $0["data-start"] } == ["0xfc000000"])
        #expect(doc.text.contains("RESERVED"))
    }

    @Test func byteIdenticalAcrossRuns() throws {
        let arguments = ["--dtb", "Tests/Data/shared/dtb/qcom__sdm845-db845c.dtb", "--memory", "0x80000000+8G",
                         "--cmdline", "crashkernel=1G,high"]
        let a = SVGReport.svg(try Self.plan(arguments))
        let b = SVGReport.svg(try Self.plan(arguments))
        #expect(a == b)
        let cli1 = try CKPlanProcess.run(["plan"] + arguments + ["--format", "svg"])
        let cli2 = try CKPlanProcess.run(["plan"] + arguments + ["--format", "svg"])
        #expect(cli1.status == 0 && cli1.stderr.isEmpty)
        #expect(cli1.stdout == a)
        #expect(cli2.stdout == cli1.stdout)
    }

    /// Each run of map_mem()'s layout once, with its leaf size and CONT flag; the best layout's
    /// runs separately.
    @Test(arguments: [
        ["--dtb", "Tests/Data/shared/dtb/qcom__sdm845-db845c.dtb", "--memory", "0x80000000+8G", "--cmdline", "crashkernel=1G,high"],
        ["--dtb", "Tests/Data/shared/dtb/freescale__imx8mp-evk.dtb", "--cmdline", "crashkernel=512M rodata=off kfence.sample_interval=100"],
        ["--profile", "debian-6.12-arm64-16k", "--cmdline", "crashkernel=512M"],
    ])
    func everyLinearMapRunOnceWithItsLeafSize(_ arguments: [String]) throws {
        let plan = try Self.plan(arguments)
        let map = try #require(plan.boot.linearMap)
        let doc = try Self.parsed(SVGReport.svg(plan))
        let drawn = doc.rects("run").map { "\($0["data-start"] ?? "")-\($0["data-end"] ?? "") \($0["data-leaf"] ?? "") \($0["data-contiguous"] ?? "")" }
        let expected = map.runs.map { "\(Hex.short($0.start))-\(Hex.short($0.end)) \($0.leafSize) \($0.contiguous)" }
        #expect(drawn == expected)
        #expect(doc.rects("best-run").count == map.best.runs.count)
        // The breaks are ticks at their addresses, numbered as listed.
        let ticks = doc.elements.filter { $0.name == "line" && $0.attributes["class"] == "break" }.map { $0.attributes["data-at"] ?? "" }
        #expect(ticks == map.breaks.map { Hex.short($0.at) })
    }

    /// crashkernel=1G,high: the main region above 4 GiB and the low one below, both drawn.
    @Test func highAndLowRegionsFarApart() throws {
        let plan = try Self.plan(["--dtb", "Tests/Data/shared/dtb/qcom__sdm845-db845c.dtb", "--memory", "0x80000000+8G",
                                  "--cmdline", "crashkernel=1G,high"])
        let doc = try Self.parsed(SVGReport.svg(plan))
        let main = try #require(plan.boot.crash?.main), low = try #require(plan.boot.crash?.low)
        #expect(low.end <= 1 << 32 && main.start >= 1 << 32)
        #expect(doc.rects("crashkernel").map { $0["data-start"] } == [Hex.short(main.start)])
        #expect(doc.rects("crashkernel-low").map { $0["data-end"] } == [Hex.short(low.end)])
        // sdm845's no-map carve-outs are in memblock as NOMAP and drawn as such.
        #expect(doc.rects("nomap").contains { $0["data-start"] == "0x85700000" })
    }

    /// A hostile command line (and a control character the DT could carry) stays text.
    @Test func commandLineIsEscaped() throws {
        let hostile = "crashkernel=512M x=<&\"'> \u{1}</text><script>alert(1)</script>"
        let plan = try Self.plan(["--cmdline", hostile])
        let svg = SVGReport.svg(plan)
        #expect(!svg.contains("<script"))
        #expect(svg.contains("x=&lt;&amp;&quot;&apos;&gt; \\x01&lt;/text&gt;"))
        let doc = try Self.parsed(svg)
        #expect(doc.text.contains("x=<&\"'> \\x01</text><script>alert(1)</script>"))
        #expect(doc.rects("crashkernel").count == 1)
    }

    @Test func escapingCoversWhatXMLCannotCarry() {
        #expect(SVGCanvas.escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;")
        #expect(SVGCanvas.escape("\u{0}\u{1f}\u{7f}\t\u{fffe}é") == "\\x00\\x1f\\x7f\t\\u{fffe}é")
    }

    /// The 6.1 kernel cannot place crashkernel=3G below the DMA limit: the map still renders,
    /// with the searched window and the reason, and the exit status is 1 with the SVG on stdout.
    @Test func failedPlanStillRenders() throws {
        let arguments = ["--profile", "debian-6.1-arm64", "--cmdline", "crashkernel=3G"]
        let plan = try Self.plan(arguments)
        #expect(plan.outcome == .failed)
        let doc = try Self.parsed(SVGReport.svg(plan))
        #expect(doc.rects("crashkernel").isEmpty)
        let searched = doc.rects("searched")
        #expect(searched.map { $0["data-start"] } == ["0x0"])
        #expect(searched.map { $0["data-end"] } == ["0x100000000"])
        #expect(doc.rects("outcome").first?["data-outcome"] == "failed")
        #expect(doc.text.contains("FAILED"))
        #expect(doc.text.contains("cannot allocate crashkernel (size:0xc0000000)"))
        #expect(doc.rects("run").count == plan.boot.linearMap?.runs.count)
        let cli = try CKPlanProcess.run(["plan"] + arguments + ["--format", "svg"])
        #expect(cli.status == 1)
        #expect(cli.stdout.hasPrefix("<?xml"))
    }

    @Test func invalidAndNoneRenderWithTheirReason() throws {
        let invalid = try Self.parsed(SVGReport.svg(try Self.plan(["--cmdline", "crashkernel=abc"])))
        #expect(invalid.rects("outcome").first?["data-outcome"] == "invalid")
        #expect(invalid.text.contains("nothing reserved — invalid: crashkernel: memory value expected"))
        let none = try Self.parsed(SVGReport.svg(try Self.plan(["--cmdline", "quiet"])))
        #expect(none.rects("outcome").first?["data-outcome"] == "none")
        #expect(none.text.contains("no usable crashkernel= on the command line"))
        #expect(none.rects("ram").count == 1)
    }

    /// 64 TiB beside 2 GiB: the axis is broken (compressed pieces, labelled with their true size)
    /// so the 512 MiB crash region keeps a readable width.
    @Test func terabyteMapIsCompressedAndTheCrashRegionStaysVisible() throws {
        let plan = try Self.plan(["--memory", "0x80000000+2G", "--memory", "0x8000000000+64T", "--cmdline", "crashkernel=512M"])
        let doc = try Self.parsed(SVGReport.svg(plan))
        #expect(!doc.rects("compressed").isEmpty)
        #expect(!doc.rects("hole").isEmpty)
        let crash = try #require(doc.rects("crashkernel").first)
        #expect(Double(crash["width"] ?? "0") ?? 0 >= 40)
        #expect(doc.text.contains("≈ 62.8 TiB"))
    }

    /// 3,000 RAM blocks each followed by a 2 MiB no-map hole: too many runs and regions to draw
    /// one by one at 1,160 px, so those within one pixel are merged, and every run is accounted
    /// for exactly once (alone, or counted in a group).
    @Test func thousandsOfRegionsAreMergedPerPixel() throws {
        var text = ""
        var at: UInt64 = 0x4000_0000
        for _ in 0..<3000 {
            text += "\(String(at, radix: 16))-\(String(at + (62 << 20) - 1, radix: 16)) : System RAM\n"
            at += 62 << 20
            text += "\(String(at, radix: 16))-\(String(at + (2 << 20) - 1, radix: 16)) : reserved\n"
            at += 2 << 20
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckplan-svg-\(UUID().uuidString).iomem")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let plan = try Self.plan([url.path, "--cmdline", "crashkernel=512M"])
        let map = try #require(plan.boot.linearMap)
        #expect(map.runs.count > SVGMap.detailLimit)
        let doc = try Self.parsed(SVGReport.svg(plan))
        func accounted(_ single: String, _ group: String) -> (count: Int, drawn: Int) {
            let groups = doc.rects(group).map { Int($0["data-count"] ?? "") ?? 0 }
            return (doc.rects(single).count + groups.reduce(0, +), doc.rects(single).count + groups.count)
        }
        let runs = accounted("run", "run-group")
        #expect(runs.count == map.runs.count)
        #expect(runs.drawn <= 2 * 1160)   // at most two per pixel of the 1,160 px axis
        #expect(accounted("best-run", "best-run-group").count == map.best.runs.count)
        let ram = doc.rects("ram").count + doc.rects("nomap").count
        let mergedBanks = doc.elements.filter { $0.name == "rect" && $0.attributes["data-count"] != nil
            && ["ram", "nomap"].contains($0.attributes["class"] ?? "") }.map { Int($0.attributes["data-count"] ?? "") ?? 0 }
        #expect(ram - mergedBanks.count + mergedBanks.reduce(0, +) == 6000)
        let ticks = doc.elements.filter { $0.name == "line" && ["break", "break-group"].contains($0.attributes["class"] ?? "") }
        #expect(ticks.map { Int($0.attributes["data-count"] ?? "1") ?? 0 }.reduce(0, +) == map.breaks.count)
    }

    @Test func axisIsLinearWithinASpanAndBreaksHoles() {
        let axis = AddressAxis(spans: [PhysRange(base: 0x4000_0000, size: 1 << 30)!, PhysRange(base: 0x1_0000_0000, size: 3 << 30)!],
                               boundaries: [], important: [], x0: 0, width: 1040)
        // 4 GiB over 1000 px after one 40 px hole: 250 px per GiB.
        #expect(axis.gaps.count == 1)
        #expect(axis.x(0x4000_0000) == 0)
        #expect(axis.x(0x8000_0000) == 250)
        #expect(axis.x(0x1_0000_0000) == 290)
        #expect(axis.x(0x2_0000_0000) == 1040)
        #expect(axis.pieces.allSatisfy { !$0.compressed })
    }

    @Test func numbersAreFixedPointWithoutTraps() {
        #expect(SVGCanvas.num(12.34) == "12.3")
        #expect(SVGCanvas.num(12.0) == "12")
        #expect(SVGCanvas.num(-0.06) == "-0.1")
        #expect(SVGCanvas.num(.infinity) == "0")
        #expect(SVGCanvas.num(1e300) == "1000000000")
        #expect(SVGCanvas.num2(0.06) == "0.06")
    }

    @Test func wrapKeepsWordsAndSplitsLongOnes() {
        #expect(SVGCanvas.wrap("aaa bbb ccc", columns: 8) == ["aaa bbb", "ccc"])
        #expect(SVGCanvas.wrap("abcdefghijkl", columns: 8) == ["abcdefgh", "ijkl"])
        #expect(SVGCanvas.wrap("aaa bbb ccc ddd", columns: 9, indent: "  ") == ["aaa bbb", "  ccc ddd"])
    }

    /// SVG is a `plan` format only (cli-contract.md): `machine --format svg` is a usage error.
    @Test func machineHasNoSVG() throws {
        let r = try CKPlanProcess.run(["machine", "--format", "svg"])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("svg"))
    }
}
