/// The relocation time model: per mode, `seconds = fixed + MiB × secondsPerMiB`, MiB = bytes / 2^20
/// of pages copied (every page of every segment's memsz).
///
/// Calibration, from the seeds (Pasha Tatashin's "arm64: MMU enabled kexec relocation" series):
/// * `tatashin2021` (the default): the v11 cover letter's machine, fitted exactly through both of its
///   figures — 25 MiB kernel+initramfs: 0.440510736 s MMU off, 0.022158152 s MMU on; 380 MiB
///   fitImage: 3.9 s → 0.33 s. MMU on is nearly proportional (≈1150 MiB/s, 0.5 ms fixed); MMU off
///   is ≈103 MiB/s after a 0.197 s fixed part.
/// * `dag2020`: the v9 changelog's second machine (Selin Dag): ~120 MiB initramfs, ~580 ms → ~60 ms,
///   proportional (one figure cannot fix two parameters).
///
/// Error: each model reproduces its own figures (within rounding). Across runs on the same machine
/// the series itself varies by ~15 % (v10 17/18 reports 0.382 s / 0.019 s for the same 25 MiB);
/// across machines the two calibrations differ by 2.4× (MMU off) and 1.7× (MMU on) at 120 MiB, so
/// an uncalibrated machine's estimate is good to a factor of ~2.5, and the MMU-off/MMU-on ratio
/// (10–20×) is the robust output.
public struct RelocationTimingModel: Sendable, Equatable {
    public var name: String
    public var mmuOffFixedSeconds: Double
    public var mmuOffSecondsPerMiB: Double
    public var mmuOnFixedSeconds: Double
    public var mmuOnSecondsPerMiB: Double

    /// The affine model through two (MiB, seconds) points per mode.
    public init(name: String, mmuOff: ((Double, Double), (Double, Double)), mmuOn: ((Double, Double), (Double, Double))) {
        func fit(_ p: ((Double, Double), (Double, Double))) -> (Double, Double) {
            let slope = (p.1.1 - p.0.1) / (p.1.0 - p.0.0)
            return (p.0.1 - slope * p.0.0, slope)
        }
        self.name = name
        (mmuOffFixedSeconds, mmuOffSecondsPerMiB) = fit(mmuOff)
        (mmuOnFixedSeconds, mmuOnSecondsPerMiB) = fit(mmuOn)
    }

    public static let tatashin2021 = RelocationTimingModel(
        name: "tatashin-2021", mmuOff: ((25, 0.440510736), (380, 3.9)), mmuOn: ((25, 0.022158152), (380, 0.33)))
    public static let dag2020 = RelocationTimingModel(
        name: "dag-2020", mmuOff: ((0, 0), (120, 0.58)), mmuOn: ((0, 0), (120, 0.06)))

    public func seconds(bytes: UInt64, mmuOn: Bool) -> Double {
        let mib = Double(bytes) / Double(1 << 20)
        return mmuOn ? mmuOnFixedSeconds + mib * mmuOnSecondsPerMiB : mmuOffFixedSeconds + mib * mmuOffSecondsPerMiB
    }
}

/// What `kexec -e` of a normal image does to memory and time (kernel-rules.md §7.6).
public struct KexecRelocationPlan: Sendable, Equatable {
    public var pageSize: UInt64
    /// kimage entries (include/linux/kexec.h): one IND_DESTINATION per segment, one IND_SOURCE per
    /// page (kernel/kexec_core.c `kimage_load_normal_segment`), one IND_INDIRECTION per indirection
    /// page (the first in `image->head`, the others in the last slot of the page before), one IND_DONE.
    public var destinationEntries: UInt64
    public var sourceEntries: UInt64
    public var indirectionEntries: UInt64
    public var doneEntries: UInt64
    /// Pages holding the list: `PAGE_SIZE/8 - 1` entries each (`kimage_add_entry` keeps the last
    /// slot for the link; `kimage_terminate` may put IND_DONE there).
    public var indirectionPages: UInt64
    /// Bytes the relocation copies (= source pages × page size).
    public var bytes: UInt64
    /// The kernel relocates with the MMU on (5.16+).
    public var mmuOn: Bool
    /// 5.16+: the trans_pgd copy of the linear map, its new PGD, the idmap of the relocation code
    /// (`trans_pgd_idmap_page`: 4 table pages on 4K and 16K, 3 on 64K) and, nVHE, the EL2 vectors
    /// page. 0 with the MMU off.
    public var transPgdBytes: UInt64
    /// Pages the load keeps besides the sources: indirection pages, the control code page, the
    /// swap page (kernel/kexec_core.c `kimage_alloc_init`), trans_pgd.
    public var overheadBytes: UInt64
    public var mmuOffSeconds: Double
    public var mmuOnSeconds: Double
    public var model: RelocationTimingModel
    public var notes: [Note]

    /// The estimate for what this kernel does.
    public var seconds: Double { mmuOn ? mmuOnSeconds : mmuOffSeconds }
}

