#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64 riscv64
# virtio-rng: the guest's hw_random core picks it, and 1 MiB reads from
# /dev/hwrng (not all zeros).
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=virtio_rng" --rng
expect_line "stdvmm-test: virtio_rng ok"
expect_rc 0 "guest powered off"
[ "$(serial_value rng_current)" = virtio_rng.0 ] ||
	fail "current hw_random source is '$(serial_value rng_current)', expected virtio_rng.0"
[ "$(serial_value bytes)" = 1048576 ] || fail "read $(serial_value bytes) bytes, expected 1048576"
[ "$(serial_value distinct)" -gt 200 ] || fail "the bytes do not look random"
echo "PASS: 1 MiB from /dev/hwrng in $(serial_value seconds)s of guest time"
