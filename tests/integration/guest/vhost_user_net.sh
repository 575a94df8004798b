#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_net. dpdk-testpmd's 5tswap mode sends every
# frame back with MACs, IPs and ports swapped, so an echo request to the
# made-up peer 10.0.5.1 returns as a request from it, which this kernel
# answers; that answer returns as the reply ping waits for. Each counted
# reply crossed the vhost-user backend four times.
set -eu
dmesg -n 1
ip link set lo up
ip link set eth0 up
ip addr add 10.0.5.2/24 dev eth0
# Nobody answers ARP: 5tswap would send our own request back.
arp -i eth0 -s 10.0.5.1 02:00:00:00:05:01
echo "stdvmm-test: mac=$(cat /sys/class/net/eth0/address)"
echo "stdvmm-test: features=$(cat /sys/class/net/eth0/device/features)"
# The first replies may be lost while the backend's port comes up.
for _ in $(seq 30); do
	ping -c 1 -W 1 10.0.5.1 >/dev/null 2>&1 && break
done
got() { # ping output -> replies received
	sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}
echo "stdvmm-test: small=$(ping -c 20 -i 0.2 -W 2 10.0.5.1 2>&1 | got)"
# 1472 bytes of ICMP: full 1514-byte frames; 4000: three IP fragments each way.
echo "stdvmm-test: full=$(ping -c 10 -i 0.2 -W 2 -s 1472 10.0.5.1 2>&1 | got)"
echo "stdvmm-test: frag=$(ping -c 5 -i 0.2 -W 2 -s 4000 10.0.5.1 2>&1 | got)"
echo "stdvmm-test: rx_packets=$(cat /sys/class/net/eth0/statistics/rx_packets)"
echo "stdvmm-test: tx_packets=$(cat /sys/class/net/eth0/statistics/tx_packets)"
echo "stdvmm-test: vhost_user_net ok"
