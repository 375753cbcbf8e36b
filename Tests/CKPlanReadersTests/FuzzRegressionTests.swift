import CKPlanModel
import CKPlanReaders
import FDT
import Testing

/// Inputs on which a fuzzer (Tests/Fuzz) made ckplan trap or blow up, reduced by hand to the
/// smallest blob that still does. Each must now be refused with an ordinary input error.
@Suite struct FuzzRegressionTests {
    /// An 86-byte DTB: header, an empty memory-reservation block, then a root node holding one
    /// property whose length field is 0xffffffff. fdt_check_full accepts it (fdt_next_tag's `int`
    /// offset wraps back to just after the property header), and fdt_getprop_by_offset returns the
    /// value with a length of -1. ckplan built a buffer of count -1 from it: a precondition trap in
    /// debug builds, a 4 GiB allocation in release (found by Tests/Fuzz dtb, libFuzzer's -rss_limit_mb).
    static let propertyLengthMinusOne: [UInt8] = [
        // header: magic, totalsize 86, off_dt_struct 56, off_dt_strings 84, off_mem_rsvmap 40,
        // version 17, last_comp_version 16, boot_cpuid_phys 0, size_dt_strings 2, size_dt_struct 28
        0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x00, 0x00, 0x56, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x54,
        0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x1c,
        // memory reservation block: the terminating empty entry
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        // structure block: FDT_BEGIN_NODE "" (the root)
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        // FDT_PROP, len 0xffffffff, nameoff 0
        0x00, 0x00, 0x00, 0x03, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
        // FDT_END_NODE, FDT_END
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09,
        // strings block: "a"
        0x61, 0x00,
    ]

    /// The same 86 bytes with a length field of 0xfffffff4: fdt_next_tag's offset comes back to
    /// the property's own tag, and libfdt 1.6.1's fdt_check_full loops for ever (checked with a
    /// five-line C program against Debian's libfdt: killed by `timeout`). Found by Tests/Fuzz dtb
    /// as a 2,663-byte timeout, 8.7M executions into the final round. ckplan's own structure walk
    /// (which replaced fdt_check_full) must refuse it.
    static let propertyLengthBackToItsTag: [UInt8] = propertyLengthMinusOne.enumerated().map { i, byte in
        (68..<72).contains(i) ? [0xff, 0xff, 0xff, 0xf4][i - 68] : byte
    }

    /// A 72-byte version 7 DTB: header, an empty memory-reservation block, a root node with an
    /// empty name, FDT_END_NODE, FDT_END. Before version 16 node names are full paths; libfdt
    /// 1.6.1's fdt_get_name finds no '/' in the root's empty name and returns NULL, and
    /// fdt_check_full reads `*name` through it: a segmentation fault in every ckplan command
    /// given this file (found by Tests/Fuzz dtb with AddressSanitizer, 1.2M executions in).
    static let version7: [UInt8] = [
        // header: magic, totalsize 72, off_dt_struct 56, off_dt_strings 72, off_mem_rsvmap 40,
        // version 7, last_comp_version 0, boot_cpuid_phys 0, size_dt_strings 0, size_dt_struct 16
        0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x48,
        0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
        // memory reservation block: the terminating empty entry
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        // structure block: FDT_BEGIN_NODE "" (the root), FDT_END_NODE, FDT_END
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09,
    ]

    @Test func versionsBefore16AreRefusedBeforeLibfdtReadsThem() throws {
        #expect(Self.version7.count == 72)
        let error = try #require(throws: FDTError.self) { try DeviceTree(bytes: Self.version7) }
        #expect(error.name == "FDT_ERR_BADVERSION")
        #expect(error.offset == 20)
        let input = try #require(throws: InputError.self) {
            try DeviceTreeReader.machine(bytes: Self.version7, file: "v7.dtb")
        }
        #expect(input.description == "v7.dtb: byte 20: device tree version 7: ckplan reads versions 16 and 17 (older blobs name nodes by full path; dtc writes 17)")
    }

    @Test func propertyLengthMinusOneIsRefused() throws {
        #expect(Self.propertyLengthMinusOne.count == 86)
        let error = try #require(throws: FDTError.self) { try DeviceTree(bytes: Self.propertyLengthMinusOne) }
        #expect(error.name == "FDT_ERR_BADSTRUCTURE")
        // The property header: 56 (structure block) + 8 (after the root's FDT_BEGIN_NODE).
        #expect(error.offset == 64)

        let input = try #require(throws: InputError.self) {
            try DeviceTreeReader.machine(bytes: Self.propertyLengthMinusOne, file: "len-minus-one.dtb")
        }
        #expect(input.location == .byteOffset(64))
        #expect(input.message.contains("corrupt structure block"))
    }

    @Test func propertyLengthThatLoopsLibfdtIsRefusedBeforeLibfdtWalks() throws {
        #expect(Self.propertyLengthBackToItsTag[64..<72] == [0, 0, 0, 3, 0xff, 0xff, 0xff, 0xf4])
        let error = try #require(throws: FDTError.self) { try DeviceTree(bytes: Self.propertyLengthBackToItsTag) }
        #expect(error.name == "FDT_ERR_BADSTRUCTURE")
        #expect(error.offset == 64)
    }
}
