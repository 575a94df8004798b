#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A 16-vCPU guest on the test host's 2 CPUs: the guest's SMP bring-up (INIT
# and startup IPIs from the boot CPU to every other) and its count of CPUs.
set -eu
VM_CPUS=16
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# One retry, shown in the log: in the emulated test host (QEMU TCG with
# nested SVM, 16 vCPU threads on 2 CPUs) a guest this wide sometimes loses
# a vCPU during boot (an RCU stall on one CPU, or a reset), with this stdvmm
# and with the previous one alike (docs/multicore.md "Limits"). A second
# failure fails the case.
for attempt in 1 2; do
	run_vm "stdvmm.test=cpus quiet"
	n=$(serial_value cpus)
	[ -n "$n" ] && break
	[ "$attempt" = 1 ] || fail "the guest did not report its processor count (twice)"
	echo "RETRY: attempt 1 did not report its processor count (exit status $VM_RC); booting again"
done
[ "$n" = 16 ] || fail "guest sees $n processors, expected 16"
expect_rc 0 "guest powered off"
echo "PASS: guest sees $n processors (attempt $attempt)"
