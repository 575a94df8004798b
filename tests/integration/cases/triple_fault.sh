#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A guest that triple-faults (Linux's reboot=t: an empty IDT, then int3)
# ends stdvmm under --no-reboot with status 4, like a reset it asked for,
# and stdvmm's log names the vCPU and says it was a triple fault (the
# hypervisor's shutdown exit, not the reset register the reboot case uses).
# The vCPU's registers are not logged: on AMD, KVM resets the vCPU before it
# reports the shutdown, so they would show the reset state.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=reboot reboot=t" --log-level info
expect_line "stdvmm-test: rebooting"
expect_rc 4 "guest triple fault under --no-reboot"
grep -q "vCPU 0: guest triple fault; treating it as a reset" "$STDERR_LOG" ||
	fail "no triple-fault line in stdvmm's log"
echo "PASS"
