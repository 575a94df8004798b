#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 disk check (run-demo.py --scenario blk): /dev/vda
# is this VM's region of the board's disk, served by the block server PD.
# The role comes from the command line (stdvmm.blk=ROLE):
#   alpha  no file system yet: make ext4 (e2fsprogs' mke2fs from the kit),
#          write 16 MiB from /dev/urandom into a file, sync,
#          print its SHA-256 and the write rate (urandom's time included),
#          power off. A file system already there
#          (the admin restarted the VM): print the file's SHA-256 and the
#          read rate from the disk (caches dropped), power off.
#   beta   check that the region starts zeroed (none of alpha's bytes), write
#          a 1 MiB pattern at its start and its last MiB, read both back,
#          try to read past its end (must fail), then write and read in a
#          loop, printing a tick after each, until powered off
#   gamma  read-only: read its region, try a write (must be refused), then
#          read in a loop, printing a tick each time
# Every line the host waits for starts with "stdvmm-test:".
dmesg -n 1
role=""
for arg in $(cat /proc/cmdline); do
	case $arg in
	stdvmm.blk=*) role=${arg#stdvmm.blk=} ;;
	esac
done
dev=/dev/vda
[ -b $dev ] || { echo "stdvmm-test: no $dev"; exit 0; }
sectors=$(cat /sys/block/vda/size)
echo "stdvmm-test: $role serial=$(cat /sys/block/vda/serial) ro=$(cat /sys/block/vda/ro) sectors=$sectors"

. /tests/disk_file.sh

case $role in
alpha)
	disk_file_roundtrip alpha $dev
	;;
beta)
	first=$(dd if=$dev bs=1M count=1 2>/dev/null | tr -d '\000' | wc -c)
	echo "stdvmm-test: beta nonzero_bytes_at_start=$first"
	yes BETA-PATTERN | head -c 1048576 >/tmp/pat
	want=$(sha256sum /tmp/pat | cut -d' ' -f1)
	last=$((sectors / 2048 - 1))
	dd if=/tmp/pat of=$dev bs=1M seek=0 conv=fsync 2>/dev/null
	dd if=/tmp/pat of=$dev bs=1M seek=$last conv=fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	a=$(dd if=$dev bs=1M count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
	b=$(dd if=$dev bs=1M skip=$last count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$a" = "$want" ] && [ "$b" = "$want" ] && echo "stdvmm-test: beta pattern ok" ||
		echo "stdvmm-test: beta pattern bad ($a $b, want $want)"
	got=$(dd if=$dev bs=512 skip=$sectors count=1 2>/dev/null | wc -c)
	echo "stdvmm-test: beta past_end_bytes=$got"
	n=0
	while :; do
		n=$((n + 1))
		dd if=/tmp/pat of=$dev bs=1M seek=8 conv=fsync 2>/dev/null
		echo 3 >/proc/sys/vm/drop_caches
		c=$(dd if=$dev bs=1M skip=8 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
		[ "$c" = "$want" ] && echo "stdvmm-test: beta tick $n ok" || echo "stdvmm-test: beta tick $n bad"
		sleep 1
	done
	;;
gamma)
	sha=$(dd if=$dev bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)
	echo "stdvmm-test: gamma read sha256=$sha"
	if dd if=/dev/zero of=$dev bs=512 count=1 conv=fsync 2>/dev/null; then
		echo "stdvmm-test: gamma write=accepted"
	else
		echo "stdvmm-test: gamma write=refused"
	fi
	n=0
	while :; do
		n=$((n + 1))
		echo 3 >/proc/sys/vm/drop_caches
		dd if=$dev bs=1M count=2 2>/dev/null | wc -c >/tmp/n
		echo "stdvmm-test: gamma tick $n read $(cat /tmp/n)"
		sleep 1
	done
	;;
*)
	echo "stdvmm-test: unknown role '$role'"
	;;
esac
