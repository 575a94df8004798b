#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the seL4 disk checks (blk_region.sh, passthrough.sh, driver.sh),
# not a check of its own: the file-system round trip they share.
#   disk_file_roundtrip NAME DEV
# On a first boot DEV has no file system: make ext4 (e2fsprogs' mke2fs from
# the kit: busybox's makes ext2 only), write 16 MiB from /dev/urandom into
# /data.bin straight to the disk, sync, print its SHA-256 and the write rate
# (urandom's time included). On a later boot (the admin started the VM
# again): read the file back with the caches dropped, print its SHA-256 and
# the read rate. The host waits for "stdvmm-test: NAME wrote|verify ...".

# Seconds since boot, with hundredths (busybox has no date +%N).
now() { cut -d' ' -f1 /proc/uptime; }
rate() { awk -v b="$1" -v t0="$2" -v t1="$3" 'BEGIN { t = t1 - t0; if (t <= 0) t = 0.01; printf "%.2f", b / t / 1048576 }'; }

disk_file_roundtrip() {
	name=$1 dev=$2
	mkdir -p /mnt
	if mount -t ext4 "$dev" /mnt 2>/dev/null; then
		echo 3 >/proc/sys/vm/drop_caches
		bytes=$(wc -c </mnt/data.bin)
		t0=$(now)
		sha=$(sha256sum /mnt/data.bin | cut -d' ' -f1)
		t1=$(now)
		echo "stdvmm-test: $name verify sha256=$sha bytes=$bytes read $(rate "$bytes" "$t0" "$t1") MB/s"
	else
		/sbin/mke2fs -q -F -t ext4 "$dev" || { echo "stdvmm-test: $name mkfs.ext4 failed"; return 1; }
		mount -t ext4 "$dev" /mnt || { echo "stdvmm-test: $name mount failed"; return 1; }
		echo "stdvmm-test: $name writing"
		t0=$(now)
		dd if=/dev/urandom of=/mnt/data.bin bs=65536 count=256 2>/dev/null
		sync
		t1=$(now)
		bytes=$(wc -c </mnt/data.bin)
		sha=$(sha256sum /mnt/data.bin | cut -d' ' -f1)
		echo "stdvmm-test: $name wrote sha256=$sha bytes=$bytes write $(rate "$bytes" "$t0" "$t1") MB/s"
	fi
	umount /mnt
}
