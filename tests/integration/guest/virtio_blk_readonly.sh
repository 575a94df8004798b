#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_blk_readonly.
set -u
echo "stdvmm-test: ro=$(cat /sys/block/vda/ro)"
echo "stdvmm-test: read_sha256=$(sha256sum /dev/vda | cut -d' ' -f1)"
if dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dev/null; then
	echo "stdvmm-test: write=accepted"
else
	echo "stdvmm-test: write=refused"
fi
# Lift the guest kernel's own protection: now only the device stands in the way.
blockdev --setrw /dev/vda
if dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dev/null; then
	echo "stdvmm-test: forced_write=accepted"
else
	echo "stdvmm-test: forced_write=refused"
fi
echo "stdvmm-test: virtio_blk_readonly ok"
