#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The guest's own poweroff ends stdvmm with status 0 and no panic.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=poweroff"
expect_line "stdvmm-test: powering off"
if grep -qi 'panic' "$STDERR_LOG" || grep -q 'Kernel panic' "$SERIAL_LOG"; then
	fail "a panic was reported for a clean poweroff"
fi
expect_rc 0 "guest powered off"
echo "PASS"
