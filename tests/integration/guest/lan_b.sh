#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of manager_network, VM net-b (network lan, 10.0.7.2, a MAC the
# switch learns): pings net-a, fetches its 16 MiB, must not reach net-c;
# then pings on while the host kills the switch and the manager restarts
# it, and fetches again.
set -eu
dmesg -n 1
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
net_if_up eth0 10.0.7.2/24
echo "stdvmm-test: mac=$(cat /sys/class/net/eth0/address)"
net_ping_until ping_a 10.0.7.1 90
echo "stdvmm-test: ping_a_count=$(ping -c 10 -i 0.2 -W 2 10.0.7.1 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')"
# fetch N: 16 MiB from net-a into /tmp/data.bin, its time and checksum as sha256_N, seconds_N
fetch() {
	rm -f /tmp/data.bin
	t0=$(cut -d' ' -f1 /proc/uptime)
	wget -q -O /tmp/data.bin http://10.0.7.1:8000/data.bin || echo "stdvmm-test: wget_$1 failed"
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "stdvmm-test: seconds_$1=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
	echo "stdvmm-test: sha256_$1=$(sha256sum /tmp/data.bin | cut -d' ' -f1)"
}
# The VMs boot together: net-a answers pings before it serves (it makes its 16 MiB first).
serving=no
for _ in $(seq 150); do
	if wget -q -O /dev/null http://10.0.7.1:8000/ready 2>/dev/null; then
		serving=ok
		break
	fi
	sleep 1
done
echo "stdvmm-test: a_serving=$serving"
fetch 1
c=reached
ping -c 3 -W 1 10.0.7.3 >/dev/null 2>&1 || c=unreachable
echo "stdvmm-test: ping_c=$c"
echo "stdvmm-test: phase1 done"
# The host kills lan's switch now; the manager starts another and the VMMs
# reconnect to it. 60 pings over about 20 s span that; those the restart
# loses are counted, not failed (frames in flight die with the switch).
echo "stdvmm-test: ping_restart_received=$(ping -c 60 -i 0.3 -W 1 10.0.7.1 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')"
net_ping_until back 10.0.7.1 90
fetch 2
echo "stdvmm-test: lan_b ok"
sleep 900
