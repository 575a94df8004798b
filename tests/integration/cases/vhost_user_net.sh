#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# vhost-user-net: the guest's eth0 is served by dpdk-testpmd (DPDK's
# vhost PMD, 5tswap forwarding: every frame goes back with addresses
# swapped). The guest pings a peer that exists only as that echo and
# counts the replies; testpmd's own port counters must show the frames.
# Without the backend, stdvmm refuses to start and says why.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/vhost.sh
. "${0%/*}/lib/vhost.sh"
sock=$TEST_TMP/net.sock tlog=$TEST_TMP/testpmd.log mac=02:00:00:00:05:02
rm -f "$sock" "$tlog"

rc=0
"$STDVMM" run --kernel "$GUEST_KERNEL" --net "vhost-user=$sock" --serial off </dev/null \
	2>"$TEST_TMP/absent.err" || rc=$?
echo "--- stdvmm without a backend (exit $rc):"
cat "$TEST_TMP/absent.err"
[ $rc = 1 ] || fail "stdvmm without a backend exited $rc, expected 1"
grep -q "no usable vhost-user backend at $sock" "$TEST_TMP/absent.err" ||
	fail "stdvmm did not say the backend is missing"

start_testpmd "$sock" "$tlog"
echo "dpdk-testpmd listens at $sock"
VM_MEMORY=256M run_vm "stdvmm.test=vhost_user_net" --net "vhost-user=$sock,mac=$mac" \
	--log-level info
stop_testpmd
echo "--- dpdk-testpmd log (last 40 lines):"
tail -n 40 "$tlog"
expect_line "stdvmm-test: vhost_user_net ok"
expect_rc 0 "guest powered off"
[ "$(serial_value mac)" = "$mac" ] || fail "the guest's MAC is $(serial_value mac), not $mac"
features=$(serial_value features)
# The features string has bit 0 first: MRG_RXBUF is bit 15, MAC bit 5, VERSION_1 bit 32.
[ "$(echo "$features" | cut -c16)" = 1 ] || fail "MRG_RXBUF was not negotiated ($features)"
[ "$(echo "$features" | cut -c6)" = 1 ] || fail "MAC was not offered ($features)"
[ "$(echo "$features" | cut -c33)" = 1 ] || fail "VERSION_1 was not negotiated ($features)"
expect_testpmd_echo "$tlog"
grep -q "vhost-user $sock: features" "$STDERR_LOG" || fail "stdvmm did not log the negotiation"
echo "PASS: 35 pings through dpdk-testpmd's vhost-user port (4 crossings each), MRG_RXBUF on"
