#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 driver-VM check (run-demo.py --scenario passthrough):
# this VM owns the board's disk (passthrough: QEMU's virtio-blk-device mapped
# into its stage 2, its interrupt routed to its vGIC) and drives it with its
# own Linux virtio drivers. Reports where the device is, whether the DMA
# API translates (ACCESS_PLATFORM, feature bit 33), the interrupts it took;
# makes ext4 on the whole disk, writes 16 MiB from /dev/urandom with its
# SHA-256, and on a second boot (the admin restarted it) reads it back.
# Every line the host waits for starts with "stdvmm-test:".
dmesg -n 1
dev=/dev/vda
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b $dev ] && break; sleep 1; done
[ -b $dev ] || { echo "stdvmm-test: passthrough: no $dev"; exit 0; }
sysdev=$(readlink -f /sys/block/vda/device)
features=$(cat /sys/block/vda/device/features 2>/dev/null)
# features is one character per bit, bit 0 first.
platform=$(echo "$features" | cut -c34)
echo "stdvmm-test: passthrough vda sectors=$(cat /sys/block/vda/size) device=${sysdev##*/sys/devices/platform/} access_platform=$platform"

. /tests/disk_file.sh
disk_file_roundtrip passthrough $dev
# The device's own interrupts, taken by this VM's virtio driver.
echo "stdvmm-test: passthrough irqs=$(awk '/virtio/ { n += $2 } END { print n + 0 }' /proc/interrupts)"
sync
echo "stdvmm-test: passthrough done"
