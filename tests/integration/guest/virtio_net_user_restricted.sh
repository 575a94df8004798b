#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_net_user_restricted: DHCP, an attempt to reach the
# host's loopback (which restricted user networking must refuse), then a
# server for the host's forward.
set -u
dmesg -n 1
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -n -q -t 10 -T 1 >/dev/null 2>&1 || echo "stdvmm-test: dhcp failed"
echo "stdvmm-test: addr=$(ip -4 addr show eth0 | awk '/inet / { print $2; exit }')"
rc=0
reply=$(echo hello-from-guest | timeout 10 nc 10.0.2.2 5555 2>/dev/null) || rc=$?
echo "stdvmm-test: outbound_rc=$rc"
echo "stdvmm-test: outbound_reply=$reply"
(echo hello-from-guest-server | timeout 60 nc -l -p 8080 >/tmp/from-host) &
sleep 1
echo "stdvmm-test: listening"
wait
echo "stdvmm-test: from_host=$(cat /tmp/from-host)"
echo "stdvmm-test: virtio_net_user_restricted ok"
