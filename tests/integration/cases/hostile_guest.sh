#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# The hostile-guest case (issue #15 item 6): one guest unbinds its
# virtio-mmio devices (virtio-rng, a disk, virtio-net on user networking and
# vsock) and drives every queue of each from user space with stdvmm-hostile
# (status and feature games, queue settings out of range, descriptor loops,
# 4 GiB chains, buffers, indirect tables and rings outside RAM, an avail
# index far ahead, a reset under a pending request, a notification storm,
# garbage in the buffers the device reads, and indirect tables with
# VIRTIO_F_INDIRECT_DESC negotiated: looped, nested, overrunning, ragged,
# empty), while a neighbour VM on the same host writes and reads back
# checksummed data. Asserted: the hostile VMM keeps serving (the device
# answers after every attack, the guest powers off with status 0) and never
# crashes; its resident memory stays under its guest RAM plus 128 MiB and
# its console log under its cap; no sanitizer report (with a VMM built with
# STDVMM_SANITIZE); the neighbour's three rounds read back what they wrote,
# and its image holds the last round's bytes.
set -eu
VM_MEMORY=256M
# A sanitizer build's leak check at exit needs ptrace, which seccomp forbids.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
dd if=/dev/zero of="$TEST_TMP/hostile.img" bs=1048576 count=4 2>/dev/null
dd if=/dev/zero of="$TEST_TMP/neighbour.img" bs=1048576 count=8 2>/dev/null
nlog=$TEST_TMP/neighbour-serial.log
nerr=$TEST_TMP/neighbour-stderr.log
timeout -k 5 "$GUEST_TIMEOUT" "$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
	--cmdline "$GUEST_BASE_CMDLINE stdvmm.test=neighbour" --memory 256M --no-reboot \
	--name neighbour --serial "file=$nlog" --disk "path=$TEST_TMP/neighbour.img" \
	</dev/null 2>"$nerr" &
npid=$!
start_vm "stdvmm.test=hostile" --name hostile --rng --disk "path=$TEST_TMP/hostile.img" \
	--net user --vsock "cid=3,socket=$TEST_TMP/hostile.vsock" --serial-max 1M
# The hostile driver's progress on the test host's console as it happens,
# so a host that stops answering still shows how far the guest got.
(tail -f "$SERIAL_LOG" 2>/dev/null | while IFS= read -r l; do
	case $l in hostile:* | stdvmm-test:*) echo "hostile_guest: $l" >/dev/console ;; esac
done) &
progress=$!
cap_kib=$(((256 + 128) * 1024))
peak=0
while kill -0 "$VM_PID" 2>/dev/null; do
	[ "$(vm_seconds)" -lt "$GUEST_TIMEOUT" ] || break
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$VM_PID/status" 2>/dev/null || echo 0)
	[ "${rss:-0}" -le "$peak" ] || peak=$rss
	sleep 1
done
wait_vm
kill "$progress" 2>/dev/null || true
nrc=0
wait "$npid" || nrc=$?
echo "--- neighbour stderr:"
cat "$nerr"
echo "--- neighbour serial log:"
cat "$nlog"
echo "--- neighbour exit status $nrc"
grep '^hostile: ' "$SERIAL_LOG" | tr -d '\r' | sed 's/^/guest said: /' | head -n 400 || true
case $VM_RC in
	134 | 136 | 139 | 159) fail "the hostile guest's VMM crashed (status $VM_RC)" ;;
esac
expect_rc 0 "the hostile guest powered off"
expect_line "stdvmm-test: hostile ok"
devices=$(serial_value hostile_devices)
[ "${devices:-0}" -ge 4 ] ||
	fail "the hostile driver got through ${devices:-0} devices, not 4 (rng, disk, net, vsock)"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$STDERR_LOG" "$nerr"; then
	fail "a sanitizer report from a VMM"
fi
queues=$(tr -d '\r' <"$SERIAL_LOG" | sed -n 's/^hostile: ok [0-9]* queues //p' | awk '{ s += $1 } END { print s + 0 }')
[ "$(tr -d '\r' <"$SERIAL_LOG" | grep -c "^hostile: every feature bit: FEATURES_OK refused$")" = "$devices" ] ||
	fail "a device accepted FEATURES_OK with every feature bit set"
attacks=$(tr -d '\r' <"$SERIAL_LOG" | sed -n 's/^hostile: ok //p' | awk '{ s += $1 } END { print s + 0 }')
echo "hostile VMM: $attacks attacks survived over $devices devices and $queues queues, peak RSS ${peak} KiB (cap ${cap_kib} KiB)"
[ "$peak" -gt 0 ] || fail "no RSS sample of the hostile VMM"
[ "$peak" -le "$cap_kib" ] || fail "the hostile VMM's RSS reached ${peak} KiB"
size=$(wc -c <"$SERIAL_LOG" | tr -d ' ')
[ "$size" -le 1048576 ] || fail "the hostile guest's console log is $size bytes, over its 1M cap"
[ "$nrc" = 0 ] || fail "the neighbour exited $nrc"
tr -d '\r' <"$nlog" | grep -qx "stdvmm-test: neighbour ok" || fail "the neighbour's workload did not finish"
good=$(tr -d '\r' <"$nlog" | sed -n 's/^stdvmm-test: rounds_good=//p')
[ "$good" = 3 ] || fail "the neighbour read back the right bytes in $good of 3 rounds"
want=$(tr -d '\r' <"$nlog" | sed -n 's/^stdvmm-test: last_sha256=//p')
got=$(sha256sum "$TEST_TMP/neighbour.img" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the neighbour's image holds other bytes than its last round wrote"
echo "PASS: hostile driver on $devices devices, $queues queues ($attacks attacks), its VMM alive and within RSS ${peak}/${cap_kib} KiB; the neighbour's 3 checksummed rounds intact"
