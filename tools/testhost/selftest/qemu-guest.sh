#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Self-test without stdvmm: QEMU's microvm stands in for the VMM, to prove
# that KVM in the test host boots the guest kit to its readiness line and
# that the guest's poweroff ends the VMM (microvm has ACPI).
set -eu
[ -n "${QEMU:-}" ] || { echo "run-suite.sh --with-qemu is needed"; exit 77; }
log=$TEST_TMP/serial.log
rc=0
timeout 200 "$QEMU" -L "$QEMU_FIRMWARE" -enable-kvm -M microvm -cpu host -m 256 -smp 2 \
	-nodefaults -no-user-config -display none -no-reboot \
	-serial "file:$log" -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
	-append "console=ttyS0 panic=-1 stdvmm.test=cpus" || rc=$?
echo "--- guest serial log:"
cat "$log"
echo "--- qemu exit status $rc"
[ "$rc" -eq 0 ] || { echo "QEMU did not exit cleanly"; exit 1; }
grep -q '^stdvmm-guest: ready' "$log" || { echo "no readiness line"; exit 1; }
grep -q '^stdvmm-test: cpus=2' "$log" || { echo "guest did not see 2 CPUs"; exit 1; }
