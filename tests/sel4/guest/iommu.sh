#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of run-demo.py --scenario iommu: this VM's disk (a region of
# the board's disk) and NIC (on the switch) sit behind the virtio-iommu in
# its VMM. Reports whether the driver (built out of tree by the guest kit,
# loaded by /init after virtio_mmio) is bound and the devices are in IOMMU
# groups, then runs the disk check (blk_region.sh, stdvmm.blk=beta) and the
# network check (net.sh, stdvmm.net=client,...) through the guest's
# mappings. With iommu.hostile=1, once the network check is done, the NIC is
# unbound and stdvmm-hostile drives it from user space with guest-physical
# rings and buffers its domain does not map: the VMM must refuse and report
# them while the disk's ticks go on.
dmesg -n 1
hostile=0
for arg in $(cat /proc/cmdline); do # words, not lines
	case $arg in
	iommu.hostile=1) hostile=1 ;;
	esac
done
# shellcheck source=tests/integration/guest/iommu_lib.sh
. /tests/iommu_lib.sh # the KVM check's (tests/integration/guest)
iommu_report
cls=""
for c in /sys/class/iommu/*; do
	[ -e "$c" ] && cls="$cls${c##*/} "
done
echo "stdvmm-test: iommu_class=$cls"
dmesg | grep -i -E 'virtio.iommu|iommu group' | head -n 8 | sed 's/^/stdvmm-test: dmesg: /'

sh /tests/blk_region.sh &
: >/tmp/net.log # before tail opens it: the redirection below may come later
sh /tests/net.sh >>/tmp/net.log 2>&1 &
net=$!
tail -f /tmp/net.log &
if [ "$hostile" = 1 ]; then
	i=0
	until grep -q "tcp .* MB/s\|no eth0\|failed" /tmp/net.log || [ $i -ge 900 ]; do
		sleep 1
		i=$((i + 1))
	done
	kill "$net"
	sleep 2
	iommu_hostile 0x0001 # the NIC
fi
wait
