#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A system of three small VMs (96-128 MiB: Debian's kernel needs about 80
# MiB below the end of its init_size) under stdvmmd: all boot (each guest's
# own serial output says so), list shows them running, pause/resume, a
# graceful stop (the guest sees the ACPI power button and powers off: exit
# 0) and a forced stop (exit 5). manager_adopt.sh goes on with restarts
# and a manager killed with -9. On the way, run-time vCPU migration
# through the manager (docs/multicore.md): vm-c owns pCPU 1 (dedicated), so
# moving vm-b there is refused (409) until vm-c gives it up; then vm-b's
# vCPU thread is allowed on pCPU 1 only, and budgets over 100% are refused.
set -eu
# shellcheck source=tests/integration/cases/lib/manager.sh
. "${0%/*}/lib/manager.sh"
# vm-b is not jailed: it gets a cgroup budget at run time below, which a
# jailed VMM cannot take yet (docs/security.md, "What is open").
CMD=$GUEST_BASE_CMDLINE
write_system <<EOF
system: {memory: 512M, vcpus: 3, max_vms: 3}
vms:
  - {name: vm-a, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 128M, autostart: true}
  - {name: vm-b, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 96M, autostart: true,
     cpus: {count: 1, pcpus: [0]}, jail: false}
  - {name: vm-c, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 128M, autostart: true,
     cpus: {count: 1, pcpus: [1], dedicated: true}}
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

# Run-time placement through stdvmmd.
vcpu_allowed() { # VM: Cpus_allowed_list of its vCPU 0 thread, by the tid the manager reports
	tid=$(ctl --json placement "$1" | sed -n 's/^ *"tid": \([0-9]*\),\{0,1\}$/\1/p' | head -n 1)
	[ -n "$tid" ] || fail "no vCPU thread id in the placement of $1"
	sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$tid/status"
}
ctl placement vm-b
[ "$(vcpu_allowed vm-b)" = 0 ] || fail "vm-b vcpu0 allowed on $(vcpu_allowed vm-b), expected 0"
if ctl vcpu vm-b 0 pcpus=1 2>"$TEST_TMP/refused"; then
	fail "moving vm-b onto vm-c's dedicated pCPU 1 was accepted"
fi
cat "$TEST_TMP/refused"
grep -q "pCPU 1 is dedicated to VM 'vm-c' vCPU 0 (HTTP 409)" "$TEST_TMP/refused" ||
	fail "the refusal is not a 409 naming vm-c and pCPU 1"
ctl vcpu vm-c 0 pcpus=0,shared || fail "vm-c giving up pCPU 1 refused"
ctl vcpu vm-b 0 pcpus=1 || fail "moving vm-b to pCPU 1 refused"
[ "$(vcpu_allowed vm-b)" = 1 ] || fail "vm-b vcpu0 allowed on $(vcpu_allowed vm-b) after the move, expected 1"
ctl placement vm-b | grep -q "run-time" || fail "the manager did not record vm-b's new placement"
ctl vcpu vm-b 0 budget=60ms/100ms || fail "a 60% budget for vm-b refused"
if ctl vcpu vm-c 0 pcpus=1,budget=50ms/100ms 2>"$TEST_TMP/refused"; then
	fail "a budget of 110% on pCPU 1 was accepted"
fi
cat "$TEST_TMP/refused"
grep -q "budgeted at 110%" "$TEST_TMP/refused" || fail "the budget refusal does not say why"
ctl vcpu vm-b 0 budget=none || fail "removing vm-b's budget refused"
echo "placement: vm-b moved to pCPU 1 through stdvmmd; onto a dedicated pCPU: 409; 110%: refused"

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
