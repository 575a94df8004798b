#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# The default guest as the README's run command boots it (interactive
# shell, user-mode networking): the guest configured eth0 by DHCP before its
# prompt, what is typed on stdvmm's console reaches the shell, wget there
# reaches a web server on the host's loopback through the gateway, and a
# plain `poweroff` typed there ends the VM with status 0. (x86_64 only: the
# static aarch64 build has no libslirp, so --net user is refused there;
# shell_poweroff covers the shell on both.)
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"

input=$TEST_TMP/console-in
rm -f "$input" "$SERIAL_LOG" "$STDERR_LOG"
mkfifo "$input"
ip link set lo up
# A web server on the host's loopback for the guest's wget (busybox httpd).
mkdir -p "$TEST_TMP/www"
echo hello-from-the-host >"$TEST_TMP/www/hello"
httpd -f -p 127.0.0.1:5557 -h "$TEST_TMP/www" &
httpd_pid=$!
trap 'kill "$httpd_pid" 2>/dev/null; true' EXIT
echo "+ stdvmm run --cmdline 'console=ttyS0 panic=-1' --net user --serial tty (stdin: a fifo)"
timeout -k 5 "$GUEST_TIMEOUT" "$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
	--cmdline "console=ttyS0 panic=-1" --memory 256M --net user --serial tty --no-reboot \
	<"$input" >"$SERIAL_LOG" 2>"$STDERR_LOG" &
vm=$!
exec 3>"$input"

# wait_for REGEX: until a line of the guest's output matches, while the VM runs.
wait_for() {
	waited=0
	until tr -d '\r' <"$SERIAL_LOG" | grep -q "$1"; do
		kill -0 "$vm" 2>/dev/null || { cat "$STDERR_LOG" "$SERIAL_LOG"; fail "stdvmm exited early"; }
		[ "$waited" -lt "$GUEST_TIMEOUT" ] || { cat "$SERIAL_LOG"; fail "no line matching '$1'"; }
		sleep 1
		waited=$((waited + 1))
	done
}
# Type only once the guest's /init is up and at its prompt: bytes sent while
# Linux probes the UART would be dropped with its FIFO, as on real hardware.
wait_for '^stdvmm-guest: eth0'
sleep 2
printf 'echo shell-says-$((6 * 7))\n' >&3
printf 'wget -q -O - http://10.0.2.2:5557/hello | sed s/^/got-/\n' >&3
wait_for '^got-'
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
grep -q '^stdvmm-guest: eth0 10.0.2.15/24, gateway 10.0.2.2' "$SERIAL_LOG" ||
	fail "the default guest did not configure eth0 by DHCP before its prompt"
tr -d '\r' <"$SERIAL_LOG" | grep -q '^got-hello-from-the-host$' ||
	fail "wget in the guest did not reach the host's web server through the gateway"
expect_rc 0 "poweroff typed in the guest shell"
echo "PASS: eth0 by DHCP, typed commands ran (wget to the host), poweroff ended the VM with status 0"
