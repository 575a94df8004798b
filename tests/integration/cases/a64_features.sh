#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: aarch64
# What the aarch64 test host's KVM offers reaches the Debian guest by
# default: its kernel finds the PMU, the GICv3 ITS, the PL031 RTC (and sets
# the clock from it), SVE and pointer authentication. A feature asked for
# and not offered (MTE there) and a GIC it cannot emulate (GICv2) are
# refused before the guest runs, each with a message naming it.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# loglevel=7: what it checks are the kernel's informational lines.
run_vm "stdvmm.test=poweroff loglevel=7"
expect_rc 0 "guest powered off"
for want in 'hw perfevents: enabled with armv8_pmuv3' 'ITS@0x0000000008080000' \
	'rtc-pl031 9030000.rtc: setting system clock to' 'SVE: maximum available vector length' \
	'CPU features: detected: Address authentication' \
	'CPU features: detected: Generic authentication'; do
	grep -qF "$want" "$SERIAL_LOG" || fail "the guest's kernel log lacks '$want'"
done
# The RTC counts the host's time: the guest's clock is this year's, not 1970's.
year=$(date -u +%Y)
grep -q "rtc-pl031 9030000.rtc: setting system clock to $year-" "$SERIAL_LOG" ||
	fail "the guest's clock was not set to the host's year $year"

VM_RC=0
"$STDVMM" run --kernel "$GUEST_KERNEL" --mte on --serial off 2>"$STDERR_LOG" || VM_RC=$?
cat "$STDERR_LOG"
expect_rc 1 "MTE asked for where KVM lacks it"
grep -q 'MTE (--mte) was asked for, and this hypervisor does not offer it' "$STDERR_LOG" ||
	fail "no message saying MTE is missing"

VM_RC=0
"$STDVMM" run --kernel "$GUEST_KERNEL" --irqchip gicv2 --serial off 2>"$STDERR_LOG" || VM_RC=$?
cat "$STDERR_LOG"
expect_rc 1 "a GICv2 where KVM cannot emulate one"
grep -q 'cannot emulate a GICv2' "$STDERR_LOG" || fail "no message saying GICv2 is impossible here"
echo "PASS"
