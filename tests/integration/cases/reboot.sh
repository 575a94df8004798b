#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A guest that resets itself under --no-reboot ends stdvmm with status 4.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=reboot"
expect_line "stdvmm-test: rebooting"
expect_rc 4 "guest reset under --no-reboot"
echo "PASS"
