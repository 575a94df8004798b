#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of vhost_user_iommu: the NIC served by dpdk-testpmd probes
# behind the virtio-iommu (deferred until its driver is there), reports
# its IOMMU group, then runs vhost_user_net's pings through it.
set -eu
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 60 ]; do
	sleep 1
	i=$((i + 1))
done
n=0
for d in /sys/bus/virtio/drivers/virtio_iommu/virtio*; do
	[ -e "$d" ] && n=$((n + 1))
done
echo "stdvmm-test: iommu_driver=$n"
# eth0's virtio device sits on its transport's platform device, which the group holds.
plat=$(readlink -f /sys/class/net/eth0/device/..)
group=none
[ -e "$plat/iommu_group" ] && group=$(basename "$(readlink -f "$plat/iommu_group")")
echo "stdvmm-test: nic_group=$group"
echo "stdvmm-test: nic_dev=${plat##*/}"
# shellcheck source=tests/integration/guest/vhost_user_net.sh
. /tests/vhost_user_net.sh
