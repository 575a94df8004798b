# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# Helpers for integration cases. Cases run inside the test host under
# busybox sh (no bash there), with STDVMM, GUEST_KERNEL, GUEST_INITRD and
# TEST_TMP set by the host's /init.
#
# run_vm CMDLINE_EXTRA [stdvmm args...] boots the guest kit once with its
# serial console captured in $SERIAL_LOG and stdvmm's stderr in $STDERR_LOG,
# sets VM_RC, and copies both into the test log so a failure explains
# itself. VM_CPUS and VM_MEMORY choose --cpus and --memory.

: "${STDVMM:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
SERIAL_LOG=$TEST_TMP/serial.log
STDERR_LOG=$TEST_TMP/stderr.log
# Below the host's per-test timeout, so a hung guest is reported as such.
# A case that retries a hung guest sets VM_TIMEOUT_FAILS=0 and reads VM_HUNG.
GUEST_TIMEOUT=${GUEST_TIMEOUT:-150}
VM_TIMEOUT_FAILS=${VM_TIMEOUT_FAILS:-1}
VM_CPUS=${VM_CPUS:-1}
VM_MEMORY=${VM_MEMORY:-512M}
# shellcheck source=tests/integration/cases/lib/cmdline.sh
. "${0%/*}/lib/cmdline.sh"

fail() {
	echo "FAIL: $*"
	exit 1
}

run_vm() {
	cmdline="$GUEST_BASE_CMDLINE $1"
	shift
	rm -f "$SERIAL_LOG" "$STDERR_LOG"
	[ -x "$STDVMM" ] || fail "no stdvmm binary at $STDVMM"
	echo "+ stdvmm run --cmdline '$cmdline' --cpus $VM_CPUS --memory $VM_MEMORY --no-reboot $*"
	start=$(awk '{ print $1 }' /proc/uptime)
	VM_RC=0
	timeout -k 5 "$GUEST_TIMEOUT" "$STDVMM" run --kernel "$GUEST_KERNEL" \
		--initramfs "$GUEST_INITRD" --cmdline "$cmdline" --cpus "$VM_CPUS" \
		--memory "$VM_MEMORY" --serial "file=$SERIAL_LOG" --no-reboot "$@" \
		</dev/null 2>"$STDERR_LOG" || VM_RC=$?
	VM_SECONDS=$(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime)
	echo "--- stdvmm stderr:"
	cat "$STDERR_LOG"
	echo "--- guest serial log:"
	[ -e "$SERIAL_LOG" ] && cat "$SERIAL_LOG"
	echo "--- stdvmm exit status $VM_RC after ${VM_SECONDS}s"
	# stdvmm turns timeout's SIGTERM into an exit status of its own, so the
	# elapsed time tells a hang apart from a wrong status.
	VM_HUNG=0
	if [ "${VM_SECONDS%.*}" -ge "$GUEST_TIMEOUT" ]; then
		VM_HUNG=1
		[ "$VM_TIMEOUT_FAILS" = 0 ] ||
			fail "stdvmm did not exit within ${GUEST_TIMEOUT}s (killed; exit status $VM_RC)"
	fi
	return 0
}

expect_rc() { # STATUS WHAT
	[ "$VM_RC" -eq "$1" ] || fail "expected exit status $1 ($2), got $VM_RC"
}

# serial_has TEXT: a whole line of the guest's output (the serial port may
# add carriage returns).
serial_has() {
	[ -e "$SERIAL_LOG" ] && tr -d '\r' <"$SERIAL_LOG" | grep -qxF "$1"
}

expect_line() {
	serial_has "$1" || fail "guest output lacks the line '$1'"
}

# serial_value KEY prints VALUE from the guest's "stdvmm-test: KEY=VALUE".
serial_value() {
	[ -e "$SERIAL_LOG" ] || return 0
	tr -d '\r' <"$SERIAL_LOG" | sed -n "s/^stdvmm-test: $1=//p" | tail -n 1
}
