#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 demos: prints a numbered line every second, forever,
# so that another VM's restart can be seen not to interrupt it.
n=0
while :; do
	n=$((n + 1))
	echo "tick $n (uptime $(cut -d' ' -f1 /proc/uptime))"
	sleep 1
done
