# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# For cases that talk to a running guest (network, vsock): stdvmm in the
# background, waiting for guest lines, then for its exit. Source after
# lib/guest.sh, whose variables and helpers these use.

vm_dump() {
	echo "--- stdvmm stderr:"
	cat "$STDERR_LOG" 2>/dev/null
	echo "--- guest serial log:"
	cat "$SERIAL_LOG" 2>/dev/null
}

# start_vm CMDLINE_EXTRA [stdvmm args...]: sets VM_PID.
start_vm() {
	cmdline="$GUEST_BASE_CMDLINE $1"
	shift
	rm -f "$SERIAL_LOG" "$STDERR_LOG"
	: >"$SERIAL_LOG"
	[ -x "$STDVMM" ] || fail "no stdvmm binary at $STDVMM"
	echo "+ stdvmm run --cmdline '$cmdline' --cpus $VM_CPUS --memory $VM_MEMORY --no-reboot $* &"
	VM_START=$(awk '{ print $1 }' /proc/uptime)
	"$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" --cmdline "$cmdline" \
		--cpus "$VM_CPUS" --memory "$VM_MEMORY" --serial "file=$SERIAL_LOG" --no-reboot "$@" \
		</dev/null 2>"$STDERR_LOG" &
	VM_PID=$!
}

vm_seconds() {
	awk -v s="$VM_START" '{ printf "%d", $1 - s }' /proc/uptime
}

# wait_line TEXT: until the guest printed that line; fails if stdvmm ends
# first or the guest timeout passes.
wait_line() {
	until serial_has "$1"; do
		if ! kill -0 "$VM_PID" 2>/dev/null; then
			rc=0
			wait "$VM_PID" 2>/dev/null || rc=$?
			vm_dump
			fail "stdvmm exited (status $rc) before the guest printed '$1'"
		fi
		if [ "$(vm_seconds)" -ge "$GUEST_TIMEOUT" ]; then
			kill -9 "$VM_PID" 2>/dev/null
			vm_dump
			fail "the guest did not print '$1' within ${GUEST_TIMEOUT}s"
		fi
		sleep 1
	done
}

# wait_vm: waits for stdvmm to exit (killing it after the guest timeout),
# sets VM_RC and shows its logs.
wait_vm() {
	while kill -0 "$VM_PID" 2>/dev/null; do
		if [ "$(vm_seconds)" -ge "$GUEST_TIMEOUT" ]; then
			kill -9 "$VM_PID" 2>/dev/null
			wait "$VM_PID" 2>/dev/null
			vm_dump
			fail "stdvmm did not exit within ${GUEST_TIMEOUT}s"
		fi
		sleep 1
	done
	VM_RC=0
	wait "$VM_PID" || VM_RC=$?
	vm_dump
	echo "--- stdvmm exit status $VM_RC after $(vm_seconds)s"
}
