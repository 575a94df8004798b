#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64 riscv64
# virtio-vsock, both directions, 1 MiB echoed each way:
#  - host-initiated: a host program connects to the Unix socket, sends
#    "CONNECT 5000\n" and gets "OK <port>\n", then talks to the guest's echo
#    server on vsock port 5000;
#  - guest-initiated: the guest connects to CID 2 port 6000, which stdvmm
#    turns into a connection to "<socket>_6000", an echo server here.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
sock=$TEST_TMP/vsock.sock
dd if=/dev/urandom of="$TEST_TMP/blob" bs=65536 count=16 2>/dev/null
blob_sum=$(sha256sum "$TEST_TMP/blob" | cut -d' ' -f1)
rm -f "${sock}_6000"
timeout 120 socat -t 30 "UNIX-LISTEN:${sock}_6000" EXEC:cat &
start_vm "stdvmm.test=virtio_vsock" --vsock "cid=7,socket=$sock"
wait_line "stdvmm-test: guest listening"
(printf 'CONNECT 5000\n'; cat "$TEST_TMP/blob") |
	timeout 60 socat -t 30 - "UNIX-CONNECT:$sock" >"$TEST_TMP/h2g.out" || true
wait_vm
expect_rc 0 "guest powered off"
expect_line "stdvmm-test: virtio_vsock ok"
ok_line=$(head -n 1 "$TEST_TMP/h2g.out")
echo "host-initiated: first line '$ok_line', $(wc -c <"$TEST_TMP/h2g.out") bytes back"
case $ok_line in
"OK "[0-9]*) ;;
*) fail "the host program got '$ok_line' instead of 'OK <port>'" ;;
esac
back_sum=$(tail -c +$((${#ok_line} + 2)) "$TEST_TMP/h2g.out" | sha256sum | cut -d' ' -f1)
[ "$back_sum" = "$blob_sum" ] || fail "host-initiated: the echo differs from what was sent"
[ "$(serial_value g2h_sent)" = "$(serial_value g2h_back)" ] ||
	fail "guest-initiated: the echo differs from what the guest sent"
[ "$(serial_value g2h_bytes)" = 1048576 ] || fail "guest-initiated: $(serial_value g2h_bytes) bytes came back"
echo "PASS: vsock echo both ways (1 MiB each)"
