#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_switch, VM a (network lan): serves 16 MiB over
# HTTP until each of its vswitch.peers=N clients (default 1) said done, and
# pings b (and q, the QEMU VM, with two peers).
set -eu
dmesg -n 1
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
net_if_up eth0 10.0.6.1/24
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/data.bin bs=1048576 count=16 2>/dev/null
echo "stdvmm-test: sha256=$(sha256sum /tmp/www/data.bin | cut -d' ' -f1)"
httpd -p 8000 -h /tmp/www
echo "stdvmm-test: serving"
peers=$(sed -n 's/.*vswitch\.peers=\([0-9]*\).*/\1/p' /proc/cmdline)
# The peers boot after a: they are pinged while a serves.
(
	net_ping_until ping_b 10.0.6.2 120
	[ "${peers:-1}" -lt 2 ] || net_ping_until ping_q 10.0.6.4 120
) &
for _ in $(seq "${peers:-1}"); do
	timeout 240 nc -l -p 5560 </dev/null >/dev/null || true
done
wait
echo "stdvmm-test: vswitch_a ok"
