/// `arm64_dma_phys_limit` — the top of ZONE_DMA, which is also `CRASH_ADDR_LOW_MAX` and the CMA
/// limit (arch/arm64/mm/init.c `zone_sizes_init`, 7.1: `dma_limits_init`). kernel-rules.md §5.3.
public struct ZoneDMALimitRules: Sendable, Equatable {
    /// How the device limits become a zone boundary.
    public enum Form: String, Sendable, Equatable {
        /// 5.10 … 6.9 (and 6.12 before the stable back-port): `zone_dma_bits =
        /// min3(32, fls64(dt), fls64(acpi))`, so a non-power-of-two limit is rounded *up* to a
        /// power of two; `max_zone_phys` moves the boundary to 4 GiB (or all of RAM) when DRAM
        /// starts above the mask.
        case powerOfTwoBits
        /// 6.12.107 (back-port of the 6.13 zone_dma_limit rework), 6.13+: the exact address,
        /// capped at 4 GiB only when DRAM starts below 4 GiB.
        case exact
    }

    public var form: Form

    /// The rule table: the boundary and where it comes from.
    public static func rules(for v: KernelVersion) -> ZoneDMALimitRules {
        // The rework landed in 6.13 and was back-ported to 6.12.y; 6.12.107 (Debian trixie) has it
        // (verified in source, and observed: kernel-rules-observed.md D2). The first 6.12.y with
        // it is not pinned down; earlier 6.12.y are treated like 6.12.107.
        if v >= KernelVersion(6, 12) { return ZoneDMALimitRules(form: .exact) }
        return ZoneDMALimitRules(form: .powerOfTwoBits)
    }

    /// Computes the limit.
    /// - Parameters:
    ///   - dtMaxCPUAddress: `of_dma_get_max_cpu_address(NULL)`, inclusive; nil = PHYS_ADDR_MAX.
    ///   - acpiMaxCPUAddress: `acpi_iort_dma_get_max_cpu_address()`, inclusive; nil = none.
    ///   - dram: `[memblock_start_of_DRAM(), memblock_end_of_DRAM())`.
    public func limit(zoneDMA: Bool, zoneDMA32: Bool, paBits: Int,
                      dtMaxCPUAddress: UInt64?, acpiMaxCPUAddress: UInt64?, dram: PhysRange) -> UInt64 {
        let physMaskPlusOne: UInt64 = paBits >= 64 ? .max : 1 << UInt64(paBits)
        let dt = dtMaxCPUAddress ?? .max
        let acpi = acpiMaxCPUAddress ?? .max
        var result: UInt64 = 0
        switch form {
        case .powerOfTwoBits:
            if zoneDMA {
                let bits = min(32, fls64(dt), fls64(acpi))
                result = maxZonePhysBits(bits, dram: dram)
            }
            if result == 0 && zoneDMA32 { result = maxZonePhysBits(32, dram: dram) }
        case .exact:
            if zoneDMA {
                var zoneLimit = min(dt, acpi)
                if dram.start < UInt64(UInt32.max) { zoneLimit = min(zoneLimit, UInt64(UInt32.max)) }
                result = Self.maxZonePhys(zoneLimit, dram: dram)
            }
            if result == 0 && zoneDMA32 { result = Self.maxZonePhys(UInt64(UInt32.max), dram: dram) }
        }
        return result == 0 ? physMaskPlusOne : result
    }

    /// `max_zone_phys(zone_bits)` up to 6.9.
    func maxZonePhysBits(_ bits: Int, dram: PhysRange) -> UInt64 {
        var mask: UInt64 = bits >= 64 ? .max : (1 << UInt64(bits)) - 1
        if dram.start > UInt64(UInt32.max) {
            mask = .max
        } else if dram.start > mask {
            mask = UInt64(UInt32.max)
        }
        return Self.maxZonePhys(mask, dram: dram)
    }

    /// `min(limit, memblock_end_of_DRAM() - 1) + 1`.
    static func maxZonePhys(_ limit: UInt64, dram: PhysRange) -> UInt64 {
        let last = dram.end &- 1
        let m = min(limit, last)
        return m == .max ? .max : m + 1
    }

    /// `fls64`: 1-based index of the highest set bit, 0 for 0.
    func fls64(_ x: UInt64) -> Int { x == 0 ? 0 : 64 - x.leadingZeroBitCount }
}
