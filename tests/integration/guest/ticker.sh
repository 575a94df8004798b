#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Prints a counter twice a second until the VM is stopped from outside: a
# paused VM stops counting, a resumed one goes on.
n=0
while :; do
	echo "stdvmm-test: tick $n"
	n=$((n + 1))
	sleep 0.5
done
