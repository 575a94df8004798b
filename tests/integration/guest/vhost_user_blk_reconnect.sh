#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_blk_reconnect: a direct write to /dev/vda
# (qemu-storage-daemon), then idle until the host has killed and restarted
# the backend and says "go" on /dev/vdb (an image stdvmm serves itself),
# then another direct write and read on /dev/vda.
set -eu
if [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; then
	echo "stdvmm-test: no /dev/vda or /dev/vdb"
	exit 1
fi
dd if=/dev/urandom of=/tmp/a bs=65536 count=16 2>/dev/null
dd if=/tmp/a of=/dev/vda bs=65536 seek=16 oflag=direct conv=fsync 2>/dev/null
echo "stdvmm-test: sha_before=$(sha256sum /tmp/a | cut -d' ' -f1)"
echo "stdvmm-test: idle"
n=0
until dd if=/dev/vdb bs=512 count=1 iflag=direct 2>/dev/null | grep -q go; do
	n=$((n + 1))
	[ $n -lt 300 ] || { echo "stdvmm-test: the host never said go"; exit 1; }
	sleep 1
done
dd if=/dev/urandom of=/tmp/b bs=65536 count=16 2>/dev/null
dd if=/tmp/b of=/dev/vda bs=65536 seek=32 oflag=direct conv=fsync 2>/dev/null
back=$(dd if=/dev/vda bs=65536 skip=32 count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "stdvmm-test: sha_after=$(sha256sum /tmp/b | cut -d' ' -f1)"
echo "stdvmm-test: sha_readback=$back"
echo "stdvmm-test: vhost_user_blk_reconnect ok"
