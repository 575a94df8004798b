#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64 riscv64
# --console virtio: the console file receives the guest's readiness line
# through hvc0 (the UART's output is dropped in this mode, and /init prints
# it after moving to /dev/hvc0, so nothing else could have carried it).
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "console=hvc0 stdvmm.test=virtio_console" --console virtio
expect_line "stdvmm-guest: ready"
expect_line "stdvmm-test: console=/dev/hvc0"
expect_rc 0 "guest powered off"
echo "PASS: readiness line carried by virtio-console"
