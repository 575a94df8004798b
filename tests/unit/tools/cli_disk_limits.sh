#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --disk's rate limits on the command line: halves of a bucket, bad values
# and limits on a vhost-user disk are bad usage (exit 2) saying why, before
# any VM exists; a whole limit passes the parser (the missing kernel is
# refused next).
#
#   cli_disk_limits.sh STDVMM WORKDIR
set -eu
stdvmm=$1 work=$2
mkdir -p "$work"
: >"$work/disk.img"
status=0
# shellcheck source=tests/unit/tools/cli_check.sh
. "${0%/*}/cli_check.sh"
check() { cli_check --disk "$@"; } # WANT_RC WANT_TEXT DISK
d=path=$work/disk.img
check 2 "needs its size and its refill time" "$d,bw_size=1M"
check 2 "needs its size and its refill time" "$d,ops_refill_time=100"
check 2 "needs its size and its refill time" "$d,ops_size=10,ops_refill_time=3600001"
check 2 "needs its size and its refill time" "$d,bw_one_time_burst=1M"
check 2 "'bw_size=1Q': expected a size such as 10M" "$d,bw_size=1Q,bw_refill_time=100"
check 2 "'ops_size=-1': expected a whole number" "$d,ops_size=-1,ops_refill_time=100"
check 2 "rate limits are the backend's" "vhost-user=$work/s,ops_size=5,ops_refill_time=10"
check 1 "no-kernel: cannot open" \
	"$d,bw_size=1M,bw_refill_time=1000,bw_one_time_burst=4M,ops_size=100,ops_refill_time=1000"
exit $status
