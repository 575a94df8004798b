#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --cpus 2 gives the guest two processors (its own /proc/cpuinfo count); on
# x86 they offer the TSC-deadline timer, which KVM emulates but leaves for
# the VMM to announce.
set -eu
VM_CPUS=2
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=cpus"
n=$(serial_value cpus)
[ -n "$n" ] || fail "the guest did not report its processor count"
[ "$n" = 2 ] || fail "guest sees $n processors, expected 2"
if [ "$(uname -m)" = x86_64 ]; then
	[ "$(serial_value tsc_deadline)" = 1 ] || fail "the guest's CPUs do not offer the TSC-deadline timer"
fi
expect_rc 0 "guest powered off"
echo "PASS: guest sees $n processors$([ "$(uname -m)" = x86_64 ] && echo ', with the TSC-deadline timer')"
