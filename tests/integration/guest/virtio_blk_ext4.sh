#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_blk_ext4: ext4 on /dev/vda, a 4 MiB file of random
# bytes, its checksum on the console; discard through fstrim.
set -eu
dev=/dev/vda
[ -b "$dev" ] || { echo "stdvmm-test: no $dev"; exit 1; }
echo "stdvmm-test: serial=$(cat /sys/block/vda/serial)"
mkfs.ext4 -q -F "$dev"
mkdir -p /mnt
mount -t ext4 "$dev" /mnt
dd if=/dev/urandom of=/mnt/data.bin bs=65536 count=64 2>/dev/null
dd if=/dev/urandom of=/mnt/scratch.bin bs=65536 count=64 2>/dev/null
sync
rm /mnt/scratch.bin
sync
if fstrim /mnt; then echo "stdvmm-test: trimmed=yes"; else echo "stdvmm-test: trimmed=no"; fi
sha=$(sha256sum /mnt/data.bin | cut -d' ' -f1)
umount /mnt
echo "stdvmm-test: sha256=$sha"
echo "stdvmm-test: virtio_blk_ext4 ok"
