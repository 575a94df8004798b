#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The guest kit boots to its readiness line and powers off: exit status 0.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=readiness"
expect_line "stdvmm-guest: ready"
expect_line "stdvmm-test: readiness ok"
expect_rc 0 "guest powered off"
echo "PASS"
