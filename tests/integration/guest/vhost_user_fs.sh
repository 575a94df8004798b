#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_fs: mounts the host directory that virtiofsd
# serves by its tag, reports the checksum of the host's file and writes one
# of its own for the host to check.
set -eu
mkdir -p /mnt
mount -t virtiofs hostshare /mnt
echo "stdvmm-test: host_sha256=$(sha256sum /mnt/host.bin | cut -d' ' -f1)"
dd if=/dev/urandom of=/mnt/guest.bin bs=65536 count=16 2>/dev/null
sync
echo "stdvmm-test: guest_sha256=$(sha256sum /mnt/guest.bin | cut -d' ' -f1)"
umount /mnt
echo "stdvmm-test: vhost_user_fs ok"
