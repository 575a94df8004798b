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
# The devices behind the IOMMU probe once its driver is there (deferred probe).
i=0
while { [ ! -b /dev/vda ] || [ ! -e /sys/class/net/eth0 ]; } && [ $i -lt 60 ]; do
	sleep 1
	i=$((i + 1))
done
echo "stdvmm-test: iommu waited=$i"
n=0
for d in /sys/bus/virtio/drivers/virtio_iommu/virtio*; do
	[ -e "$d" ] && n=$((n + 1))
done
echo "stdvmm-test: iommu_driver=$n"
echo "stdvmm-test: iommu_class=$(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ')"
groups=0 members=""
for g in /sys/kernel/iommu_groups/*; do
	[ -e "$g" ] || continue
	groups=$((groups + 1))
	for dev in "$g"/devices/*; do
		members="$members${dev##*/} "
	done
done
echo "stdvmm-test: iommu_groups=$groups"
echo "stdvmm-test: iommu_members=$members"
dmesg | grep -i -E 'virtio.iommu|iommu group' | head -n 8 | sed 's/^/stdvmm-test: dmesg: /'

sh /tests/blk_region.sh &
sh /tests/net.sh >/tmp/net.log 2>&1 &
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
	for v in /sys/bus/virtio/devices/virtio*; do
		[ "$(cat "$v/device")" = 0x0001 ] || continue
		plat=$(basename "$(dirname "$(readlink -f "$v")")")
		echo "$plat" >/sys/bus/platform/drivers/virtio-mmio/unbind
		echo "stdvmm-test: hostile on the NIC $plat"
		if stdvmm-hostile "${plat%%.*}" access-platform >/tmp/hostile.log 2>&1; then
			echo "stdvmm-test: hostile=ok"
		else
			echo "stdvmm-test: hostile=failed $?"
		fi
		grep '^hostile: ok' /tmp/hostile.log | sed 's/^/stdvmm-test: /'
	done
	echo "stdvmm-test: guest_faults=$(dmesg | grep -c 'fault from EP')"
	dmesg | grep 'fault from EP' | head -n 3 | sed 's/^/stdvmm-test: dmesg: /'
fi
wait
