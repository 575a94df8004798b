#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# init=/nonexistent: the guest's /init cannot exec it and exits, the kernel
# panics, pvpanic tells stdvmm, which exits with status 3 and says so.
# riscv64: Debian's riscv64 kernel has neither pvpanic (CONFIG_PVPANIC is
# not set) nor pstore/ramoops (CONFIG_PSTORE is not set), and its panic=-1
# reboot is an SBI SRST cold reboot with reason "none", the same call a
# `reboot` makes: nothing a VMM can observe tells the two apart. So on
# riscv64 this case checks what stdvmm honestly sees: the panicking guest
# ends the VMM (no hang) with the reset status 4, and the panic is in the
# guest's own output, not reported by stdvmm (docs/riscv64.md).
# integration-arches: x86_64 aarch64 riscv64
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "init=/nonexistent"
# The readiness line proves the panic is the intended one, after /init ran.
expect_line "stdvmm-guest: ready"
if [ "$(uname -m)" = riscv64 ]; then
	expect_rc 4 "the panicking guest's SBI reset"
	grep -q 'Kernel panic' "$SERIAL_LOG" || fail "the guest's output has no kernel panic"
	echo "PASS: riscv64 panic seen as a reset (status 4; no panic device in the guest's kernel)"
	exit 0
fi
expect_rc 3 "guest kernel panicked"
grep -qi 'panic' "$STDERR_LOG" || grep -q 'Kernel panic' "$SERIAL_LOG" ||
	fail "neither stdvmm's stderr nor the guest's output mentions the panic"
echo "PASS"
