#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the virtio-iommu checks of both ports (virtio_iommu.sh here,
# tests/sel4/guest/iommu.sh on seL4, whose kit ships this file too); does
# nothing when run on its own.

# iommu_report: waits for /dev/vda and eth0 (behind the IOMMU they probe
# once its driver is there: deferred, asynchronous), then prints whether the
# virtio-iommu driver is bound and which devices are in IOMMU groups.
iommu_report() {
	i=0
	while { [ ! -b /dev/vda ] || [ ! -e /sys/class/net/eth0 ]; } && [ $i -lt 60 ]; do
		sleep 1
		i=$((i + 1))
	done
	echo "stdvmm-test: waited=$i"
	n=0
	for d in /sys/bus/virtio/drivers/virtio_iommu/virtio*; do
		[ -e "$d" ] && n=$((n + 1))
	done
	echo "stdvmm-test: iommu_driver=$n"
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
	# What the groups keep out of the IOVA space (PROBE's reserved regions
	# among them): "START END TYPE" lines, joined with ';'.
	resv=$(cat /sys/kernel/iommu_groups/*/reserved_regions 2>/dev/null | sort -u | tr '\n' ';')
	echo "stdvmm-test: iommu_resv=$resv"
}

# iommu_hostile DEVICE_ID (e.g. 0x0004): unbinds the virtio device of that
# ID from its driver and lets stdvmm-hostile drive it from user space, where
# every ring and buffer it names is a guest-physical address the device's
# IOMMU domain does not map; prints the outcome and the guest's fault events.
iommu_hostile() {
	for v in /sys/bus/virtio/devices/virtio*; do
		[ "$(cat "$v/device")" = "$1" ] || continue
		plat=$(basename "$(dirname "$(readlink -f "$v")")")
		case $plat in
		*.*) base=${plat%%.*} ;; # device tree: BASE.virtio_mmio
		*) # ACPI: LNRO0005:NN, whose window /proc/iomem names
			base=$(awk -v n="$plat" '$0 ~ n { split($1, r, "-"); print r[1]; exit }' /proc/iomem) ;;
		esac
		echo "$plat" >/sys/bus/platform/drivers/virtio-mmio/unbind
		echo "stdvmm-test: hostile_device=$plat at $base"
		if stdvmm-hostile "$base" access-platform >/tmp/hostile.log 2>&1; then
			echo "stdvmm-test: hostile=ok"
		else
			echo "stdvmm-test: hostile=failed $?"
		fi
		grep '^hostile: ok' /tmp/hostile.log | sed 's/^/stdvmm-test: /'
	done
	echo "stdvmm-test: guest_faults=$(dmesg | grep -c 'fault from EP')"
	dmesg | grep 'fault from EP' | head -n 3 | sed 's/^/stdvmm-test: dmesg: /'
}
