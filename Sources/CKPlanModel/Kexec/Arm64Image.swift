/// The 64-byte header of an arm64 `Image` (Documentation/arch/arm64/booting.rst §4), which is all
/// the kexec loaders read from the kernel file besides its length:
///
/// ```
/// 0x00 code0 (u32; "MZ" in its low half when the Image is also a PE/COFF file, EFI stub)
/// 0x04 code1 (u32)
/// 0x08 text_offset (le64)   0x10 image_size (le64)   0x18 flags (le64)
/// 0x20 res2, 0x28 res3, 0x30 res4 (le64)   0x38 magic "ARM\x64"   0x3c res5 (PE header offset)
/// ```
///
/// Both loaders take `image_size` as the memory footprint from `text_offset` on
/// (kexec-tools kexec/arch/arm64/kexec-arm64.c `arm64_process_image_header`; the kernel's
/// arch/arm64/kernel/kexec_image.c `image_load`). The file length is the kernel segment's `bufsz`.
public struct Arm64Image: Sendable, Equatable {
    /// The file length: the kernel segment's `bufsz` (kexec-tools reads the whole, decompressed file).
    public var fileSize: UInt64
    /// `text_offset` as the header gives it (0 since 5.8; 0x80000 before, possibly randomised).
    public var textOffset: UInt64
    /// `image_size` as the header gives it; 0 on images from before 3.17.
    public var headerImageSize: UInt64
    /// `flags`: bit 0 big-endian, bits 1–2 page size (0 unspecified, 1 4K, 2 16K, 3 64K), bit 3
    /// physical placement (1: anywhere, 0: within 48 bits of the start of DRAM's 2 MiB block).
    public var flags: UInt64
    /// The file also begins "MZ" (an EFI-stub Image, also a PE/COFF executable).
    public var isPE: Bool

    public static let headerSize = 64
    /// `ARM\x64` at 0x38.
    public static let magic: [UInt8] = [0x41, 0x52, 0x4d, 0x64]
    public static let magicOffset = 0x38

    /// Parses the header of `bytes` (the Image file, or at least its first 64 bytes when
    /// `fileSize` is given). Every failure names the byte offset and what was expected.
    public init(bytes: [UInt8], file: String, fileSize: UInt64? = nil) throws(InputError) {
        func fail(_ offset: Int, _ message: String) -> InputError {
            InputError(file: file, location: .byteOffset(offset), message: message)
        }
        if bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b {
            throw fail(0, "gzip data (1f 8b), not an arm64 Image: decompress it first (kexec-tools does; ckplan reads only the header)")
        }
        if bytes.count >= 8, bytes[0] == 0x4d, bytes[1] == 0x5a, Array(bytes[4..<8]) == Array("zimg".utf8) {
            throw fail(4, "EFI zboot image (\"zimg\" at byte 4): its arm64 Image is compressed inside; give the decompressed Image or --kexec-image-size")
        }
        guard bytes.count >= Self.headerSize else {
            throw fail(bytes.count, "truncated arm64 Image header: expected \(Self.headerSize) bytes, the file has \(bytes.count)")
        }
        let magic = Array(bytes[Self.magicOffset..<Self.magicOffset + 4])
        guard magic == Self.magic else {
            let found = magic.map { Hex.padded(UInt64($0), width: 2) }.joined(separator: " ")
            throw fail(Self.magicOffset, "expected the arm64 Image magic \"ARM\\x64\" (41 52 4d 64), found \(found)")
        }
        func le64(_ at: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
        textOffset = le64(0x08)
        headerImageSize = le64(0x10)
        flags = le64(0x18)
        isPE = bytes[0] == 0x4d && bytes[1] == 0x5a
        self.fileSize = fileSize ?? UInt64(bytes.count)
        if flags & 1 != 0 {
            throw fail(0x18, "flags bit 0 set: a big-endian kernel; ckplan models little-endian arm64 only (kexec_file_load also refuses it without mixed-endian support)")
        }
        if self.fileSize < UInt64(Self.headerSize) {
            throw fail(0, "file size \(self.fileSize) is smaller than the 64-byte header it holds")
        }
    }

    /// Sizes only (`--kexec-image-size`): `imageSize` is the header's `image_size` (the memory
    /// footprint); `fileSize` defaults to it (the file is always somewhat smaller: 6.1's Debian
    /// Image is 0x1f6da00 bytes for an image_size of 0x2010000).
    public init(imageSize: UInt64, fileSize: UInt64? = nil, textOffset: UInt64 = 0) {
        self.fileSize = fileSize ?? imageSize
        self.textOffset = textOffset
        headerImageSize = imageSize
        flags = 0b1010  // 4K pages, placement anywhere: what current defconfig kernels say
        isPE = true
    }

    public enum PageSize: String, Sendable, Equatable { case unspecified, k4 = "4K", k16 = "16K", k64 = "64K" }

    public var bigEndian: Bool { flags & 1 != 0 }
    public var pageSize: PageSize {
        switch (flags >> 1) & 3 {
        case 1: .k4
        case 2: .k16
        case 3: .k64
        default: .unspecified
        }
    }
    /// Bytes per page the kernel was built for, nil when the header does not say.
    public var pageBytes: UInt64? {
        switch pageSize {
        case .k4: 4096
        case .k16: 16384
        case .k64: 65536
        case .unspecified: nil
        }
    }
    /// flags bit 3: the kernel may be placed anywhere in physical memory.
    public var placementAnywhere: Bool { flags & 8 != 0 }

    /// kexec-tools' rule for `image_size == 0` (3.16 and older): `text_offset = 0x80000` and
    /// `KERNEL_IMAGE_SIZE` = 16 MiB, with a warning (kexec-arm64.c `arm64_process_image_header`).
    public static let oldImageTextOffset: UInt64 = 0x80000
    public static let oldImageSize: UInt64 = 16 << 20
    public static let oldImageWarning =
        "kexec: arm64_process_image_header: Warning: Kernel image size set to 16 MiB.\n  Please verify compatability with lodaed kernel."

    /// `(text_offset, image_size)` as kexec-tools uses them.
    public var kexecToolsLayout: (textOffset: UInt64, imageSize: UInt64) {
        headerImageSize == 0 ? (Self.oldImageTextOffset, Self.oldImageSize) : (textOffset, headerImageSize)
    }
}
