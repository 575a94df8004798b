#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_switch, VM a (network lan): serves 16 MiB over
# HTTP until each of its vswitch.peers=N clients (default 1) said done, and
# pings b (and q, the QEMU VM, with two peers).
set -eu
dmesg -n 1
ip link set lo up
ip link set eth0 up
ip addr add 10.0.6.1/24 dev eth0
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/data.bin bs=1048576 count=16 2>/dev/null
echo "stdvmm-test: sha256=$(sha256sum /tmp/www/data.bin | cut -d' ' -f1)"
httpd -p 8000 -h /tmp/www
echo "stdvmm-test: serving"
peers=$(sed -n 's/.*vswitch\.peers=\([0-9]*\).*/\1/p' /proc/cmdline)
# The peers boot after a: they are pinged while a serves.
ping_until() { # NAME ADDRESS
	ok=no
	for _ in $(seq 120); do
		if ping -c 1 -W 1 "$2" >/dev/null 2>&1; then
			ok=ok
			break
		fi
	done
	echo "stdvmm-test: ping_$1=$ok"
}
(
	ping_until b 10.0.6.2
	[ "${peers:-1}" -lt 2 ] || ping_until q 10.0.6.4
) &
for _ in $(seq "${peers:-1}"); do
	timeout 240 nc -l -p 5560 </dev/null >/dev/null || true
done
wait
echo "stdvmm-test: vswitch_a ok"
