#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --cpus 2 gives the guest two processors (its own /proc/cpuinfo count).
set -eu
VM_CPUS=2
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=cpus"
n=$(serial_value cpus)
[ -n "$n" ] || fail "the guest did not report its processor count"
[ "$n" = 2 ] || fail "guest sees $n processors, expected 2"
expect_rc 0 "guest powered off"
echo "PASS: guest sees $n processors"
