#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_blk_rate_limit: the whole disk, read once, timed.
set -u
start=$(cut -d' ' -f1 /proc/uptime)
sum=$(sha256sum /dev/vda | cut -d' ' -f1)
end=$(cut -d' ' -f1 /proc/uptime)
echo "stdvmm-test: read_sha256=$sum"
echo "stdvmm-test: read_cs=$(echo "$start $end" | awk '{ printf "%d", ($2 - $1) * 100 }')"
echo "stdvmm-test: virtio_blk_rate_limit ok"
