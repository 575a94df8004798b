#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_switch, VM q: the guest kit under QEMU, whose
# vhost-user netdev is another port of the same stdvmm-switch (lan). It
# pings a and b, fetches a's 16 MiB, must not reach c (network wan only),
# tells a it is done, then powers off.
set -eu
dmesg -n 1
ip link set lo up
ip link set eth0 up
ip addr add 10.0.6.4/24 dev eth0
ok=no
for _ in $(seq 60); do
	if ping -c 1 -W 1 10.0.6.1 >/dev/null 2>&1; then
		ok=ok
		break
	fi
done
echo "stdvmm-test: ping_a=$ok"
ok=no
for _ in $(seq 60); do
	if ping -c 1 -W 1 10.0.6.2 >/dev/null 2>&1; then
		ok=ok
		break
	fi
done
echo "stdvmm-test: ping_b=$ok"
wget -q -O /tmp/data.bin http://10.0.6.1:8000/data.bin || echo "stdvmm-test: wget failed"
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
echo "stdvmm-test: vswitch_q ok"
