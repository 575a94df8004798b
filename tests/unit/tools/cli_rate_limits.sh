#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --disk's and --net's rate limits, and --serial-rate, on the command line: halves of a bucket,
# bad values and limits where stdvmm does not move the data (vhost-user,
# vhost-net) are bad usage (exit 2) saying why, before any VM exists; a
# whole limit passes the parser (the missing kernel is refused next).
#
#   cli_rate_limits.sh STDVMM WORKDIR
set -eu
stdvmm=$1 work=$2
mkdir -p "$work"
: >"$work/disk.img"
kernel=$work/no-kernel
. "$(dirname "$0")/cli_check.sh"
d=path=$work/disk.img
check 2 "needs its size and its refill time" --disk "$d,bw_size=1M"
check 2 "needs its size and its refill time" --disk "$d,ops_refill_time=100"
check 2 "needs its size and its refill time" --disk "$d,ops_size=10,ops_refill_time=3600001"
check 2 "needs its size and its refill time" --disk "$d,bw_one_time_burst=1M"
check 2 "'bw_size=1Q': expected a size such as 10M" --disk "$d,bw_size=1Q,bw_refill_time=100"
check 2 "'ops_size=-1': expected a whole number" --disk "$d,ops_size=-1,ops_refill_time=100"
check 2 "rate limits are the backend's" --disk "vhost-user=$work/s,ops_size=5,ops_refill_time=10"
check 1 "no-kernel: cannot open" \
	--disk "$d,bw_size=1M,bw_refill_time=1000,bw_one_time_burst=4M,ops_size=100,ops_refill_time=1000"
check 2 "needs its size and its refill time" --net "user,bw_size=1M"
check 2 "'ops_refill_time=x': expected a whole number" --net "tap=t0,ops_size=1,ops_refill_time=x"
check 2 "'bw=1M': expected user, tap=IFNAME" --net "user,bw=1M"
check 2 "the kernel moves the frames" --net "tap=t0,vhost=on,bw_size=1M,bw_refill_time=100"
check 2 "rate limits are the backend's" --net "vhost-user=$work/s,ops_size=5,ops_refill_time=10"
check 1 "no-kernel: cannot open" --net "user,bw_size=1M,bw_refill_time=1000,ops_size=100,ops_refill_time=1000"
check 1 "no-kernel: cannot open" --net "tap=t0,bw_size=10M,bw_refill_time=1000,bw_one_time_burst=1M"
check 2 "--serial-rate 100: expected bytes per second, at least 1K" --serial-rate 100
check 2 "--serial-rate fast: expected bytes per second" --serial-rate fast
check 1 "no-kernel: cannot open" --serial-rate 64K
check 1 "no-kernel: cannot open" --serial-rate off
exit $status
