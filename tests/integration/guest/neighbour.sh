#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of hostile_guest's neighbour: 3 rounds of 8 MiB of random data
# written to its disk, read back past the page cache and compared.
set -u
dmesg -n 1
good=0
for round in 1 2 3; do
	dd if=/dev/urandom of=/tmp/data bs=1048576 count=8 2>/dev/null
	want=$(sha256sum </tmp/data | cut -d' ' -f1)
	dd if=/tmp/data of=/dev/vda bs=1048576 conv=fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	got=$(head -c 8388608 /dev/vda | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] && good=$((good + 1))
	echo "stdvmm-test: round $round want=$want got=$got"
done
echo "stdvmm-test: rounds_good=$good"
echo "stdvmm-test: last_sha256=$want"
echo "stdvmm-test: neighbour ok"
