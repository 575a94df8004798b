#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of manager_network, VM net-a (network lan, 10.0.7.1, a MAC
# pinned in the description): serves 16 MiB over HTTP and pings net-b.
set -eu
dmesg -n 1
ip link set lo up
ip link set eth0 up
ip addr add 10.0.7.1/24 dev eth0
echo "stdvmm-test: mac=$(cat /sys/class/net/eth0/address)"
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/data.bin bs=1048576 count=16 2>/dev/null
echo "stdvmm-test: sha256=$(sha256sum /tmp/www/data.bin | cut -d' ' -f1)"
echo ok >/tmp/www/ready
httpd -p 8000 -h /tmp/www
echo "stdvmm-test: serving"
ok=no
for _ in $(seq 90); do
	if ping -c 1 -W 1 10.0.7.2 >/dev/null 2>&1; then
		ok=ok
		break
	fi
done
echo "stdvmm-test: ping_b=$ok"
sleep 900
