#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# The custom-vmm example (examples/custom-vmm), built out of tree against the
# installed library by unit.install_example and staged beside stdvmm by
# run-suite.sh --vmm-bin, boots the guest kit: the guest reaches its ready
# line on the example's UART, reads the example's virtio-blk disk (the
# image's bytes and the serial the example gave the disk), powers off, and
# the example's own exit policy reports it and exits 0.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
vmm=${STDVMM%/*}/custom-vmm
[ -x "$vmm" ] || fail "no custom-vmm beside stdvmm (built by the unit test unit.install_example)"

img=$TEST_TMP/custom.img
dd if=/dev/zero of="$img" bs=1048576 count=4 2>/dev/null
printf 'custom-vmm-disk-%s\n' "$$" | dd of="$img" conv=notrunc 2>/dev/null
sum=$(sha256sum "$img" | cut -d' ' -f1)

rm -f "$SERIAL_LOG" "$STDERR_LOG"
cmdline="$GUEST_BASE_CMDLINE stdvmm.test=custom_vmm"
echo "+ custom-vmm KERNEL INITRD $img '$cmdline'"
VM_RC=0
timeout -k 5 "$GUEST_TIMEOUT" "$vmm" "$GUEST_KERNEL" "$GUEST_INITRD" "$img" "$cmdline" \
	</dev/null >"$SERIAL_LOG" 2>"$STDERR_LOG" || VM_RC=$?
echo "--- custom-vmm stderr:"
cat "$STDERR_LOG"
echo "--- guest console:"
cat "$SERIAL_LOG"
echo "--- custom-vmm exit status $VM_RC"

expect_line "stdvmm-guest: ready"
[ "$(serial_value disk_head)" = "custom-vmm-disk-$$" ] ||
	fail "the guest did not read the image's first line from /dev/vda"
[ "$(serial_value read_sha256)" = "$sum" ] || fail "the guest read other bytes than the image's"
[ "$(serial_value serial)" = custom-disk ] || fail "the disk's serial is not the one custom-vmm set"
grep -q '^custom-vmm: guest powered off after ringing the disk [1-9][0-9]* times$' "$STDERR_LOG" ||
	fail "custom-vmm's exit policy did not report the power-off"
expect_rc 0 "guest powered off"
echo "PASS: custom-vmm booted the guest, which read its virtio-blk disk and powered off"
