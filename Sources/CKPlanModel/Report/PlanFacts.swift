/// The facts of a plan that `ckplan diff` compares, read from its `ckplan/plan/1` JSON. A plan
/// computed in-process goes through the same JSON as a saved one, so both sides of a diff are read
/// by one piece of code and a saved plan diffs exactly like a fresh one.
public struct PlanFacts: Sendable, Equatable {
    public struct Region: Sendable, Equatable {
        public var name: String
        public var range: PhysRange
        public init(name: String, range: PhysRange) {
            self.name = name
            self.range = range
        }
    }

    public struct Leaf: Sendable, Hashable, Comparable {
        public var size: UInt64
        public var contiguous: Bool
        public init(size: UInt64, contiguous: Bool) {
            self.size = size
            self.contiguous = contiguous
        }
        public static func < (a: Leaf, b: Leaf) -> Bool { (a.size, a.contiguous ? 1 : 0) > (b.size, b.contiguous ? 1 : 0) }
    }

    public struct Run: Sendable, Equatable {
        public var range: PhysRange
        public var leaf: Leaf
        public init(range: PhysRange, leaf: Leaf) {
            self.range = range
            self.leaf = leaf
        }
    }

    public struct LinearMapFacts: Sendable, Equatable {
        public var runs: [Run]
        /// pgd, p4d, pud, pmd, pte — in that order.
        public var tablePages: [(level: String, pages: UInt64)]
        public var allocatedTablePages: UInt64
        public var tablePageBytes: UInt64
        public var leafEntries: [Leaf: UInt64]

        public static func == (a: LinearMapFacts, b: LinearMapFacts) -> Bool {
            a.runs == b.runs && a.tablePages.map(\.pages) == b.tablePages.map(\.pages)
                && a.allocatedTablePages == b.allocatedTablePages && a.tablePageBytes == b.tablePageBytes
                && a.leafEntries == b.leafEntries
        }
    }

    public struct KexecFacts: Sendable, Equatable {
        public var loader: String
        public var fits: Bool
        public var error: String?
        public var segments: [Region]
        public var relocationBytes: UInt64?
        public var mmuOffSeconds: String?
        public var mmuOnSeconds: String?
    }

    public var label: String
    public var kernel: String
    public var pageSize: UInt64
    public var commandLine: String
    public var memory: [PhysRange]
    public var dmaLimit: UInt64
    public var cma: PhysRange?
    public var outcome: String
    public var regions: [Region]
    public var kexecCrashSize: UInt64
    public var dmesg: [String]
    public var iomem: [String]
    public var linearMap: LinearMapFacts?
    public var kexec: KexecFacts?

