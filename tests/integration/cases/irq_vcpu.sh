#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64 aarch64 riscv64
# Interrupt ownership: a 2-vCPU guest with vda's interrupt owned by vCPU 1
# and vdb's by vCPU 0. While each disk is read, its interrupt count grows
# on its owner's CPU in the guest's /proc/interrupts and (almost) not on the
# other; stdvmm's info reports the same targets (x86: read back from the
# IOAPIC the guest programmed; riscv64 without an in-kernel AIA: from the
# enables the guest wrote to stdvmm's PLIC; Arm: routed by stdvmm). An owner that is not
# a vCPU of the VM is refused before anything boots.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
VM_CPUS=2
A=$TEST_TMP/a.img B=$TEST_TMP/b.img SOCK=$TEST_TMP/vm.sock
dd if=/dev/zero of="$A" bs=1048576 count=4 2>/dev/null
dd if=/dev/zero of="$B" bs=1048576 count=4 2>/dev/null

# An owner beyond the VM's vCPUs: exit 2 with a message, nothing boots.
run_vm "stdvmm.test=irq_vcpu" --disk "path=$A,irq-vcpu=2"
expect_rc 2 "irq-vcpu=2 on a 2-vCPU VM refused"
grep -q "irq-vcpu=2, but the VM has vCPUs 0 to 1" "$STDERR_LOG" ||
	fail "no message naming the bad irq-vcpu"

start_vm "stdvmm.test=irq_vcpu" --api-socket "$SOCK" \
	--disk "path=$A,irq-vcpu=1" --disk "path=$B,irq-vcpu=0"
wait_line "stdvmm-test: irq_vcpu measured"
info=$("$STDVMM" ctl vm "$SOCK" info 2>&1 | tr -d ' \n') || true
echo "info: $info"
wait_vm
expect_line "stdvmm-test: irq_vcpu ok"
expect_rc 0 "guest powered off"

owned() { # DEVICE OWNER: the info entry of DEVICE says owner and target OWNER
	entry=$(echo "$info" | grep -o "{\"device\":\"$1\"[^}]*}") ||
		fail "stdvmm's info has no interrupt entry for $1"
	case $entry in
	*"\"owner\":$2,"*"\"target\":$2,"*) ;;
	*) fail "stdvmm's info for $1 is $entry; expected owner and target $2" ;;
	esac
}
owned blk0 1
owned blk1 0

check() { # DISK OWNER OTHER
	own=$(serial_value "${1}_cpu$2") other=$(serial_value "${1}_cpu$3")
	[ -n "$own" ] && [ -n "$other" ] || fail "the guest reported no counts for $1"
	[ "$own" -ge 100 ] ||
		fail "$1: CPU$2 (its owner) took $own interrupts for 512 reads, CPU$3 $other"
	# The first interrupt after an x86 affinity change still lands on the old CPU.
	[ $((other * 20)) -le "$own" ] ||
		fail "$1: CPU$3 took $other interrupts, its owner CPU$2 only $own"
	echo "PASS: $1: owner CPU$2 took $own interrupts, CPU$3 $other"
}
check vda 1 0
check vdb 0 1
