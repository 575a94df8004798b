#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64 riscv64
# virtio-blk readonly=on: the guest sees a read-only disk, reads it, and
# writes fail even after the guest marks the device writable (so the device
# itself refuses them); the image's bytes do not change.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
img=$TEST_TMP/ro.img
dd if=/dev/urandom of="$img" bs=1048576 count=8 2>/dev/null
before=$(sha256sum "$img" | cut -d' ' -f1)
run_vm "stdvmm.test=virtio_blk_readonly" --disk "path=$img,readonly=on"
expect_line "stdvmm-test: virtio_blk_readonly ok"
expect_rc 0 "guest powered off"
after=$(sha256sum "$img" | cut -d' ' -f1)
[ "$before" = "$after" ] || fail "the read-only image changed"
[ "$(serial_value read_sha256)" = "$before" ] || fail "the guest read other bytes than the image's"
[ "$(serial_value ro)" = 1 ] || fail "the guest did not see a read-only disk"
[ "$(serial_value write)" = refused ] || fail "a write to the read-only disk did not fail"
[ "$(serial_value forced_write)" = refused ] ||
	fail "a write after blockdev --setrw did not fail: the device let it through"
echo "PASS: read-only disk refuses writes; image unchanged"
