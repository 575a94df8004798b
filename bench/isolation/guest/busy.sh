#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# One busy loop per guest CPU, forever: the host side measures how much CPU
# time each vCPU thread gets under its placement, then stops the VMM.
n=$(grep -c '^processor' /proc/cpuinfo)
i=0
while [ "$i" -lt "$n" ]; do
	(while :; do :; done) &
	i=$((i + 1))
done
echo "stdvmm-test: busy=$n"
wait
