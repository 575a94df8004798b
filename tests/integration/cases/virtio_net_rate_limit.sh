#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# virtio-net on a TAP with a bandwidth limit (bw_size=1M, bw_refill_time=1000:
# each direction 1 MiB per second after a first full bucket): virtio_net_tap's
# run (lib/tap.sh: ping, then 4 MiB each way over TCP with sha256 sums), and
# the guest's own clock says neither transfer beat the limit: 4 MiB of
# frames need 3 s at the least each way. The VMM says (at --log-level info)
# that the limit held frames.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
# shellcheck source=tests/integration/cases/lib/tap.sh
. "${0%/*}/lib/tap.sh"
TAP_LOG_LEVEL=info
tap_run stdvmm-tap2 tap=stdvmm-tap2,bw_size=1M,bw_refill_time=1000
down=$(serial_value down_seconds)
up=$(serial_value up_seconds)
echo "the guest received 4 MiB in ${down}s and sent 4 MiB in ${up}s (the limit allows 3 s at the least)"
# 4 MiB of payload, less the first full bucket, at 1 MiB/s; the guest's clock ticks in 1/100 s.
awk -v s="$down" 'BEGIN { exit !(s >= 2.99) }' || fail "4 MiB received in ${down}s: faster than the limit"
awk -v s="$up" 'BEGIN { exit !(s >= 2.99) }' || fail "4 MiB sent in ${up}s: faster than the limit"
grep -q "virtio-net net0: rate limit reached, frames wait" "$STDERR_LOG" ||
	fail "the VMM did not say its rate limit held frames"
echo "PASS: a rate-limited interface carries 4 MiB each way intact, at the limit (${down}s down, ${up}s up)"
