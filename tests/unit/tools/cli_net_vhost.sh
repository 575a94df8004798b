#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --net's vhost key on the command line: on or off with tap only; anything
# else is bad usage (exit 2) saying why, before any VM exists. A good one
# passes the parser (the missing kernel is refused next).
#
#   cli_net_vhost.sh STDVMM WORKDIR
set -eu
stdvmm=$1 work=$2
mkdir -p "$work"
kernel=$work/no-kernel
# shellcheck source=tests/unit/tools/cli_check.sh
. "${0%/*}/cli_check.sh"
check 2 "vhost=on is for tap=IFNAME only" --net "user,vhost=on"
check 2 "vhost=on is for tap=IFNAME only" --net "vhost-user=$work/s,vhost=on"
check 2 "expected vhost=on or vhost=off" --net "tap=t0,vhost=yes"
check 1 "no-kernel: cannot open" --net "tap=t0,vhost=on"
check 1 "no-kernel: cannot open" --net "tap=t0,vhost=off"
exit $status
