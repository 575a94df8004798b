#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The KVM reference for the seL4 disk figures (run-demo.py --scenario blk):
# the same guest kit and guest script (tests/sel4/guest/blk_region.sh, role
# alpha) under stdvmm on KVM in the aarch64 test host, on a 64 MiB raw image
# of its own: make a file system and write 16 MiB, then boot again and read
# it back. Run by tests/sel4/kvm-reference.sh; prints the rates it saw.
set -eu
. "${0%/*}/lib/guest.sh"
img=$TEST_TMP/alpha.img
rm -f "$img"
truncate -s 64M "$img"
VM_MEMORY=128M
run_vm "stdvmm.test=blk_region stdvmm.blk=alpha" --disk "path=$img,id=alpha-data"
expect_rc 0 "guest powered off"
wrote=$(tr -d '\r' <"$SERIAL_LOG" | sed -n 's/^stdvmm-test: alpha wrote //p')
[ -n "$wrote" ] || fail "the guest did not write its file"
run_vm "stdvmm.test=blk_region stdvmm.blk=alpha" --disk "path=$img,id=alpha-data"
expect_rc 0 "guest powered off"
read=$(tr -d '\r' <"$SERIAL_LOG" | sed -n 's/^stdvmm-test: alpha verify //p')
[ "${wrote%% *}" = "${read%% *}" ] || fail "read back '${read}', wrote '${wrote}'"
echo "KVM reference: wrote $wrote; read $read"
echo "PASS: the seL4 disk scenario's alpha role on KVM"
