#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A 16-vCPU guest on the test host's 2 CPUs: the guest's SMP bring-up (INIT
# and startup IPIs from the boot CPU to every other) and its count of CPUs.
set -eu
VM_CPUS=16
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# Up to three boots, each retry shown in the log. In the emulated test host
# (QEMU 7.2 TCG with nested SVM, 16 vCPU threads on 2 CPUs) a guest this
# wide often fails to boot: a vCPU triple-faults, or one stops and the
# others wait for it (a soft lockup in text_poke_bp's IPIs). Debian's QEMU
# run as the VMM in the same host fails the same way, so it is the test
# host, not the VMM (docs/multicore.md "Limits"). A boot takes 15-35 s
# there; a hung one is cut at 55 s so that three fit the case's 180 s. A
# wrong count fails at once; three boots without one fail the case.
GUEST_TIMEOUT=55
VM_TIMEOUT_FAILS=0
for attempt in 1 2 3; do
	run_vm "stdvmm.test=cpus quiet"
	n=$(serial_value cpus)
	[ -n "$n" ] && break
	why="exit status $VM_RC"
	[ "$VM_HUNG" = 0 ] || why="no exit within ${GUEST_TIMEOUT}s"
	[ "$attempt" != 3 ] || fail "the guest did not report its processor count in three boots"
	echo "RETRY: attempt $attempt did not report its processor count ($why); booting again"
done
[ "$n" = 16 ] || fail "guest sees $n processors, expected 16"
expect_rc 0 "guest powered off"
echo "PASS: guest sees $n processors (attempt $attempt)"