    /// Reads a `ckplan/plan/1` document; a missing or ill-typed field is an `InputError` naming
    /// the field's path.
    public init(json: JSON, label: String, file: String) throws(InputError) {
        let root = Field(json: json, path: "", file: file)
        guard try root.string("schema") == "ckplan/plan/1" else {
            throw InputError(file: file, location: .none, message: "schema: expected \"ckplan/plan/1\" (a saved `ckplan plan --format json`)")
        }
        self.label = label
        let kernel = try root.object("kernel")
        self.kernel = "\(try kernel.string("version")) (\(try kernel.string("profile")))"
        pageSize = try kernel.uint("pageSize")
        commandLine = try root.object("commandLine").string("text")
        memory = try root.object("machine").array("memory").map { f throws(InputError) in try f.range() }
        dmaLimit = try root.uint("dmaLimit")
        cma = try root.optionalObject("cma")?.range()
        let reservation = try root.object("reservation")
        outcome = try reservation.string("outcome")
        regions = try reservation.array("regions").map { f throws(InputError) in Region(name: try f.string("role"), range: try f.range()) }
        kexecCrashSize = try reservation.uint("kexecCrashSize")
        dmesg = try reservation.array("dmesg").map { f throws(InputError) in try f.string() }
        iomem = try reservation.array("iomem").map { f throws(InputError) in try f.string() }
        if let map = try root.optionalObject("linearMap") {
            let t = try map.object("tablePages")
            var leaves: [Leaf: UInt64] = [:]
            for e in try map.array("leafEntries") {
                leaves[Leaf(size: try e.uint("leafSize"), contiguous: try e.bool("contiguous")), default: 0] &+= try e.uint("entries")
            }
            linearMap = LinearMapFacts(
                runs: try map.array("runs").map { f throws(InputError) in
                    Run(range: try f.range(), leaf: Leaf(size: try f.uint("leafSize"), contiguous: try f.bool("contiguous")))
                },
                tablePages: try ["pgd", "p4d", "pud", "pmd", "pte"].map { level throws(InputError) in (level, try t.uint(level)) },
                allocatedTablePages: try map.uint("allocatedTablePages"),
                tablePageBytes: try map.uint("tablePageBytes"),
                leafEntries: leaves)
        }
        if let k = try root.optionalObject("kexec") {
            let relocation = try k.optionalObject("relocation")
            kexec = KexecFacts(
                loader: try k.string("loader"), fits: try k.bool("fits"), error: try k.optionalString("error"),
                segments: try k.array("segments").map { s throws(InputError) in
                    let start = try s.uint("start"), size = try s.uint("size")
                    guard let r = PhysRange(base: start, size: size) else { throw s.error("start + size wraps past 2^64") }
                    return Region(name: try s.string("name"), range: r)
                },
                relocationBytes: try relocation?.uint("bytes"),
                mmuOffSeconds: try relocation?.decimal("mmuOffSeconds"),
                mmuOnSeconds: try relocation?.decimal("mmuOnSeconds"))
        }
    }

    /// A JSON value with the path it was found at, for errors a person can act on.
    struct Field {
        var json: JSON
        var path: String
        var file: String

        func error(_ expected: String) -> InputError {
            InputError(file: file, location: .none, message: "\(path.isEmpty ? "document" : path): expected \(expected)")
        }

        func child(_ key: String) throws(InputError) -> Field {
            guard case .object(let items) = json else { throw error("an object") }
            let p = path.isEmpty ? key : "\(path).\(key)"
            guard let v = items.first(where: { $0.0 == key })?.1 else {
                throw InputError(file: file, location: .none, message: "\(p): missing")
            }
            return Field(json: v, path: p, file: file)
        }

        func object(_ key: String) throws(InputError) -> Field {
            let c = try child(key)
            guard case .object = c.json else { throw c.error("an object") }
            return c
        }

        func optionalObject(_ key: String) throws(InputError) -> Field? {
            let c = try child(key)
            if case .null = c.json { return nil }
            guard case .object = c.json else { throw c.error("an object or null") }
            return c
        }

        func array(_ key: String) throws(InputError) -> [Field] {
            let c = try child(key)
            guard case .array(let items) = c.json else { throw c.error("an array") }
            return items.enumerated().map { Field(json: $0.element, path: "\(c.path)[\($0.offset)]", file: file) }
        }

        func uint(_ key: String) throws(InputError) -> UInt64 {
            let c = try child(key)
            guard case .int(let v) = c.json else { throw c.error("a non-negative integer") }
            return v
        }

        func bool(_ key: String) throws(InputError) -> Bool {
            let c = try child(key)
            guard case .bool(let v) = c.json else { throw c.error("true or false") }
            return v
        }

        func string(_ key: String) throws(InputError) -> String { try child(key).string() }

        func string() throws(InputError) -> String {
            guard case .string(let s) = json else { throw error("a string") }
            return s
        }

        func optionalString(_ key: String) throws(InputError) -> String? {
            let c = try child(key)
            if case .null = c.json { return nil }
            return try c.string()
        }

        func decimal(_ key: String) throws(InputError) -> String {
            let c = try child(key)
            switch c.json {
            case .number(let s): return s
            case .int(let v): return String(v)
            default: throw c.error("a number")
            }
        }

        func range() throws(InputError) -> PhysRange {
            let start = try uint("start"), end = try uint("end")
            guard let r = PhysRange(start: start, end: end) else { throw error("start <= end") }
            return r
        }
    }
}
