#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# init=/nonexistent: the guest's /init cannot exec it and exits, the kernel
# panics, pvpanic tells stdvmm, which exits with status 3 and says so.
# Not riscv64: Debian's riscv64 kernel has neither pvpanic nor pstore/ramoops
# (CONFIG_PVPANIC is not set), and SBI's reset carries no panic reason, so
# stdvmm sees the panic's reboot as a reset (status 4, measured).
# integration-arches: x86_64 aarch64
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "init=/nonexistent"
# The readiness line proves the panic is the intended one, after /init ran.
expect_line "stdvmm-guest: ready"
expect_rc 3 "guest kernel panicked"
grep -qi 'panic' "$STDERR_LOG" || grep -q 'Kernel panic' "$SERIAL_LOG" ||
	fail "neither stdvmm's stderr nor the guest's output mentions the panic"
echo "PASS"
