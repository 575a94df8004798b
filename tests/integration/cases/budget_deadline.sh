#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A budget carried by SCHED_DEADLINE (docs/multicore.md), which `placement`
# does not reach: a busy 1-vCPU guest whose vCPU may run on every host CPU
# boots under budget 80ms/100ms as a deadline reservation, which changes to
# 20ms/100ms at run time. That must hold the vCPU thread to 15-25% of one
# CPU over 6 s: its CPU time (/proc stat) against the host's elapsed time
# (/proc/uptime), both from the clock the scheduler replenishes budgets with.
# The VM's device thread (virtio-rng) sits in a cgroup v2 of its own whose
# cpu.max follows the vCPU's budget (issue #15: device workers inside the
# VM's CPU budget).
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
SOCK=$TEST_TMP/vm.sock
# shellcheck source=tests/integration/cases/lib/budget.sh
. "${0%/*}/lib/budget.sh"
trap cleanup EXIT

# SCHED_DEADLINE: policy 6 in the thread's sched file.
start_vm "stdvmm.test=busy" --api-socket "$SOCK" --placement "budget=$BOOT_BUDGET" --rng
measure deadline deadline
grep -E '^policy +: +6$' "/proc/$VM_PID/task/$tid/sched" ||
	fail "vcpu0 is not SCHED_DEADLINE: $(grep '^policy' "/proc/$VM_PID/task/$tid/sched")"
dcg=$(rng_cgroup "$VM_PID")
echo "rng device thread's cgroup: $dcg"
case $dcg in */stdvmm-*/devices) ;; *) fail "the rng device thread is in '$dcg', not the VM's devices cgroup" ;; esac
dmax=$(cat "/sys/fs/cgroup$dcg/cpu.max")
echo "devices cpu.max: $dmax"
[ "$dmax" = "20000 100000" ] || fail "the devices cgroup has cpu.max '$dmax', expected 20000 100000"
stop_vm

trap - EXIT
echo "PASS: budget 20ms/100ms as a SCHED_DEADLINE reservation, and as the device threads' cpu.max"
