#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of hostile_guest: every virtio-mmio device is taken from its
# driver (unbind) and driven by stdvmm-hostile from user space.
set -u
dmesg -n 1
drv=/sys/bus/platform/drivers/virtio-mmio
n=0
for dev in "$drv"/LNRO0005:*; do
	[ -e "$dev" ] || continue
	name=${dev##*/}
	base=$(awk -v n="$name" '$0 ~ n { split($1, r, "-"); print r[1]; exit }' /proc/iomem)
	echo "$name" >"$drv/unbind"
	echo "stdvmm-test: device $name at $base unbound"
	if stdvmm-hostile "$base"; then
		n=$((n + 1))
	else
		echo "stdvmm-test: hostile driver failed on $name ($?)"
	fi
done
echo "stdvmm-test: hostile_devices=$n"
echo "stdvmm-test: hostile ok"
