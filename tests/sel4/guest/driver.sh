#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 driver-VM check (run-demo.py --scenario driver).
# The role comes from the command line (stdvmm.role=ROLE):
#   server  the driver VM: it owns the board's disk (/dev/vda, passthrough)
#           and serves the other VMs' regions of it with stdvmm-blkserve
#           (src/driver_vm), reached by its VMM over vsock
#   qsd     the same, with Debian's qemu-storage-daemon exporting /dev/vda as
#           vhost-user-blk and stdvmm-blkserve handing every request to it
#   alpha   a user VM whose vda is its region, served by the driver VM:
#           no file system yet: make ext4, write 16 MiB from /dev/urandom,
#           print its SHA-256 and rate, power off; a file system there (its
#           second boot): read the file back, print its SHA-256 and rate
#   beta    a user VM writing and reading 1 MiB at its region's start in a
#           loop, printing each round's result and time: ok, or the error
#           (while the driver VM is away), until powered off
# Every line the host waits for starts with "stdvmm-test:".
dmesg -n 1
role=""
for arg in $(cat /proc/cmdline); do
	case $arg in
	stdvmm.role=*) role=${arg#stdvmm.role=} ;;
	esac
done
dev=/dev/vda
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b $dev ] && break; sleep 1; done
[ -b $dev ] || { echo "stdvmm-test: $role: no $dev"; exit 0; }
echo "stdvmm-test: $role vda sectors=$(cat /sys/block/vda/size) serial=$(cat /sys/block/vda/serial 2>/dev/null)"
. /tests/disk_file.sh

case $role in
server)
	exec /usr/bin/stdvmm-blkserve $dev
	;;
qsd)
	sock=/run/qsd.sock
	/usr/bin/qemu-storage-daemon \
		--blockdev "driver=host_device,node-name=disk0,filename=$dev,cache.direct=on" \
		--export "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=$sock,writable=on" \
		>/tmp/qsd.log 2>&1 &
	for _ in $(seq 1 50); do [ -S $sock ] && break; sleep 0.2; done
	[ -S $sock ] || { echo "stdvmm-test: qsd did not start: $(cat /tmp/qsd.log)"; exit 0; }
	echo "stdvmm-test: qsd exports $dev at $sock"
	exec /usr/bin/stdvmm-blkserve --vhost-user $sock
	;;
alpha)
	disk_file_roundtrip alpha $dev
	;;
beta)
	head -c 1048576 /dev/urandom >/tmp/pattern
	want=$(sha256sum </tmp/pattern | cut -d' ' -f1)
	i=0
	while :; do
		i=$((i + 1))
		t0=$(now)
		if dd if=/tmp/pattern of=$dev bs=65536 count=16 oflag=direct 2>/dev/null &&
			got=$(dd if=$dev bs=65536 count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1) &&
			[ "$got" = "$want" ]; then
			echo "stdvmm-test: beta round $i ok $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }') s"
		else
			echo "stdvmm-test: beta round $i error $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }') s"
			sleep 1
		fi
	done
	;;
esac
