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
status=0
check() { # WANT_RC WANT_TEXT NET
	rc=0
	"$stdvmm" run --kernel "$work/no-kernel" --serial off --net "$3" 2>"$work/err" </dev/null || rc=$?
	if [ "$rc" -ne "$1" ] || ! grep -qF -e "$2" "$work/err"; then
		echo "stdvmm run --net $3: exit $rc (want $1), stderr:"
		cat "$work/err"
		echo "(want it to say: $2)"
		status=1
	fi
}
check 2 "vhost=on is for tap=IFNAME only" "user,vhost=on"
check 2 "vhost=on is for tap=IFNAME only" "vhost-user=$work/s,vhost=on"
check 2 "expected vhost=on or vhost=off" "tap=t0,vhost=yes"
check 1 "no-kernel: cannot open" "tap=t0,vhost=on"
check 1 "no-kernel: cannot open" "tap=t0,vhost=off"
exit $status