public enum KexecRelocation {
    /// The relocation of a normal image whose segments are `segments` (only `size`, the memsz,
    /// counts), counted arithmetically.
    /// - Parameters:
    ///   - linearMapTableBytes: the live linear map's table pages (PUD/PMD/PTE tables, kernel-rules.md
    ///     §6.8), which trans_pgd duplicates one for one.
    ///   - nVHE: booted at EL2 without VHE (`is_hyp_nvhe()`): one more page for the EL2 vectors.
    ///   - lpa2: 52-bit VA with LPA2 in use: 6.12 oopses in `trans_pgd_create_copy` (observed, X2).
    public static func plan(segments: [KexecSegment], pageSize: UInt64, kernel: KernelVersion,
                            linearMapTableBytes: UInt64, nVHE: Bool = false, lpa2: Bool = false,
                            model: RelocationTimingModel = .tatashin2021) -> KexecRelocationPlan {
        let used = segments.filter { $0.size > 0 }
        let pages = used.reduce(UInt64(0)) { $0 + Align.pages($1.size, pageSize) / pageSize }
        let entries = UInt64(used.count) + pages
        let perPage = pageSize / 8 - 1
        let indirection = (entries + perPage - 1) / perPage
        let mmuOn = KexecRelocationRules.forVersion(kernel).mmuOn
        let idmapPages: UInt64 = pageSize == 65536 ? 3 : 4
        let transPgd = mmuOn ? linearMapTableBytes + (1 + idmapPages + (nVHE ? 1 : 0)) * pageSize : 0
        var notes: [Note] = []
        if mmuOn && lpa2 && kernel.series == "6.12" {
            notes.append(Note(.warning, "kexec -l oopses in trans_pgd_create_copy on 6.12 with LPA2 (observed on 6.12.107); boot with lpa2=off or arm64.nolva"))
        }
        let bytes = pages * pageSize
        return KexecRelocationPlan(
            pageSize: pageSize, destinationEntries: UInt64(used.count), sourceEntries: pages,
            indirectionEntries: indirection, doneEntries: 1, indirectionPages: indirection, bytes: bytes,
            mmuOn: mmuOn, transPgdBytes: transPgd, overheadBytes: (indirection + 2) * pageSize + transPgd,
            mmuOffSeconds: model.seconds(bytes: bytes, mmuOn: false), mmuOnSeconds: model.seconds(bytes: bytes, mmuOn: true),
            model: model, notes: notes)
    }
}

/// Loading a normal image into a given range of free System RAM with kexec-tools
/// (`--mem-min`/`--mem-max`, inclusive), so that its destinations avoid everything else.
public struct ReservedRangeLoad: Sendable, Equatable {
    /// What loading a normal image into the crash reservation needs: mainline kexec-tools skips
    /// `Crash kernel` ranges for `-l`, and mainline kernels copy every page at `kexec -e` anyway.
    public static let requirement = "needs James Morse's kexec/kexec_in_crashk/v0 kernel (the seeds) and a kexec-tools that places -l segments in Crash kernel ranges; mainline 2.0.29 does not"

    public var range: PhysRange
    public var command: String
    public var segments: [KexecSegment]
    public var failure: KexecFailure?
    public var fits: Bool { failure == nil }

    /// kexec-tools' `kexec -l` placement (kexec-arm64.c `arm64_locate_kernel_segment`:
    /// `locate_hole(text_offset + image_size, 2 MiB, 0, ULONG_MAX, bottom-up)`, then initrd, DTB and
    /// purgatory bottom-up after the Image), everything clipped to the range. The range must be
    /// System RAM with no nested /proc/iomem resource (not `Crash kernel`, not `reserved`):
    /// kexec-tools only places segments there. The kernel still copies every page at `kexec -e`
    /// (source pages come from the buddy allocator), so this fixes the destinations, not the copy.
    public init(range: PhysRange, image: Arm64Image, imagePath: String, initrdSize: UInt64?, initrdPath: String?,
                dtbBytes: UInt64, pageSize: UInt64, tools: KexecToolsVersion = .observed) {
        let rules = KexecToolsRules.forVersion(tools)
        self.range = range
        var words = ["kexec", "--mem-min=\(Hex.short(range.start))", "--mem-max=\(Hex.short(range.last))", "-l", imagePath]
        if let initrdPath, (initrdSize ?? 0) > 0 { words.append("--initrd=\(initrdPath)") }
        command = words.joined(separator: " ")
        segments = []
        failure = nil
        var mem = KexecToolsMemory(ram: [range], memMin: range.start, memMax: range.last, pageSize: pageSize)
        let (textOffset, imageSize) = image.kexecToolsLayout
        let loadFailed = ["kexec: load failed.", "Cannot load \(imagePath)"]
        guard let hole = mem.locateHole(size: textOffset + imageSize, align: KexecToolsRules.kernelAlign,
                                        holeMin: 0, holeMax: .max, topDown: false) else {
            failure = KexecFailure(["Could not find a free area of memory of \(Hex.short(textOffset + imageSize)) bytes..."] + loadFailed)
            return
        }
        let imageBase = hole + textOffset
        mem.segments.append(KexecSegment(name: .kernel, start: imageBase, size: Align.pages(imageSize, pageSize),
                                         bufsz: min(image.fileSize, Align.pages(imageSize, pageSize))))
        var pending: [(KexecSegment.Name, UInt64, UInt64)] = []
        if let initrd = initrdSize, initrd > 0 { pending.append((.initrd, initrd, initrd)) }
        pending.append((.dtb, dtbBytes, dtbBytes))
        pending.append((.purgatory, rules.purgatoryBufsz, rules.purgatoryFootprint))
        for (name, bufsz, memsz) in pending {
            if name == .dtb, dtbBytes > KexecToolsRules.dtbLimit {
                failure = KexecFailure(["kexec: Error: dtb too big."] + loadFailed, shortfall: dtbBytes - KexecToolsRules.dtbLimit)
                break
            }
            if case .failure(let f) = mem.addBuffer(name, bufsz: bufsz, memsz: memsz, align: 0,
                                                    holeMin: imageBase + imageSize, holeMax: .max, topDown: false) {
                failure = f
                break
            }
        }
        segments = mem.segments.sorted { $0.start < $1.start }
    }
}
