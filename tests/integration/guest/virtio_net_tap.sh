#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_net_tap.
set -eu
# Kernel messages would interleave with the result lines on the console.
dmesg -n 1
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
net_guest_up eth0 192.168.77.2/24 192.168.77.1 ping
echo "stdvmm-test: features=$(cat /sys/class/net/eth0/device/features)"
t0=$(cut -d' ' -f1 /proc/uptime)
wget -q -O /tmp/down.bin http://192.168.77.1:8000/down.bin || echo "stdvmm-test: wget failed"
t1=$(cut -d' ' -f1 /proc/uptime)
echo "stdvmm-test: down_seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
echo "stdvmm-test: down_sha256=$(sha256sum /tmp/down.bin | cut -d' ' -f1)"
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/up.bin bs=1048576 count=4 2>/dev/null
echo "stdvmm-test: up_sha256=$(sha256sum /tmp/www/up.bin | cut -d' ' -f1)"
httpd -p 8000 -h /tmp/www
# The host says "done" here once it has fetched up.bin.
(timeout 90 nc -l -p 5560 </dev/null >/dev/null) &
sleep 1
t2=$(cut -d' ' -f1 /proc/uptime)
echo "stdvmm-test: serving"
wait
t3=$(cut -d' ' -f1 /proc/uptime)
# From "serving" to the host's "done": at least the upload's time.
echo "stdvmm-test: up_seconds=$(awk -v a="$t2" -v b="$t3" 'BEGIN { printf "%.2f", b - a }')"
echo "stdvmm-test: virtio_net_tap ok"
