#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# The VMM's copies of the kernel and initramfs (read-only anonymous memory,
# kept to build the VM again after a guest reset) are given back once the
# guest runs with --no-reboot, and kept without it. They were most of the
# VMM's own memory in bench/boot (~11 MiB of ~17 MiB); a merge once dropped
# the release without any test noticing. Both boots run the ticker guest and
# read /proc/PID/smaps of the running VMM: the copies are the anonymous
# read-only mappings of exactly the kernel's, the initramfs's or both files'
# page-rounded size (the two are adjacent and may be one mapping). The boot
# without --no-reboot is the control that shows the check finds them. A
# third, jailed, boot checks that the jail's supervisor holds no copy.
set -eu
VM_MEMORY=256M
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"

pages_kib() { # FILE: its size rounded up to 4 KiB pages, in KiB
	_n=$(wc -c <"$1")
	echo $((((_n + 4095) >> 12) << 2))
}
kernel_kib=$(pages_kib "$GUEST_KERNEL")
initrd_kib=$(pages_kib "$GUEST_INITRD")
both_kib=$((kernel_kib + initrd_kib))

# copies PID: the sizes (KiB) of PID's anonymous read-only private mappings
# of the images' sizes, one a line.
copies() {
	awk -v k="$kernel_kib" -v i="$initrd_kib" -v b="$both_kib" '
		/^[0-9a-f]+-[0-9a-f]+ / { anon_ro = $2 == "r--p" && NF == 5; next }
		/^Size:/ && anon_ro && ($2 == k || $2 == i || $2 == b) { print $2 }' "/proc/$1/smaps"
}
# private_kib PID: Private_Clean + Private_Dirty outside mappings of the
# guest's RAM size or larger (bench/boot's rule), for the log only: a
# sanitizer build's shadow memory makes it meaningless as a bound.
private_kib() {
	awk -v g=$((${VM_MEMORY%M} * 1024)) '
		/^[0-9a-f]+-[0-9a-f]+ / { skip = 0; next }
		/^Size:/ { skip = $2 >= g }
		/^Private_(Clean|Dirty):/ && !skip { s += $2 }
		END { print s + 0 }' "/proc/$1/smaps"
}

# stop_vm: stdvmm stops the VM on SIGTERM; waits for it.
stop_vm() {
	kill -TERM "$VM_PID" 2>/dev/null || true
	wait_vm
}

echo "kernel ${kernel_kib} KiB, initramfs ${initrd_kib} KiB in pages"

# --no-reboot (start_vm passes it): no copy once the guest runs.
start_vm "stdvmm.test=ticker"
wait_line "stdvmm-test: tick 1"
found=$(copies "$VM_PID")
echo "--no-reboot: image copies found: ${found:-none}; private KiB without guest RAM: $(private_kib "$VM_PID")"
stop_vm
[ -z "$found" ] || fail "with --no-reboot the VMM still holds copies of the images (${found} KiB)"

# The control: with reboots allowed the copies stay, and the check sees them.
rm -f "$SERIAL_LOG" "$STDERR_LOG"
: >"$SERIAL_LOG"
echo "+ stdvmm run --cmdline '$GUEST_BASE_CMDLINE stdvmm.test=ticker' (reboots allowed) &"
VM_START=$(awk '{ print $1 }' /proc/uptime)
"$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
	--cmdline "$GUEST_BASE_CMDLINE stdvmm.test=ticker" --cpus "$VM_CPUS" --memory "$VM_MEMORY" \
	--serial "file=$SERIAL_LOG" </dev/null 2>"$STDERR_LOG" &
VM_PID=$!
wait_line "stdvmm-test: tick 1"
found=$(copies "$VM_PID")
echo "reboots allowed: image copies found: ${found:-none}; private KiB without guest RAM: $(private_kib "$VM_PID")"
stop_vm
[ -n "$found" ] || fail "with reboots allowed no copy of the images was found: the check cannot see them"

# Jailed (as stdvmmd starts a VMM when root), reboots allowed: the VMM, the
# supervisor's child, keeps the copies; the supervisor, a fork of it, holds
# none. The images were once read before the fork: the supervisor then kept
# 11 MiB that bench/scale counted twice and the VMM's --no-reboot release
# never gave back.
if [ "$(id -u)" = 0 ]; then
	rm -f "$SERIAL_LOG" "$STDERR_LOG"
	: >"$SERIAL_LOG"
	echo "+ stdvmm run --cmdline '$GUEST_BASE_CMDLINE stdvmm.test=ticker' --jail (reboots allowed) &"
	"$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
		--cmdline "$GUEST_BASE_CMDLINE stdvmm.test=ticker" --cpus "$VM_CPUS" --memory "$VM_MEMORY" \
		--serial "file=$SERIAL_LOG" --jail "$TEST_TMP/jail" </dev/null 2>"$STDERR_LOG" &
	VM_PID=$!
	wait_line "stdvmm-test: tick 1"
	vmm=$(tr -d ' ' <"/proc/$VM_PID/task/$VM_PID/children")
	[ -n "$vmm" ] || fail "the jail's supervisor $VM_PID has no child"
	in_vmm=$(copies "$vmm")
	in_supervisor=$(copies "$VM_PID")
	echo "jailed: image copies in the VMM: ${in_vmm:-none}, in the supervisor: ${in_supervisor:-none};" \
		"anonymous KiB of the supervisor: $(sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$VM_PID/status")"
	stop_vm
	[ -n "$in_vmm" ] || fail "the jailed VMM holds no copy of the images: the check cannot see them"
	[ -z "$in_supervisor" ] || fail "the jail's supervisor holds copies of the images (${in_supervisor} KiB)"
else
	echo "not root: no jailed run"
fi
echo "PASS"
