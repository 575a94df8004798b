#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The VMM's seccomp sandbox (docs/security.md): a forbidden system call
# from a device thread (the test-only trigger STDVMM_TEST_SECCOMP_TRIP,
# read from the environment at start) stops the VMM with SIGSYS, jailed or
# not, and its log names the thread and the call; --seccomp=off is the
# way out for debugging.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"

echo "== a forbidden call from a device thread"
STDVMM_TEST_SECCOMP_TRIP=device run_vm "stdvmm.test=virtio_rng" --rng
expect_rc 159 "killed by SIGSYS (128 + 31)"
grep -q "seccomp: the device thread (tid [0-9]*) made system call [0-9]* (getppid," "$STDERR_LOG" ||
	fail "the VMM's log does not name the device thread and getppid"

echo "== the same, jailed: the supervisor outside the pid namespace ends with SIGSYS too"
STDVMM_TEST_SECCOMP_TRIP=device run_vm "stdvmm.test=virtio_rng" --rng --jail "$TEST_TMP/jail"
expect_rc 159 "killed by SIGSYS (128 + 31)"
grep -q "seccomp: the device thread (tid [0-9]*) made system call [0-9]* (getppid," "$STDERR_LOG" ||
	fail "the jailed VMM's log does not name the device thread and getppid"

echo "== --seccomp=off: the same call is made and the guest runs to its end"
STDVMM_TEST_SECCOMP_TRIP=device run_vm "stdvmm.test=readiness" --rng --seccomp=off
expect_rc 0 "guest powered off"
expect_line "stdvmm-test: readiness ok"
grep -q "STDVMM_TEST_SECCOMP_TRIP=device: making a forbidden system call" "$STDERR_LOG" ||
	fail "the device thread did not make the call with --seccomp=off"
echo "PASS: a device thread's forbidden call ends the VMM with SIGSYS (plain and jailed) and the log names it; --seccomp=off lets it through"
