#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --net user's forwards (QEMU's hostfwd= spelling) and restrict= on the
# command line: bad forwards, and restrict or hostfwd on other backends,
# are bad usage (exit 2) saying why, before any VM exists; good ones pass
# the parser (the missing kernel is refused next).
#
#   cli_net_user.sh STDVMM WORKDIR
set -eu
stdvmm=$1 work=$2
mkdir -p "$work"
kernel=$work/no-kernel
. "$(dirname "$0")/cli_check.sh"
bad="expected hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"
check 2 "$bad" --net "user,hostfwd=tcp:localhost:22-:22"
check 2 "$bad" --net "user,hostfwd=sctp::22-:22"
check 2 "$bad" --net "user,hostfwd=tcp::0-:22"
check 2 "$bad" --net "user,hostfwd=tcp::22-:65536"
check 2 "$bad" --net "user,hostfwd=tcp:1.2.3.256:22-:22"
check 2 "expected restrict=on or restrict=off" --net "user,restrict=maybe"
check 2 "hostfwd and restrict are for user networking only" --net "tap=t0,restrict=off"
check 2 "hostfwd and restrict are for user networking only" --net "tap=t0,hostfwd=tcp::1-:2"
check 1 "no-kernel: cannot open" --net "user,hostfwd=tcp:5556-:8080"
check 1 "no-kernel: cannot open" \
	--net "user,restrict=off,hostfwd=udp:0.0.0.0:5353-10.0.2.15:53,hostfwd=::2222-:22"
check 1 "no-kernel: cannot open" --net "user,restrict=on"
exit $status
