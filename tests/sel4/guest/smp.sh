#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 SMP check (tests/sel4/run-demo.py --scenario smp).
# What the guest's own kernel sees: how many CPUs came up through PSCI
# CPU_ON, one busy worker pinned to each CPU making progress, the IPIs each
# CPU took (the vGIC's SGIs), and a CPU taken offline (PSCI CPU_OFF) and
# brought back (CPU_ON again). Every line starts "smp test:" for the script.
dmesg -n 1
n=$(nproc)
echo "smp test: online=$(cat /sys/devices/system/cpu/online) nproc=$n"

# Busy jiffies (user + nice + system) of cpuN from /proc/stat.
busy() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 }' /proc/stat
}

seconds=${STDVMM_SMP_SECONDS:-8}
i=0
while [ "$i" -lt "$n" ]; do
	eval "before$i=$(busy $i)"
	# One worker per CPU, pinned: a counter it bumps until told to stop.
	taskset -c "$i" sh -c 'k=0; while [ ! -e /tmp/stop ]; do k=$((k + 1)); done; echo $k > /tmp/count.'"$i" &
	i=$((i + 1))
done
sleep "$seconds"
touch /tmp/stop
wait
i=0
while [ "$i" -lt "$n" ]; do
	eval "b=\$before$i"
	echo "smp test: cpu$i loops=$(cat /tmp/count.$i 2>/dev/null || echo 0) busy_jiffies=$(($(busy $i) - b))"
	i=$((i + 1))
done
# IPI counts per CPU: the "IPI0"/"Rescheduling interrupts" row of /proc/interrupts.
echo "smp test: resched_ipis=$(awk '/Rescheduling/ { s = ""; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s = s (s ? "," : "") $i; print s }' /proc/interrupts)"

# A disk, if the VM has one: read it, then where its interrupts were taken.
if [ -b /dev/vda ]; then
	dd if=/dev/vda of=/dev/null bs=64k 2>/dev/null
	echo "smp test: disk_irqs=$(awk '/virtio/ && !done { s = ""; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s = s (s ? "," : "") $i; print s; done = 1 }' /proc/interrupts)"
fi

last=$((n - 1))
if [ "$last" -gt 0 ] && [ -w /sys/devices/system/cpu/cpu$last/online ]; then
	echo 0 > /sys/devices/system/cpu/cpu$last/online
	echo "smp test: after offline online=$(cat /sys/devices/system/cpu/online)"
	echo 1 > /sys/devices/system/cpu/cpu$last/online
	echo "smp test: after online online=$(cat /sys/devices/system/cpu/online)"
	taskset -c "$last" sh -c 'echo "smp test: ran on cpu$(awk "{print \$39}" /proc/self/stat) after hotplug"'
fi
echo "smp test: done"
