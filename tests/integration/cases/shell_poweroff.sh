#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The interactive shell of the default guest: what is typed on stdvmm's
# console reaches the guest's shell, and a plain `poweroff` typed there ends
# the VM with status 0 (the README's promise).
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"

input=$TEST_TMP/console-in
rm -f "$input" "$SERIAL_LOG" "$STDERR_LOG"
mkfifo "$input"
echo "+ stdvmm run --cmdline 'console=ttyS0 panic=-1' --serial tty (stdin: a fifo)"
timeout -k 5 "$GUEST_TIMEOUT" "$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
	--cmdline "console=ttyS0 panic=-1" --memory 256M --serial tty --no-reboot \
	<"$input" >"$SERIAL_LOG" 2>"$STDERR_LOG" &
vm=$!
exec 3>"$input"

# Type only once the guest's /init is up: bytes sent while Linux probes the
# UART would be dropped with its FIFO, as on real hardware.
waited=0
until serial_has "stdvmm-guest: ready"; do
	[ "$waited" -lt "$GUEST_TIMEOUT" ] || break
	sleep 1
	waited=$((waited + 1))
done
sleep 2
printf 'echo shell-says-$((6 * 7))\n' >&3
sleep 2
printf 'poweroff\n' >&3
VM_RC=0
wait "$vm" || VM_RC=$?
exec 3>&-

echo "--- stdvmm stderr:"
cat "$STDERR_LOG"
echo "--- guest console:"
cat "$SERIAL_LOG"
echo "--- stdvmm exit status $VM_RC"
expect_line "stdvmm-guest: ready"
tr -d '\r' <"$SERIAL_LOG" | grep -q '^shell-says-42$' ||
	fail "the shell did not run the typed command (no 'shell-says-42' line)"
expect_rc 0 "poweroff typed in the guest shell"
echo "PASS: typed command ran; poweroff ended the VM with status 0"
