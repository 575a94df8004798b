#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of sandbox_cost: reads the whole disk, writes 16 MiB with
# fsync, and reports both times in centiseconds of guest time.
set -u
now() { cut -d' ' -f1 /proc/uptime; }
cs() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%d", (e - s) * 100 }'; }
s=$(now)
dd if=/dev/vda of=/dev/null bs=64k 2>/dev/null
e=$(now)
echo "stdvmm-test: read_cs=$(cs "$s" "$e")"
s=$(now)
dd if=/dev/zero of=/dev/vda bs=64k count=256 conv=fsync 2>/dev/null
e=$(now)
echo "stdvmm-test: write_cs=$(cs "$s" "$e")"
echo "stdvmm-test: sandbox_cost ok"
