#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_blk_kill: 1 MiB of random bytes at offset 1 MiB,
# fsynced, then wait to be killed.
set -eu
dd if=/dev/urandom of=/tmp/blob bs=1048576 count=1 2>/dev/null
dd if=/tmp/blob of=/dev/vda bs=1048576 seek=1 count=1 conv=fsync 2>/dev/null
echo "stdvmm-test: sha256=$(sha256sum /tmp/blob | cut -d' ' -f1)"
echo "stdvmm-test: synced"
while :; do sleep 60; done
