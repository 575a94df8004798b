#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A system of three small VMs (96-128 MiB: Debian's kernel needs about 80
# MiB below the end of its init_size) under stdvmmd: all boot (each guest's
# own serial output says so), list shows them running, pause/resume, a
# graceful stop (the guest sees the ACPI power button and powers off: exit
# 0) and a forced stop (exit 5). manager_adopt.sh goes on with restarts
# and a manager killed with -9.
set -eu
# shellcheck source=tests/integration/cases/lib/manager.sh
. "${0%/*}/lib/manager.sh"
# quiet: every console byte is a VM exit, costly in the nested test host.
CMD="console=ttyS0 panic=-1 quiet"
write_system <<EOF
system: {memory: 512M, vcpus: 3, max_vms: 3}
vms:
  - {name: vm-a, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 128M, autostart: true}
  - {name: vm-b, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 96M, autostart: true}
  - {name: vm-c, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 128M, autostart: true}
EOF
start=$(date +%s)
mgr_start
# One deadline for the three, below the case's own timeout, so that a guest
# that hangs is reported with its serial log rather than killed silently.
deadline=$(($(date +%s) + 150))
for v in vm-a vm-b vm-c; do
	left=$((deadline - $(date +%s)))
	[ $left -gt 0 ] || left=1
	wait_serial $v "stdvmm-guest: ready" 1 $left
done
echo "three guests ready $(($(date +%s) - start)) s after the manager started"
ctl list
for v in vm-a vm-b vm-c; do
	[ "$(vm_field $v state)" = running ] || fail "$v is not running"
done
ctl info vm-a
ctl --json info vm-a | grep -q '"tid"' || fail "info lists no vCPU threads"

ctl pause vm-a
[ "$(vm_field vm-a state)" = paused ] || fail "vm-a not paused"
ctl resume vm-a
[ "$(vm_field vm-a state)" = running ] || fail "vm-a not resumed"

ctl stop vm-a --timeout 60 || fail "graceful stop of vm-a failed"
[ "$(serial_count vm-a "stdvmm-guest: power button: powering off")" = 1 ] ||
	fail "vm-a's guest did not see the power button"
[ "$(vm_exit_status vm-a)" = 0 ] || fail "vm-a exited $(vm_exit_status vm-a), not 0 (poweroff)"

ctl stop vm-b --force || fail "forced stop of vm-b failed"
[ "$(vm_exit_status vm-b)" = 5 ] || fail "vm-b exited $(vm_exit_status vm-b), not 5 (stopped)"

# Stopping its neighbours must not touch vm-c.
[ "$(vm_field vm-c state)" = running ] || fail "vm-c stopped with its neighbours"
echo "PASS ($(($(date +%s) - start)) s)"
