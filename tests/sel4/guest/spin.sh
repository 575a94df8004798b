#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 scheduling check (run-demo.py --scenario sched): a
# CPU-bound loop that reports how far it got every 20000 rounds. Rarely, as
# printing costs the core time outside the VMs' budgets (VMM exits, the
# admin's console). Progress per second of real time is the share of the
# core this VM got.
dmesg -n 1
total=0
while :; do
	k=0
	while [ "$k" -lt 20000 ]; do
		k=$((k + 1))
	done
	total=$((total + k))
	echo "spin: $total"
done
