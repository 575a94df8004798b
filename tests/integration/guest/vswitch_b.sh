#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_switch, VM b (network lan): pings a (and q, the
# QEMU VM, with vswitch.qemu=1), fetches a's 16 MiB, and must not reach c
# (network wan only).
set -eu
dmesg -n 1
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
net_guest_up eth0 10.0.6.2/24 10.0.6.1 ping_a
echo "stdvmm-test: ping_a_count=$(ping -c 10 -i 0.2 -W 2 10.0.6.1 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')"
if grep -q "vswitch.qemu=1" /proc/cmdline; then
	net_ping_until ping_q 10.0.6.4 120
fi
t0=$(cut -d' ' -f1 /proc/uptime)
wget -q -O /tmp/data.bin http://10.0.6.1:8000/data.bin || echo "stdvmm-test: wget failed"
t1=$(cut -d' ' -f1 /proc/uptime)
echo "stdvmm-test: seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
echo "stdvmm-test: sha256=$(sha256sum /tmp/data.bin | cut -d' ' -f1)"
c=reached
ping -c 3 -W 1 10.0.6.3 >/dev/null 2>&1 || c=unreachable
echo "stdvmm-test: ping_c=$c"
# a listens for one peer's done at a time: a second peer's connection
# that falls between two of its listens is refused, so try again.
for _ in $(seq 20); do
	echo "done" | timeout 20 nc 10.0.6.1 5560 >/dev/null 2>&1 && break
	sleep 1
done
echo "stdvmm-test: vswitch_b ok"
