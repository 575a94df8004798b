#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A 16-vCPU guest on the test host's 2 CPUs: the guest's SMP bring-up (INIT
# and startup IPIs from the boot CPU to every other) and its count of CPUs.
set -eu
VM_CPUS=16
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=cpus quiet"
n=$(serial_value cpus)
[ -n "$n" ] || fail "the guest did not report its processor count"
[ "$n" = 16 ] || fail "guest sees $n processors, expected 16"
expect_rc 0 "guest powered off"
echo "PASS: guest sees $n processors"
