#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# virtio-blk durability and locking: the guest writes and fsyncs (FLUSH),
# then stdvmm is killed with SIGKILL; the synced bytes are in the image.
# While the first VM holds the image writable, a second stdvmm refuses it.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
img=$TEST_TMP/kill.img
rm -f "$img"
truncate -s 16M "$img"
cmdline="$GUEST_BASE_CMDLINE stdvmm.test=virtio_blk_kill"
rm -f "$SERIAL_LOG"
"$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" --cmdline "$cmdline" \
	--memory "$VM_MEMORY" --serial "file=$SERIAL_LOG" --no-reboot --disk "path=$img" \
	</dev/null 2>"$STDERR_LOG" &
pid=$!
n=0
until serial_has "stdvmm-test: synced"; do
	n=$((n + 1))
	if [ $n -gt "$GUEST_TIMEOUT" ] || ! kill -0 $pid 2>/dev/null; then
		cat "$SERIAL_LOG" "$STDERR_LOG" 2>/dev/null
		kill -9 $pid 2>/dev/null
		fail "the guest never reported its synced write"
	fi
	sleep 1
done
# A second VMM must not get the image while the first holds it.
rc=0
"$STDVMM" run --kernel "$GUEST_KERNEL" --disk "path=$img" --serial off \
	</dev/null 2>"$TEST_TMP/second.err" || rc=$?
echo "--- second stdvmm (exit $rc):"
cat "$TEST_TMP/second.err"
kill -9 $pid
wait $pid 2>/dev/null || true
echo "--- guest serial log:"
cat "$SERIAL_LOG"
[ $rc = 1 ] || fail "a second stdvmm opening the same image exited $rc, expected 1"
grep -q "in use" "$TEST_TMP/second.err" || fail "the second stdvmm did not say the image is in use"
want=$(serial_value sha256)
got=$(dd if="$img" bs=1048576 skip=1 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "guest sha256 $want, image sha256 $got"
[ -n "$want" ] && [ "$got" = "$want" ] || fail "synced data is not in the image after kill -9"
# The lock died with the process: the image can be opened again.
"$STDVMM" run --kernel /nonexistent --disk "path=$img" --serial off </dev/null \
	2>"$TEST_TMP/third.err" || true
if grep -q "in use" "$TEST_TMP/third.err"; then fail "the lock outlived the killed stdvmm"; fi
echo "PASS: fsynced data survives kill -9; a held image is refused"
