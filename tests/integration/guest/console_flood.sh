#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of console_flood: floods the console (hvc0) with 256 KiB as
# fast as the guest can write them (big writes, not a line per process;
# about 16 KiB/s in the emulated test host), then pauses long enough for
# the host's rate limit to let a line through again, and says it is done.
yes "flood 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz" |
	head -c 262144 >/tmp/flood
echo "stdvmm-test: flooding"
cat /tmp/flood
echo "stdvmm-test: flood over"
sleep 3
echo "stdvmm-test: console_flood ok"
