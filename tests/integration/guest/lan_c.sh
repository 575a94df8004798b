#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of manager_network, VM net-c (network wan only, 10.0.7.3 in
# the same subnet): must reach neither net-a nor net-b.
set -eu
dmesg -n 1
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
net_if_up eth0 10.0.7.3/24
echo "stdvmm-test: mac=$(cat /sys/class/net/eth0/address)"
for v in a:10.0.7.1 b:10.0.7.2; do
	r=reached
	ping -c 5 -W 1 "${v#*:}" >/dev/null 2>&1 || r=unreachable
	echo "stdvmm-test: ping_${v%%:*}=$r"
done
echo "stdvmm-test: ready"
sleep 900
