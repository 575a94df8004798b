#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The KVM reference for the seL4 network figures (run-demo.py --scenario
# net): the same guest kit and guest script (tests/sel4/guest/net.sh), a
# server and a client guest, under stdvmm on KVM in the aarch64 test host.
# Each VM has a TAP; the host joins them by routing with proxy ARP (one
# 10.0.0.0/24 as on the seL4 switch; the test host has no bridge module).
# The host needs an address of its own on each TAP: without one its
# neighbour entries for the guests are NOARP ones with the broadcast MAC, and
# a guest's TCP drops frames not addressed to it (ping still answers).
# The client fetches the server's 16 MiB over TCP; the checksums must match.
set -eu
. "${0%/*}/lib/guest.sh"
. "${0%/*}/lib/background.sh"
VM_MEMORY=256M
GUEST_TIMEOUT=600

SERIAL_LOG=$TEST_TMP/server.log STDERR_LOG=$TEST_TMP/server.err
start_vm "stdvmm.test=net stdvmm.net=server,10.0.0.1" --net "tap=reftap1,mac=52:54:00:00:00:01"
server=$VM_PID
SERIAL_LOG=$TEST_TMP/client.log STDERR_LOG=$TEST_TMP/client.err
start_vm "stdvmm.test=net stdvmm.net=client,10.0.0.2,10.0.0.1" --net "tap=reftap2,mac=52:54:00:00:00:02"
client=$VM_PID
cleanup() { kill -9 "$server" "$client" 2>/dev/null || true; }
trap cleanup EXIT
n=0
until [ -e /sys/class/net/reftap1 ] && [ -e /sys/class/net/reftap2 ]; do
	n=$((n + 1))
	[ $n -lt 60 ] || fail "the TAPs did not appear"
	sleep 1
done
for i in 1 2; do
	ip addr add 10.0.0.254/32 dev "reftap$i"
	ip link set "reftap$i" up
	ip route add "10.0.0.$i/32" dev "reftap$i"
	echo 1 >"/proc/sys/net/ipv4/conf/reftap$i/proxy_arp"
done
echo 1 >/proc/sys/net/ipv4/ip_forward
n=0
until grep -q "stdvmm-test: tcp " "$TEST_TMP/client.log" 2>/dev/null; do
	n=$((n + 1))
	if [ $n -ge 500 ] || grep -q "stdvmm-test: \(fetch\|ping\) .* failed" "$TEST_TMP/client.log"; then
		cat "$TEST_TMP/server.log" "$TEST_TMP/client.log"
		fail "the client did not fetch the data"
	fi
	sleep 1
done
tr -d '\r' <"$TEST_TMP/server.log" | grep "stdvmm-test:" | head -5
tr -d '\r' <"$TEST_TMP/client.log" | grep "stdvmm-test:" | head -8
want=$(tr -d '\r' <"$TEST_TMP/server.log" | sed -n 's/^stdvmm-test: server sha256=//p')
got=$(tr -d '\r' <"$TEST_TMP/client.log" | sed -n 's/^stdvmm-test: client sha256=\([0-9a-f]*\) bytes=16777216$/\1/p')
[ -n "$want" ] && [ "$got" = "$want" ] || fail "client sha256 '$got', server '$want'"
echo "KVM reference: $(tr -d '\r' <"$TEST_TMP/client.log" | sed -n 's/^stdvmm-test: tcp //p')"
echo "PASS: the seL4 net scenario's server and client on KVM"
