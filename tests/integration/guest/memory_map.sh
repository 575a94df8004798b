#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of memory_map: where the kernel found RAM (/proc/iomem), how
# much (MemTotal), the kernel's own early memtest where it has one, then a
# stress of stdvmm.memcheck=MIB,SPLIT (stdvmm-memcheck: every word written
# and read back, and where its pages were).
set -eu
for arg in $(cat /proc/cmdline); do
	case $arg in
	stdvmm.memcheck=*) spec=${arg#stdvmm.memcheck=} ;;
	esac
done
ram=$(grep -E '^[0-9a-f]+-[0-9a-f]+ : System RAM$' /proc/iomem | sed 's/ : System RAM//' | tr '\n' ',')
echo "stdvmm-test: system_ram=${ram%,}"
echo "stdvmm-test: memtotal_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
echo "stdvmm-test: memtest_runs=$(dmesg | grep -c 'early_memtest: # of tests' || true)"
echo "stdvmm-test: memtest_bad=$(dmesg | grep -c 'bad mem addr' || true)"
out=$(stdvmm-memcheck "${spec%,*}" "${spec#*,}" 2>&1 || true)
echo "stdvmm-test: memcheck=$out"
