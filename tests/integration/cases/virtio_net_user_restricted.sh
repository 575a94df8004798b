#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# --net user is restricted unless told otherwise (libslirp's restricted
# mode): the guest still gets its address by DHCP, but its connection to a
# server on the test host's loopback (10.0.2.2:5555) is refused and that
# server hears nothing; a host forward spelt the QEMU way with both
# addresses (tcp:127.0.0.1:5556-10.0.2.15:8080) reaches the guest's server
# both ways.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
ip link set lo up
(echo hello-from-host | timeout 90 nc -l -p 5555 >"$TEST_TMP/from-guest") &
start_vm "stdvmm.test=virtio_net_user_restricted" --name restricted \
	--net "user,hostfwd=tcp:127.0.0.1:5556-10.0.2.15:8080"
wait_line "stdvmm-test: listening"
reply=$(echo hello-from-host-client | timeout 20 nc 127.0.0.1 5556) || true
wait_vm
# The loopback server is still waiting: end it so the case does not wait 90 s.
echo stop | timeout 5 nc 127.0.0.1 5555 >/dev/null 2>&1 || true
expect_rc 0 "guest powered off"
expect_line "stdvmm-test: virtio_net_user_restricted ok"
[ "$(serial_value addr)" = 10.0.2.15/24 ] || fail "DHCP gave '$(serial_value addr)', expected 10.0.2.15/24"
[ "$(serial_value outbound_rc)" != 0 ] || fail "the guest's connection to the host's loopback succeeded"
[ -z "$(serial_value outbound_reply)" ] ||
	fail "the guest got '$(serial_value outbound_reply)' from the host's loopback server"
heard=$(cat "$TEST_TMP/from-guest" 2>/dev/null || true)
[ "$heard" != hello-from-guest ] || fail "the host's loopback server heard the guest"
[ "$reply" = hello-from-guest-server ] || fail "through hostfwd the host got '$reply'"
[ "$(serial_value from_host)" = hello-from-host-client ] ||
	fail "through hostfwd the guest got '$(serial_value from_host)'"
echo "PASS: restricted by default (the guest's connection to 10.0.2.2:5555 failed with status $(serial_value outbound_rc), the server heard '${heard}'), DHCP and the forward work"
