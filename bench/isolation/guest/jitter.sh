#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Wake-up jitter of this guest (bench/isolation): /usr/bin/jitter, then
# power off. Loops from bench.loops= on the kernel command line.
loops=3000
for a in $(cat /proc/cmdline); do
	case $a in bench.loops=*) loops=${a#bench.loops=} ;; esac
done
echo "stdvmm-test: jitter start"
jitter "$loops"
