#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The interactive shell of the default guest: what is typed on stdvmm's
# console reaches the guest's shell, and a plain `poweroff` typed there ends
# the VM with status 0 (the README's promise).
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/console.sh
. "${0%/*}/lib/console.sh"

console_start
# Type only once the guest's /init is up: bytes sent while Linux probes the
# UART would be dropped with its FIFO, as on real hardware.
console_wait '^stdvmm-guest: ready'
sleep 2
console_type 'echo shell-says-$((6 * 7))'
console_wait '^shell-says-42'
console_type poweroff
console_end
expect_line "stdvmm-guest: ready"
tr -d '\r' <"$SERIAL_LOG" | grep -q '^shell-says-42$' ||
	fail "the shell did not run the typed command (no 'shell-says-42' line)"
expect_rc 0 "poweroff typed in the guest shell"
echo "PASS: typed command ran; poweroff ended the VM with status 0"
