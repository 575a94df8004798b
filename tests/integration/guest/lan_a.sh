#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of manager_network, VM net-a (network lan, 10.0.7.1, a MAC
# pinned in the description): serves 16 MiB over HTTP and pings net-b.
set -eu
dmesg -n 1
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
net_if_up eth0 10.0.7.1/24
echo "stdvmm-test: mac=$(cat /sys/class/net/eth0/address)"
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/data.bin bs=1048576 count=16 2>/dev/null
echo "stdvmm-test: sha256=$(sha256sum /tmp/www/data.bin | cut -d' ' -f1)"
echo ok >/tmp/www/ready
httpd -p 8000 -h /tmp/www
echo "stdvmm-test: serving"
net_ping_until ping_b 10.0.7.2 90
sleep 900
