#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of shared_region, VM shm-b: member 1 of chan (rw, doorbells).
# Waits for shm-a's ring, reads its 1 MiB, answers with 1 MiB of its own in
# the second half and rings shm-a.
set -eu
dmesg -n 1
echo "stdvmm-test: regions=$(stdvmm-shm list | sort | tr '\n' ' ')"
echo "stdvmm-test: chan=$(stdvmm-shm info chan)"
if rings=$(stdvmm-shm wait chan 1 400); then
	stdvmm-shm read chan 0 1048576 >/tmp/got
	echo "stdvmm-test: from_a=$(sha256sum /tmp/got | cut -d' ' -f1) rings=$rings"
else
	echo "stdvmm-test: from_a=timeout"
fi
dd if=/dev/urandom of=/tmp/msg bs=1048576 count=1 2>/dev/null
echo "stdvmm-test: sha_b=$(sha256sum /tmp/msg | cut -d' ' -f1)"
stdvmm-shm write chan 1048576 </tmp/msg
stdvmm-shm ring chan 0
echo "stdvmm-test: shm_b done"
sleep 900
