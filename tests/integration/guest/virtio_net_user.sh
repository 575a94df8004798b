#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_net_user.
set -eu
# Kernel messages would interleave with the result lines on the console.
dmesg -n 1
ip link set lo up
ip link set eth0 up
# The guest kit's /etc/udhcpc/default.script applies the lease.
udhcpc -i eth0 -n -q -t 10 -T 1 >/dev/null 2>&1 || echo "stdvmm-test: dhcp failed"
echo "stdvmm-test: addr=$(ip -4 addr show eth0 | awk '/inet / { print $2; exit }')"
echo "stdvmm-test: mac=$(cat /sys/class/net/eth0/address)"
echo "stdvmm-test: reply=$(echo hello-from-guest | timeout 20 nc 10.0.2.2 5555)"
(echo hello-from-guest-server | timeout 60 nc -l -p 8080 >/tmp/from-host) &
sleep 1
echo "stdvmm-test: listening"
wait
echo "stdvmm-test: from_host=$(cat /tmp/from-host)"
echo "stdvmm-test: virtio_net_user ok"
