#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_switch, VM q: the guest kit under QEMU, whose
# vhost-user netdev is another port of the same stdvmm-switch (lan). It
# pings a and b, fetches a's 16 MiB, must not reach c (network wan only),
# tells a it is done, then powers off.
set -eu
dmesg -n 1
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
net_guest_up eth0 10.0.6.4/24 10.0.6.1 ping_a
net_ping_until ping_b 10.0.6.2
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
