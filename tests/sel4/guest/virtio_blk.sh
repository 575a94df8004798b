#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 virtio-blk check: the VM's one disk is read-only
# and served by its VMM from an image the admin maps. Reports what the
# guest's own driver sees (serial, read-only flag, size), mounts the ext4
# file system, checks 2 MiB read through it against the SHA-256 stored on
# the disk, and tries a write, which must be refused.
dmesg -n 1
echo "stdvmm-test: serial=$(cat /sys/block/vda/serial 2>/dev/null)"
echo "stdvmm-test: ro=$(cat /sys/block/vda/ro 2>/dev/null)"
echo "stdvmm-test: sectors=$(cat /sys/block/vda/size 2>/dev/null)"
mkdir -p /mnt
if mount -t ext4 -o ro /dev/vda /mnt; then
	echo "stdvmm-test: hello=$(cat /mnt/hello.txt)"
	want=$(cat /mnt/data.sha256)
	got=$(sha256sum /mnt/data.bin | cut -d' ' -f1)
	[ "$got" = "$want" ] && echo "stdvmm-test: data=ok" || echo "stdvmm-test: data=bad ($got, want $want)"
	umount /mnt
else
	echo "stdvmm-test: mount failed"
fi
if dd if=/dev/zero of=/dev/vda bs=512 count=1 conv=fsync 2>/dev/null; then
	echo "stdvmm-test: write=accepted"
else
	echo "stdvmm-test: write=refused"
fi
echo "stdvmm-test: virtio_blk done"
