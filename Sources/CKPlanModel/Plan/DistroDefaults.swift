/// The `crashkernel=` values distributions and kdump tools put on arm64 command lines, each with
/// where it comes from (reference/peers-and-users.md §3). One table; `ckplan suggest` evaluates
/// every entry with the chosen kernel's own parser and reservation.
public struct DistroDefault: Sendable, Equatable {
    /// Who uses it.
    public var name: String
    /// The value after `crashkernel=`.
    public var value: String
    /// The kernel page size the value is written for; nil when it is the same for every size.
    public var pageSize: UInt64?
    /// Where the value is set.
    public var source: String
    /// What the tool adds on top that ckplan cannot see (hardware-dependent deltas).
    public var notApplied: String?

    public static let all: [DistroDefault] = [
        DistroDefault(
            name: "Fedora/RHEL/CentOS kdump-utils, 4K", value: "2G-4G:256M,4G-64G:320M,64G-:576M", pageSize: 4096,
            source: "rhkdump/kdump-utils@63f248c:kdump-lib.sh kdump_get_arch_recommend_crashkernel",
            notApplied: "+150M with mlx5"),
        DistroDefault(
            name: "Fedora/RHEL/CentOS kdump-utils, 64K", value: "2G-4G:356M,4G-64G:420M,64G-:676M", pageSize: 65536,
            source: "rhkdump/kdump-utils@63f248c:kdump-lib.sh kdump_get_arch_recommend_crashkernel (+100M for a 64k kernel)",
            notApplied: "+384M with an SMMU, +200M with mlx5"),
        DistroDefault(
            name: "RHEL 8 crashkernel=auto", value: "2G-:448M", pageSize: nil,
            source: "kdump-utils history, commit 34d27c4 (2021-11); RHEL 8 docs: auto needs more than 2 GB on arm64",
            notApplied: nil),
        DistroDefault(
            name: "Debian/Ubuntu kdump-tools", value: "2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M",
            pageSize: nil,
            source: "/etc/default/grub.d/kdump-tools.cfg in kdump-tools 1:1.8.1 (bookworm) and 1:1.10.7 (trixie)",
            notApplied: nil),
        DistroDefault(
            name: "Ubuntu linux-crashdump (older)", value: "384M-2G:64M,2G-:128M", pageSize: nil,
            source: "https://wiki.ubuntu.com/Kernel/CrashdumpRecipe", notApplied: nil),
        DistroDefault(
            name: "SUSE/openSUSE kdumptool fallback", value: "192M", pageSize: nil,
            source: "openSUSE/kdump@34da4b8 DEF_RESERVE_KB (when `kdumptool calibrate` fails; aarch64 gets one low value)",
            notApplied: nil),
        DistroDefault(
            name: "Fedora CoreOS", value: "300M", pageSize: nil,
            source: "https://docs.fedoraproject.org/en-US/fedora-coreos/debugging-kernel-crashes/", notApplied: nil),
        DistroDefault(
            name: "Azure Linux", value: "256M", pageSize: nil,
            source: "https://github.com/microsoft/azurelinux/issues/5461 (PR #3705)", notApplied: nil),
    ]
}
