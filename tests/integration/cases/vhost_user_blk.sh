#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# vhost-user-blk: the guest's /dev/vda is served by qemu-storage-daemon
# over vhost-user. The guest makes ext4, writes a file with a known
# checksum, syncs and powers off; debugfs reads the same file out of the
# image on the host. Without the backend, stdvmm refuses to start and says
# why.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/vhost.sh
. "${0%/*}/lib/vhost.sh"
img=$TEST_TMP/vhost.img sock=$TEST_TMP/blk.sock qlog=$TEST_TMP/qsd.log
rm -f "$img" "$sock" "$qlog"
truncate -s 64M "$img"

# No backend listening: a clear error, exit status 1, no guest.
rc=0
"$STDVMM" run --kernel "$GUEST_KERNEL" --disk "vhost-user=$sock" --serial off </dev/null \
	2>"$TEST_TMP/absent.err" || rc=$?
echo "--- stdvmm without a backend (exit $rc):"
cat "$TEST_TMP/absent.err"
[ $rc = 1 ] || fail "stdvmm without a backend exited $rc, expected 1"
grep -q "no usable vhost-user backend at $sock" "$TEST_TMP/absent.err" ||
	fail "stdvmm did not say the backend is missing"

start_qsd "$img" "$sock" "$qlog"
echo "qemu-storage-daemon $("$QSD" --version | head -n 1) serves $img at $sock"
run_vm "stdvmm.test=vhost_user_blk" --disk "vhost-user=$sock" --log-level info
stop_backend "$QSD_PID"
echo "--- qemu-storage-daemon log:"
cat "$qlog"
expect_line "stdvmm-test: vhost_user_blk ok"
expect_rc 0 "guest powered off"
want=$(serial_value sha256)
[ -n "$want" ] || fail "the guest reported no checksum"
got=$(debugfs -R "cat /data.bin" "$img" 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "guest sha256 $want, host (debugfs) sha256 $got"
[ "$got" = "$want" ] || fail "the file in the image differs from what the guest wrote"
grep -q "vhost-user $sock: features" "$STDERR_LOG" || fail "stdvmm did not log the negotiation"
echo "PASS: ext4 written by the guest through qemu-storage-daemon reads back on the host"
