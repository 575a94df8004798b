#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# virtio-blk with a bandwidth limit (bw_size=1M, bw_refill_time=1000: 1 MiB
# per second after a first full bucket): the guest reads a 6 MiB disk whole
# and gets the image's bytes, no faster than the limit allows (5 s at
# least), and the VMM says (at --log-level info) the limit held requests back.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
img=$TEST_TMP/limited.img
dd if=/dev/urandom of="$img" bs=1048576 count=6 2>/dev/null
want=$(sha256sum "$img" | cut -d' ' -f1)
run_vm "stdvmm.test=virtio_blk_rate_limit" \
	--disk "path=$img,readonly=on,bw_size=1M,bw_refill_time=1000" --log-level info
expect_line "stdvmm-test: virtio_blk_rate_limit ok"
expect_rc 0 "guest powered off"
[ "$(serial_value read_sha256)" = "$want" ] || fail "the guest read other bytes than the image's"
cs=$(serial_value read_cs)
echo "the guest read 6 MiB in $cs cs (the limit allows 5 s at the least)"
# 1 MiB at once, then 1 MiB/s: 5 s; the guest's clock ticks in 1/100 s.
[ "$cs" -ge 490 ] || fail "6 MiB in $cs cs: faster than 1 MiB/s after the first MiB"
grep -q "virtio-blk blk0: rate limit reached, requests wait" "$STDERR_LOG" ||
	fail "the VMM did not say its rate limit held requests"
echo "PASS: a rate-limited disk reads right, at the limit"
