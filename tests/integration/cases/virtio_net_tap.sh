#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64 riscv64
# virtio-net with --net tap: stdvmm creates the TAP, the test puts an
# address on it, the guest pings it, then 4 MiB go each way over TCP
# (host httpd -> guest wget, guest httpd -> host wget) with checksum and
# segmentation offloads negotiated between guest and TAP (lib/tap.sh).
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
# shellcheck source=tests/integration/cases/lib/tap.sh
. "${0%/*}/lib/tap.sh"
tap_run stdvmm-tap0 tap=stdvmm-tap0
echo "PASS: ping over TAP, 4 MiB each way intact ($(serial_value down_seconds)s down)"
