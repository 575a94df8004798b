#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A guest floods its console (virtio-console, hvc0, the fastest way out)
# with 256 KiB under --serial-max 16K and --serial-rate 4K. While it does,
# the host samples the log every second: the file and its rotated copy
# each stay within the cap, and the VMM's control socket answers `info`
# every time until the guest says it is done (the flood does not starve
# the VMM). Afterwards the log holds the guest's last line behind a note
# of how many bytes the rate limit dropped, and the VMM said it dropped
# output.
set -eu
VM_MEMORY=256M
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
cap=16384
sock=$TEST_TMP/vm.sock
start_vm "console=hvc0 stdvmm.test=console_flood" --console virtio \
	--serial-max 16K --serial-rate 4K --api-socket "$sock" --log-level info
size() { if [ -e "$1" ]; then wc -c <"$1" | tr -d ' '; else echo 0; fi; }
samples=0 answers=0 biggest=0 rotated=no
while kill -0 "$VM_PID" 2>/dev/null; do
	[ "$(vm_seconds)" -lt "$GUEST_TIMEOUT" ] || break
	for f in "$SERIAL_LOG" "$SERIAL_LOG.1"; do
		s=$(size "$f")
		[ "$s" -le "$cap" ] || { kill -9 "$VM_PID"; vm_dump; fail "$f is $s bytes, over the cap $cap"; }
		[ "$s" -le "$biggest" ] || biggest=$s
	done
	[ ! -e "$SERIAL_LOG.1" ] || rotated=yes
	# Once the guest says it is done the flood is over and it powers off:
	# a VMM on its way out stops answering, which is not what is measured.
	serial_has "stdvmm-test: console_flood ok" && break
	if [ -S "$sock" ]; then
		samples=$((samples + 1))
		if timeout 10 "$STDVMM" ctl vm "$sock" info 2>/dev/null | grep -q '"state"'; then
			answers=$((answers + 1))
		else
			echo "info got no answer at $(vm_seconds)s"
		fi
	fi
	sleep 1
done
wait_vm
expect_rc 0 "guest powered off"
expect_line "stdvmm-test: console_flood ok"
echo "log sizes: at most $biggest bytes per file (cap $cap), rotated: $rotated; info answered $answers of $samples"
[ "$rotated" = yes ] || fail "the flood never reached the cap: the case did not test it"
[ "$samples" -ge 10 ] || fail "only $samples samples while the guest ran"
[ "$answers" -eq "$samples" ] || fail "the control socket answered $answers of $samples info requests"
cat "$SERIAL_LOG.1" "$SERIAL_LOG" 2>/dev/null | tr -d '\r' |
	grep -q '^\[stdvmm: [0-9]* bytes of console output dropped: over the rate limit\]$' ||
	fail "the log does not say the rate limit dropped output"
grep -q "console output passed its rate limit" "$STDERR_LOG" ||
	fail "the VMM did not say the guest passed the console rate limit"
dropped=$(sed -n 's/.* \([0-9][0-9]*\) bytes of the guest.s console output were over the rate limit.*/\1/p' "$STDERR_LOG")
echo "dropped by the rate limit: ${dropped:-?} bytes"
# 256 KiB at the guest's pace (about 16 KiB/s here) against 4 KiB/s: most of it goes.
[ "${dropped:-0}" -ge 65536 ] || fail "the VMM dropped ${dropped:-0} bytes, under 64 KiB of a 256 KiB flood"
echo "PASS: a console flood kept the log within $cap bytes per file, the VMM answered $answers/$samples, ${dropped} bytes dropped"
