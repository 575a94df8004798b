#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of shared_region, VM shm-a: member 0 of chan (rw, doorbells)
# and of board (rw). Leaves a note on board for shm-c, writes 1 MiB into
# chan for shm-b and rings it, then waits for shm-b's 1 MiB and its ring.
set -eu
dmesg -n 1
echo "stdvmm-test: regions=$(stdvmm-shm list | sort | tr '\n' ' ')"
echo "stdvmm-test: chan=$(stdvmm-shm info chan)"
echo "board from a" | stdvmm-shm write board 0
dd if=/dev/urandom of=/tmp/msg bs=1048576 count=1 2>/dev/null
echo "stdvmm-test: sha_a=$(sha256sum /tmp/msg | cut -d' ' -f1)"
stdvmm-shm write chan 0 </tmp/msg
stdvmm-shm ring chan 1
if rings=$(stdvmm-shm wait chan 1 400); then
	stdvmm-shm read chan 1048576 1048576 >/tmp/got
	echo "stdvmm-test: from_b=$(sha256sum /tmp/got | cut -d' ' -f1) rings=$rings"
else
	echo "stdvmm-test: from_b=timeout"
fi
echo "stdvmm-test: shm_a done"
sleep 900
