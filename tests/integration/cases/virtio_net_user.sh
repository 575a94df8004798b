#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# virtio-net with --net user,restrict=off (libslirp unrestricted): the
# guest gets its address by DHCP, reaches a TCP server on the test host's
# loopback through the gateway 10.0.2.2, and a host forward (127.0.0.1:5556
# -> guest:8080) reaches a server in the guest. virtio_net_user_restricted
# is the default, restricted mode.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
ip link set lo up
(echo hello-from-host | timeout 90 nc -l -p 5555 >"$TEST_TMP/from-guest") &
start_vm "stdvmm.test=virtio_net_user" --name nettest --net "user,restrict=off,hostfwd=tcp:5556-:8080"
wait_line "stdvmm-test: listening"
reply=$(echo hello-from-host-client | timeout 20 nc 127.0.0.1 5556) || true
wait_vm
expect_rc 0 "guest powered off"
expect_line "stdvmm-test: virtio_net_user ok"
[ "$(serial_value addr)" = 10.0.2.15/24 ] || fail "DHCP gave '$(serial_value addr)', expected 10.0.2.15/24"
[ "$(serial_value reply)" = hello-from-host ] ||
	fail "the guest got '$(serial_value reply)' from the host's loopback server"
[ "$(cat "$TEST_TMP/from-guest")" = hello-from-guest ] ||
	fail "the host's loopback server got '$(cat "$TEST_TMP/from-guest")'"
[ "$reply" = hello-from-guest-server ] || fail "through hostfwd the host got '$reply'"
[ "$(serial_value from_host)" = hello-from-host-client ] ||
	fail "through hostfwd the guest got '$(serial_value from_host)'"
# The MAC is derived from the VM name: stable, locally administered, unicast.
mac=$(serial_value mac)
case $mac in 02:*) ;; *) fail "MAC $mac is not the derived locally administered one" ;; esac
echo "PASS: DHCP $(serial_value addr), guest->host loopback and hostfwd both ways (MAC $mac)"
