#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_rng.
set -eu
# stdvmm.rng_bytes=N: how much to read (default 1 MiB).
bytes=1048576
for arg in $(cat /proc/cmdline); do
	case $arg in
	stdvmm.rng_bytes=*) bytes=${arg#stdvmm.rng_bytes=} ;;
	esac
done
echo "stdvmm-test: rng_current=$(cat /sys/class/misc/hw_random/rng_current)"
t0=$(cut -d' ' -f1 /proc/uptime)
head -c "$bytes" /dev/hwrng >/tmp/rnd
t1=$(cut -d' ' -f1 /proc/uptime)
echo "stdvmm-test: bytes=$(wc -c </tmp/rnd)"
# How many of the 256 byte values occur in the first 4 KiB: ~254 for random data.
echo "stdvmm-test: distinct=$(head -c 4096 /tmp/rnd | od -An -v -tu1 | tr -s ' ' '\n' | sort -u | grep -c .)"
echo "stdvmm-test: seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
echo "stdvmm-test: virtio_rng ok"
