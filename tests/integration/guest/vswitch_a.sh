#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_switch, VM a (network lan): serves 4 MiB over
# HTTP until each of its vswitch.peers=N clients (default 1) said done.
set -eu
dmesg -n 1
ip link set lo up
ip link set eth0 up
ip addr add 10.0.6.1/24 dev eth0
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/data.bin bs=1048576 count=4 2>/dev/null
echo "stdvmm-test: sha256=$(sha256sum /tmp/www/data.bin | cut -d' ' -f1)"
httpd -p 8000 -h /tmp/www
echo "stdvmm-test: serving"
peers=$(sed -n 's/.*vswitch\.peers=\([0-9]*\).*/\1/p' /proc/cmdline)
for _ in $(seq "${peers:-1}"); do
	timeout 240 nc -l -p 5560 </dev/null >/dev/null || true
done
echo "stdvmm-test: vswitch_a ok"
