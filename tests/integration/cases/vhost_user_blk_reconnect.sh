#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# vhost-user-blk reconnection: while the guest is idle, qemu-storage-daemon
# is killed (SIGKILL) and started again on the same socket. stdvmm notices
# the hang-up, reconnects, hands the rings over again from the used index,
# and the guest's next direct write and read on /dev/vda work. The guest
# learns that the restart is done from /dev/vdb, an image stdvmm serves.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/vhost.sh
. "${0%/*}/lib/vhost.sh"
img=$TEST_TMP/vhost.img ctl=$TEST_TMP/ctl.img sock=$TEST_TMP/blk.sock qlog=$TEST_TMP/qsd.log
rm -f "$img" "$ctl" "$sock" "$qlog" "$SERIAL_LOG"
truncate -s 16M "$img"
truncate -s 1M "$ctl"
start_qsd "$img" "$sock" "$qlog"
cmdline="$GUEST_BASE_CMDLINE stdvmm.test=vhost_user_blk_reconnect"
timeout -k 5 "$GUEST_TIMEOUT" "$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
	--cmdline "$cmdline" --memory "$VM_MEMORY" --serial "file=$SERIAL_LOG" --no-reboot \
	--disk "vhost-user=$sock" --disk "path=$ctl" --log-level info </dev/null 2>"$STDERR_LOG" &
pid=$!
show() {
	echo "--- stdvmm stderr:"
	cat "$STDERR_LOG"
	echo "--- guest serial log:"
	cat "$SERIAL_LOG" 2>/dev/null || true
	echo "--- qemu-storage-daemon log:"
	cat "$qlog"
}
n=0
until serial_has "stdvmm-test: idle"; do
	n=$((n + 1))
	if [ $n -gt "$GUEST_TIMEOUT" ] || ! kill -0 $pid 2>/dev/null; then
		show
		kill -9 $pid 2>/dev/null
		fail "the guest never reached its idle point"
	fi
	sleep 1
done
# wait_stderr TEXT FAILURE: until stdvmm logs TEXT, for 30 s at most.
wait_stderr() {
	n=0
	until grep -q "$1" "$STDERR_LOG"; do
		n=$((n + 1))
		[ $n -lt 30 ] || { show; kill -9 $pid; fail "$2"; }
		sleep 1
	done
}
kill -9 "$QSD_PID"
wait "$QSD_PID" 2>/dev/null || true
wait_stderr "closed the connection" "stdvmm did not notice the backend's death"
start_qsd "$img" "$sock" "$qlog"
wait_stderr "reconnected to the vhost-user backend" "stdvmm did not reconnect"
printf go | dd of="$ctl" conv=notrunc 2>/dev/null
rc=0
wait $pid || rc=$?
stop_backend "$QSD_PID"
show
echo "--- stdvmm exit status $rc"
expect_line "stdvmm-test: vhost_user_blk_reconnect ok"
[ $rc = 0 ] || fail "stdvmm exited $rc, expected 0 (guest powered off)"
before=$(dd if="$img" bs=65536 skip=16 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
after=$(dd if="$img" bs=65536 skip=32 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "before the restart: guest $(serial_value sha_before), image $before"
echo "after the restart: guest $(serial_value sha_after), read back $(serial_value sha_readback), image $after"
[ "$before" = "$(serial_value sha_before)" ] || fail "the write before the restart is not in the image"
[ "$after" = "$(serial_value sha_after)" ] || fail "the write after the restart is not in the image"
[ "$(serial_value sha_readback)" = "$after" ] || fail "the guest read back other bytes after the restart"
echo "PASS: the guest's disk works again after its vhost-user backend was killed and restarted"
