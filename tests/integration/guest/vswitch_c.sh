#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_switch, VM c (network wan only): must not reach
# a, then stays up (for b to fail to reach it) until the host stops it.
set -eu
dmesg -n 1
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
net_if_up eth0 10.0.6.3/24
a=reached
ping -c 5 -W 1 10.0.6.1 >/dev/null 2>&1 || a=unreachable
echo "stdvmm-test: ping_a=$a"
echo "stdvmm-test: ready"
sleep 600
