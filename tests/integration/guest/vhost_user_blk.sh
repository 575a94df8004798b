#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_blk: ext4 on /dev/vda (served by
# qemu-storage-daemon, not by stdvmm), a 4 MiB file of random bytes, its
# checksum on the console.
set -eu
dev=/dev/vda
[ -b "$dev" ] || { echo "stdvmm-test: no $dev"; exit 1; }
mkfs.ext4 -q -F "$dev"
mkdir -p /mnt
mount -t ext4 "$dev" /mnt
dd if=/dev/urandom of=/mnt/data.bin bs=65536 count=64 2>/dev/null
sync
sha=$(sha256sum /mnt/data.bin | cut -d' ' -f1)
umount /mnt
echo "stdvmm-test: sha256=$sha"
echo "stdvmm-test: vhost_user_blk ok"
