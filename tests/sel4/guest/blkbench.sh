#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of bench/sel4/libvmm.sh --example virtio (a benchmark, not a
# check): times a sequential read of the whole of vda, then a sequential
# write of all of it, by the guest's own clock, and prints one line:
#   BLKBENCH bytes=N read_s=T write_s=T
# The same script runs under stdvmm and under libvmm's examples/virtio.
# libvmm's example has two client VMs with one kernel, one initramfs and one
# command line between them: the disk of the one that is to stay idle (its
# partition) starts with the word LIBVMMIDLE, so only one client measures.
#
# blkbench.queue=KB,N on the command line bounds the disk's requests to KB
# KiB each and N in flight (max_sectors_kb, nr_requests), the same on both
# sides: libvmm's client stages every request in a 2 MiB data region and
# fails one that does not fit without ever returning it to the driver, so
# Linux's defaults (1 MiB dd blocks, a deep queue) stall it.
dmesg -n 1
queue=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^blkbench\.queue=//p')
if [ -n "$queue" ]; then
	if ! { echo "${queue%,*}" >/sys/block/vda/queue/max_sectors_kb &&
		echo "${queue#*,}" >/sys/block/vda/queue/nr_requests; }; then
		echo "BLKBENCH error: cannot set blkbench.queue=$queue"
		exit 1
	fi
	echo "blkbench: max_sectors_kb $(cat /sys/block/vda/queue/max_sectors_kb)," \
		"nr_requests $(cat /sys/block/vda/queue/nr_requests)"
fi
if [ "$(dd if=/dev/vda bs=10 count=1 2>/dev/null)" = LIBVMMIDLE ]; then
	echo "BLKBENCH idle"
	exit 0
fi
bytes=$(($(cat /sys/block/vda/size) * 512))
mib=$((bytes / 1048576))
[ "$mib" -gt 0 ] || {
	echo "BLKBENCH error: vda has $bytes bytes"
	exit 1
}
now() { cut -d' ' -f1 /proc/uptime; }
sync
echo 3 >/proc/sys/vm/drop_caches
s=$(now)
dd if=/dev/vda of=/dev/null bs=1M count="$mib" 2>/tmp/dd.err || {
	cat /tmp/dd.err
	echo "BLKBENCH error: read failed"
	exit 1
}
r=$(now)
dd if=/dev/zero of=/dev/vda bs=1M count="$mib" conv=fsync 2>/tmp/dd.err || {
	cat /tmp/dd.err
	echo "BLKBENCH error: write failed"
	exit 1
}
w=$(now)
echo "BLKBENCH bytes=$((mib * 1048576)) read_s=$(echo "$s $r" | awk '{ printf "%.2f", $2 - $1 }')" \
	"write_s=$(echo "$r $w" | awk '{ printf "%.2f", $2 - $1 }')"
