#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64 riscv64
# virtio-blk: the guest makes ext4 on a fresh raw image, writes a file with
# a known checksum, syncs and powers off; debugfs on the host reads the
# same file out of the image. The disk id reaches the guest (GET_ID).
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
img=$TEST_TMP/ext4.img
rm -f "$img"
truncate -s 64M "$img"
run_vm "stdvmm.test=virtio_blk_ext4" --disk "path=$img,id=stdvmm-test-disk"
expect_line "stdvmm-test: virtio_blk_ext4 ok"
expect_rc 0 "guest powered off"
[ "$(serial_value serial)" = stdvmm-test-disk ] ||
	fail "the guest read serial '$(serial_value serial)', expected stdvmm-test-disk"
want=$(serial_value sha256)
[ -n "$want" ] || fail "the guest reported no checksum"
got=$(debugfs -R "cat /data.bin" "$img" 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "guest sha256 $want, host (debugfs) sha256 $got"
[ "$got" = "$want" ] || fail "the file in the image differs from what the guest wrote"
# The guest deleted a second file and trimmed: the image must have holes again.
used=$(du -k "$img" | cut -f1)
echo "image uses ${used} KiB after fstrim"
[ "$(serial_value trimmed)" = yes ] || fail "fstrim failed in the guest"
echo "PASS: ext4 written by the guest reads back on the host"
