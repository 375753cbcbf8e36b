import CKPlanModel
import CKPlanReaders
import Testing

@Suite struct IomemReaderTests {
    @Test func nestingFollowsRelativeIndentWhateverItsWidth() throws {
        // Three-space indents (as in the eMAG dump) and a tab-indented child.
        let text = """
        40000000-bfffffff : System RAM
           40080000-41bfffff : Kernel code
           41c00000-41ffffff : reserved
        \t6fe00000-7fdfffff : Crash kernel
        c0000000-c0ffffff : reserved
        """
        let resources = try IomemReader.resources(text, file: "t")
        #expect(resources.map(\.depth) == [0, 1, 1, 1, 0])
        let m = try IomemReader.machine(text, file: "t")
        #expect(m.memory.map(\.range) == [PhysRange(start: 0x4000_0000, end: 0xc000_0000), PhysRange(start: 0xc000_0000, end: 0xc100_0000)])
        #expect(m.memory.map(\.noMap) == [false, true])
        #expect(m.crashKernel.map(\.range) == [PhysRange(start: 0x6fe0_0000, end: 0x7fe0_0000)])
        #expect(m.kernelImage == [PhysRange(start: 0x4008_0000, end: 0x41c0_0000)])
    }

    @Test func emptyNamesOddSpacingAndCRLF() throws {
        let text = "40000000-7fffffff : System RAM\r\n  7e810000-7e810fff :\r\n  7e830000 - 7e830fff :   \r\n80000000-8fffffff:System RAM\r\n"
        let r = try IomemReader.resources(text, file: "t")
        #expect(r.map(\.name) == ["System RAM", "", "", "System RAM"])
        #expect(r.map(\.depth) == [0, 1, 1, 0])
    }

    @Test func nestedReservedIsNotNoMapMemory() throws {
        // Only top-level `reserved` entries are NOMAP memblock regions (request_standard_resources).
        let m = try IomemReader.machine("40000000-7fffffff : System RAM\n  48000000-48ffffff : reserved\n", file: "t")
        #expect(m.memory.count == 1)
        #expect(m.memory[0].noMap == false)
    }

    @Test func oldLowCrashKernelNameIsRecognised() throws {
        let m = try IomemReader.machine("""
        f1a00000-f7dfffff : reserved
          f1a00000-f7dfffff : Crash kernel (low)
        9ffd000000-bffcffffff : System RAM
          be98c00000-bf98bfffff : Crash kernel
        """, file: "t")
        #expect(m.crashKernel.map(\.explicitLow) == [true, false])
    }

    @Test func overlappingMemoryIsRefused() {
        #expect(throws: InputError.self) {
            try IomemReader.machine("40000000-7fffffff : System RAM\n70000000-8fffffff : reserved\n", file: "t")
        }
    }

    @Test func leadingZerosBeyondSixteenDigitsStillFit() throws {
        let r = try IomemReader.resources("0000000040000000-000000007fffffff : System RAM\n", file: "t")
        #expect(r.first?.start == 0x4000_0000)
    }
}
