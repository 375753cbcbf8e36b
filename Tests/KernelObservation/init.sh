#!/bin/busybox sh
# /init of the ckplan observation initramfs (busybox-static). Prints what the kernel did between
# @@CKOBS:BEGIN x@@ / @@CKOBS:END x@@ markers on the serial console, after letting the harness walk the
# page tables (it waits for one line on the console), then powers off.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
# keep kernel messages off the console so they cannot interleave with the blocks below
dmesg -n 1
echo "@@CKOBS:WALK-READY uptime=$(cut -d' ' -f1 /proc/uptime)@@"
read -r go
mount -t sysfs sys /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t devtmpfs dev /dev 2>/dev/null

block() { echo "@@CKOBS:BEGIN $1@@"; shift; "$@" 2>&1; echo "@@CKOBS:END@@"; }
block version cat /proc/version
block cmdline cat /proc/cmdline
block iomem cat /proc/iomem
block memblock-memory cat /sys/kernel/debug/memblock/memory
block memblock-reserved cat /sys/kernel/debug/memblock/reserved
block kexec_crash_size cat /sys/kernel/kexec_crash_size
block meminfo cat /proc/meminfo
block fdt.gz sh -c "gzip -c /sys/firmware/fdt | base64"
block dmesg dmesg
if [ -x /kexec/run.sh ]; then
    block kexec /kexec/run.sh
    block iomem-after-kexec cat /proc/iomem
fi
echo "@@CKOBS:DONE@@"
sync
poweroff -f
