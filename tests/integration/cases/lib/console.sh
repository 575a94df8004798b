#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# An interactive guest on stdvmm's console (--serial tty), typed at through
# a fifo, as a user at a terminal would. Source after lib/guest.sh.
#   console_start ARGS...  stdvmm run with the guest kit, console=ttyS0 and ARGS
#   console_wait REGEX     until a line of guest output matches, while the VM runs
#   console_type TEXT      types one line
#   console_end            closes the input, waits for the VM (VM_RC), prints the logs

console_start() {
	console_in=$TEST_TMP/console-in
	rm -f "$console_in" "$SERIAL_LOG" "$STDERR_LOG"
	mkfifo "$console_in"
	echo "+ stdvmm run --cmdline 'console=ttyS0 panic=-1' $* --serial tty (stdin: a fifo)"
	timeout -k 5 "$GUEST_TIMEOUT" "$STDVMM" run --kernel "$GUEST_KERNEL" \
		--initramfs "$GUEST_INITRD" --cmdline "console=ttyS0 panic=-1" --memory 256M "$@" \
		--serial tty --no-reboot <"$console_in" >"$SERIAL_LOG" 2>"$STDERR_LOG" &
	console_vm=$!
	exec 3>"$console_in"
}

console_wait() {
	waited=0
	until tr -d '\r' <"$SERIAL_LOG" | grep -q "$1"; do
		kill -0 "$console_vm" 2>/dev/null ||
			{ cat "$STDERR_LOG" "$SERIAL_LOG"; fail "stdvmm exited early"; }
		[ "$waited" -lt "$GUEST_TIMEOUT" ] || { cat "$SERIAL_LOG"; fail "no line matching '$1'"; }
		sleep 1
		waited=$((waited + 1))
	done
}

console_type() {
	printf '%s\n' "$1" >&3
}

console_end() {
	VM_RC=0
	wait "$console_vm" || VM_RC=$?
	exec 3>&-
	echo "--- stdvmm stderr:"
	cat "$STDERR_LOG"
	echo "--- guest console:"
	cat "$SERIAL_LOG"
	echo "--- stdvmm exit status $VM_RC"
}
