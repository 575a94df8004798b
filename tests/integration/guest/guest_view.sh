#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Prints what the guest kernel sees of its machine (command line, CPU
# flags, mitigations, CPUs, clock source, memory map), one "view:" line
# each, so that the views of two VMMs can be compared line by line
# (bench/boot/run.sh --guest-view).
v() { echo "view: $1: $2"; }
v cmdline "$(cat /proc/cmdline)"
v flags "$(awk -F': ' '/^flags/ { print $2; exit }' /proc/cpuinfo)"
v bugs "$(awk -F': ' '/^bugs/ { print $2; exit }' /proc/cpuinfo)"
v model "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
for f in /sys/devices/system/cpu/vulnerabilities/*; do
	v "vuln ${f##*/}" "$(cat "$f")"
done
for f in possible present online; do
	v "cpus $f" "$(cat /sys/devices/system/cpu/$f)"
done
v clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
v thp "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
grep -E '^(MemTotal|DirectMap|PageTables)' /proc/meminfo | while read -r l; do v meminfo "$l"; done
dmesg | grep -iE 'e820|isolation|pcid|mitigat|spectre|meltdown|retbleed|srso|x2apic|smp|alternatives|clocksource|tsc|kvm|paravirt|hypervisor|hugepage|apic|acpi: (madt|fadt)|nr_cpu|possible|pti|ibrs|ibpb|stibp|ssb|mds|tlb|pv' |
	sed 's/^\[[^]]*\] //' | while read -r l; do v dmesg "$l"; done
v interrupts "$(grep -E 'LOC|TLB|CAL|RES' /proc/interrupts | tr -s ' ' | tr '\n' '|')"
