import CKPlanModel
import Testing

/// The arm64 Image header (Documentation/arch/arm64/booting.rst) and its malformed variants.
@Suite struct KexecImageTests {
    /// A header as Debian's 6.1 Image has it: "MZ", text_offset 0, image_size 0x2010000,
    /// flags 0xa (4K pages, placement anywhere), "ARM\x64" at 0x38.
    static func header(imageSize: UInt64 = 0x2010000, textOffset: UInt64 = 0, flags: UInt64 = 0xa) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 64)
        b[0] = 0x4d
        b[1] = 0x5a
        for i in 0..<8 {
            b[0x08 + i] = UInt8(truncatingIfNeeded: textOffset >> (8 * UInt64(i)))
            b[0x10 + i] = UInt8(truncatingIfNeeded: imageSize >> (8 * UInt64(i)))
            b[0x18 + i] = UInt8(truncatingIfNeeded: flags >> (8 * UInt64(i)))
        }
        b.replaceSubrange(0x38..<0x3c, with: Arm64Image.magic)
        return b
    }

    @Test func debianHeader() throws {
        let image = try Arm64Image(bytes: Self.header(), file: "Image", fileSize: 0x1f6da00)
        #expect(image.headerImageSize == 0x2010000)
        #expect(image.textOffset == 0)
        #expect(image.fileSize == 0x1f6da00)
        #expect(image.isPE)
        #expect(image.pageSize == .k4 && image.pageBytes == 4096)
        #expect(image.placementAnywhere)
        #expect(!image.bigEndian)
        #expect(image.kexecToolsLayout == (0, 0x2010000))
    }

    @Test func truncatedHeaderNamesTheEnd() {
        #expect(throws: InputError(file: "Image", location: .byteOffset(40),
                                   message: "truncated arm64 Image header: expected 64 bytes, the file has 40")) {
            try Arm64Image(bytes: Array(Self.header().prefix(40)), file: "Image")
        }
    }

    @Test func badMagicNamesOffset0x38() {
        var b = Self.header()
        b[0x3b] = 0x65
        #expect(throws: InputError(file: "Image", location: .byteOffset(0x38),
                                   message: "expected the arm64 Image magic \"ARM\\x64\" (41 52 4d 64), found 41 52 4d 65")) {
            try Arm64Image(bytes: b, file: "Image")
        }
    }

    @Test func bigEndianIsRefused() throws {
        let error = #expect(throws: InputError.self) { try Arm64Image(bytes: Self.header(flags: 0xb), file: "Image") }
        #expect(error?.location == .byteOffset(0x18))
        #expect(error?.description.hasPrefix("Image: byte 24: flags bit 0 set") == true)
    }

    @Test func compressedInputsAreNamed() {
        let gz = #expect(throws: InputError.self) { try Arm64Image(bytes: [0x1f, 0x8b, 8, 0] + [UInt8](repeating: 0, count: 60), file: "Image.gz") }
        #expect(gz?.location == .byteOffset(0))
        var zboot = Self.header()
        zboot.replaceSubrange(4..<8, with: Array("zimg".utf8))
        let z = #expect(throws: InputError.self) { try Arm64Image(bytes: zboot, file: "vmlinuz.efi") }
        #expect(z?.location == .byteOffset(4))
    }

    /// image_size 0 (kernels ≤ 3.16): kexec-tools assumes text_offset 0x80000 and 16 MiB and warns;
    /// the kernel's kexec_file_load refuses the image (-EINVAL).
    @Test func oldImageFallback() throws {
        let image = try Arm64Image(bytes: Self.header(imageSize: 0, textOffset: 0x80000, flags: 0), file: "Image")
        #expect(image.kexecToolsLayout == (0x80000, 16 << 20))
        #expect(image.pageSize == .unspecified)
        let request = KdumpRequest(main: PhysRange(base: 0xdc000000, size: 512 << 20)!, image: image, initrdSize: nil,
                                   commandLine: nil, dtb: .bytes(0x1e99), systemRAM: [PhysRange(base: 0x40000000, size: 4 << 30)!],
                                   cpus: 2, kernel: KernelVersion(6, 1, 192), pageSize: 4096, loader: .kexecLoad(.observed))
        let tools = KdumpPlanner.plan(request)
        #expect(tools.fits)
        #expect(tools.segments.first { $0.name == .kernel }?.start == 0xdc080000)
        #expect(tools.notes.contains { $0.message.contains("Kernel image size set to 16 MiB") })
        var file = request
        file.loader = .kexecFileLoad
        #expect(KdumpPlanner.plan(file).failure?.messages == ["kexec_file_load failed: Invalid argument"])
    }

    @Test func sizesOnly() {
        let image = Arm64Image(imageSize: 0x24f0000)
        #expect(image.fileSize == 0x24f0000)
        #expect(image.kexecToolsLayout == (0, 0x24f0000))
    }

    @Test func toolsVersionParsing() {
        #expect(KexecToolsVersion(parsing: "1:2.0.29-2+b1") == .observed)
        #expect(KexecToolsVersion(parsing: "2.0.25") == KexecToolsVersion(2, 0, 25))
        #expect(KexecToolsVersion(parsing: "2.0") == nil)
    }
}
