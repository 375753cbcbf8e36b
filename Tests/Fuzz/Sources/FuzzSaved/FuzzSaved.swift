import CKPlanModel
import CKPlanReaders
import FuzzSupport

/// Any bytes as a saved plan (`ckplan diff` reads them): JSONReader, PlanFacts, and a diff of the
/// plan against itself and against an empty plan through both reports. A saved plan is untrusted
/// input: nothing may trap, and a plan diffed with itself must be identical.
func fuzzSaved(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let json = try? JSONReader.parse(fuzzBytes(data, size), file: "fuzz.json") else { return 0 }
    _ = json.rendered()
    guard let facts = try? PlanFacts(json: json, label: "fuzz", file: "fuzz.json") else { return 0 }
    let same = PlanDiff(facts, facts)
    if !same.identical { fatalError("a plan diffed with itself is not identical") }
    var empty = facts
    empty.regions = []
    empty.dmesg = []
    empty.linearMap = nil
    empty.kexec = nil
    for diff in [same, PlanDiff(facts, empty), PlanDiff(empty, facts)] {
        _ = DiffReport.text(diff)
        _ = DiffReport.json(diff).rendered()
    }
    return 0
}

@_cdecl("FuzzSaved_main")
func fuzzSavedMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzSaved)
}
