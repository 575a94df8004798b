#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of virtio_iommu: reports whether the virtio-iommu driver and
# IOMMU groups are there, checks the disk and the network, times them
# (iommu.bench=1), and with iommu.hostile=1 lets stdvmm-hostile loose on the
# virtio-rng device from user space (iommu.hostile=net: on the network
# interface, once its checks are done), where every ring and buffer it
# names is a guest-physical address the device's IOMMU domain does not map.
set -u
dmesg -n 1
bench=0 hostile=0 target=0x0004 # the virtio-rng device
for arg in $(cat /proc/cmdline); do # words, not lines
	case $arg in
	iommu.bench=1) bench=1 ;;
	iommu.hostile=1) hostile=1 ;;
	iommu.hostile=net) hostile=1 target=0x0001 ;;
	esac
done
now() { awk '{ print $1 }' /proc/uptime; }
rate() { # MIB SECONDS_START SECONDS_END
	awk -v m="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; if (d <= 0) d = 0.01; printf "%.2f", m / d }'
}

# shellcheck source=tests/integration/guest/iommu_lib.sh
. /tests/iommu_lib.sh
# shellcheck source=tests/integration/guest/net_lib.sh
. /tests/net_lib.sh
iommu_report

# The disk: 4 MiB of random data written, caches dropped, read back.
dd if=/dev/urandom of=/tmp/pattern bs=1048576 count=4 2>/dev/null
dd if=/tmp/pattern of=/dev/vda bs=1048576 count=4 conv=fsync 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
want=$(sha256sum </tmp/pattern | cut -d' ' -f1)
got=$(dd if=/dev/vda bs=1048576 count=4 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] && echo "stdvmm-test: disk=ok" || echo "stdvmm-test: disk=mismatch"

# The network: the TAP's host end answers pings, then serves a line.
net_guest_up eth0 192.168.77.2/24 192.168.77.1 ping
reply=""
for i in $(seq 10); do
	reply=$(echo hello-from-guest | timeout 20 nc 192.168.77.1 5555) && [ -n "$reply" ] && break
	sleep 1
done
echo "stdvmm-test: reply=$reply"

if [ "$bench" = 1 ]; then
	# Sequential disk read and write with the page cache bypassed, and what
	# the host's endless stream delivers in 5 s: A/B figures, not limits.
	t0=$(now)
	dd if=/dev/vda of=/dev/null bs=1048576 count=32 iflag=direct 2>/dev/null
	t1=$(now)
	dd if=/dev/zero of=/dev/vda bs=1048576 count=32 oflag=direct conv=fsync 2>/dev/null
	t2=$(now)
	echo "stdvmm-test: blk_read_mib_s=$(rate 32 "$t0" "$t1")"
	echo "stdvmm-test: blk_write_mib_s=$(rate 32 "$t1" "$t2")"
	t0=$(now)
	bytes=$(timeout 5 nc 192.168.77.1 5557 | wc -c)
	t1=$(now)
	echo "stdvmm-test: net_rx_mib_s=$(rate "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "$t0" "$t1")"
fi

if [ "$hostile" = 1 ]; then
	iommu_hostile $target
	# The disk still works behind the IOMMU after all that.
	got=$(dd if=/dev/vda bs=1048576 count=4 2>/dev/null | sha256sum | cut -d' ' -f1)
	echo 3 >/proc/sys/vm/drop_caches
	dd if=/tmp/pattern of=/dev/vda bs=1048576 count=4 conv=fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	got=$(dd if=/dev/vda bs=1048576 count=4 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$want" = "$got" ] && echo "stdvmm-test: disk_after=ok" || echo "stdvmm-test: disk_after=mismatch"
fi
dmesg | grep -i -E 'iommu|virtio' | tail -n 25 | sed 's/^/stdvmm-test: dmesg: /'
echo "stdvmm-test: virtio_iommu ok"
