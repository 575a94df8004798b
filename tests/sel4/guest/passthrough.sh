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

now() { cut -d' ' -f1 /proc/uptime; }
rate() { awk -v b="$1" -v t0="$2" -v t1="$3" 'BEGIN { t = t1 - t0; if (t <= 0) t = 0.01; printf "%.2f", b / t / 1048576 }'; }
irqs() { awk '/virtio/ { n += $2 } END { print n + 0 }' /proc/interrupts; }

mkdir -p /mnt
if mount -t ext4 $dev /mnt 2>/dev/null; then
	echo 3 >/proc/sys/vm/drop_caches
	bytes=$(wc -c </mnt/data.bin)
	t0=$(now)
	sha=$(sha256sum /mnt/data.bin | cut -d' ' -f1)
	t1=$(now)
	echo "stdvmm-test: passthrough verify sha256=$sha bytes=$bytes read $(rate "$bytes" "$t0" "$t1") MB/s irqs=$(irqs)"
	umount /mnt
else
	/sbin/mke2fs -q -F -t ext4 $dev || { echo "stdvmm-test: passthrough mkfs.ext4 failed"; exit 0; }
	mount -t ext4 $dev /mnt || { echo "stdvmm-test: passthrough mount failed"; exit 0; }
	t0=$(now)
	dd if=/dev/urandom of=/mnt/data.bin bs=65536 count=256 2>/dev/null
	sync
	t1=$(now)
	bytes=$(wc -c </mnt/data.bin)
	sha=$(sha256sum /mnt/data.bin | cut -d' ' -f1)
	echo "stdvmm-test: passthrough wrote sha256=$sha bytes=$bytes write $(rate "$bytes" "$t0" "$t1") MB/s irqs=$(irqs)"
	umount /mnt
fi
sync
echo "stdvmm-test: passthrough done"
