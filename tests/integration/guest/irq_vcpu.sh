#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of irq_vcpu: how many interrupts of vda's and vdb's virtio
# devices each CPU takes while that disk is read with O_DIRECT.
set -u
irq_of() { # vda -> the Linux interrupt of its virtio device ("virtio2")
	dev=$(basename "$(readlink "/sys/block/$1/device")")
	awk -v d="$dev" '$NF == d { sub(":", "", $1); print $1 }' /proc/interrupts
}
count() { # IRQ CPU -> that CPU's count of IRQ
	awk -v i="$1:" -v c="$2" '$1 == i { print $(c + 2) }' /proc/interrupts
}
read_disk() { # 512 reads of 4 KiB, each its own request and completion
	dd if="/dev/$1" of=/dev/null bs=4096 count=512 iflag=direct 2>/dev/null || {
		echo 3 >/proc/sys/vm/drop_caches
		dd if="/dev/$1" of=/dev/null bs=4096 count=512 2>/dev/null
	}
}
for d in vda vdb; do
	irq=$(irq_of "$d")
	echo "stdvmm-test: ${d}_irq=$irq"
	echo "stdvmm-test: ${d}_affinity=$(cat "/proc/irq/$irq/effective_affinity_list" 2>/dev/null)"
	a0=$(count "$irq" 0) a1=$(count "$irq" 1)
	read_disk "$d"
	b0=$(count "$irq" 0) b1=$(count "$irq" 1)
	echo "stdvmm-test: ${d}_cpu0=$((b0 - a0))"
	echo "stdvmm-test: ${d}_cpu1=$((b1 - a1))"
done
grep virtio /proc/interrupts
echo "stdvmm-test: irq_vcpu measured"
# The host reads stdvmm's own view (the per-VM socket's info) meanwhile.
sleep 10
echo "stdvmm-test: irq_vcpu ok"
