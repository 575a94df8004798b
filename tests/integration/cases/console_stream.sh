#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The console loses, adds and reorders nothing although the UART's transmit
# register reaches stdvmm through KVM's coalesced PIO ring (x86_64) or
# coalesced MMIO ring (aarch64, riscv64): the guest sends
# 1000 checksummed lines through the kernel console (buffered, no exit per
# byte) and 1000 through the tty driver (THRE interrupts, one exit per
# byte), and the serial log holds both streams whole and in order. stdvmm
# must also report that the buffered writes were used, or the case would
# pass without testing them.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=console_stream printk.devkmsg=on" --log-level info
expect_line "stdvmm-test: streams=done"
expect_rc 0 "guest powered off"

# stream TAG: the lines of that stream as the host received them, without
# the kernel's timestamps and the tty's carriage returns.
stream() {
	tr -d '\r' <"$SERIAL_LOG" | sed -n "s/^.*\(stdvmm-stream $1 \)/\1/p"
}
for tag in k t; do
	case $tag in k) key=kmsg_sum ;; t) key=tty_sum ;; esac
	want=$(serial_value "$key")
	[ -n "$want" ] || fail "the guest reported no $key"
	n=$(stream "$tag" | wc -l | tr -d " ")
	got=$(stream "$tag" | sha256sum | cut -d' ' -f1)
	echo "stream $tag: $n lines, sha256 $got (guest: $want)"
	[ "$n" -eq 1000 ] || fail "stream $tag: $n lines arrived, 1000 were sent"
	[ "$got" = "$want" ] || fail "stream $tag: the received lines differ from those sent"
done

drained=$(sed -n 's/.* \([0-9][0-9]*\) buffered writes reached the VMM without an exit.*/\1/p' \
	"$STDERR_LOG" | tail -n 1)
echo "buffered writes: ${drained:-none}"
# At least the kernel-console stream's bytes (1000 lines of 64) came that way.
[ "${drained:-0}" -ge 64000 ] || fail "only ${drained:-0} console writes were buffered"
echo "PASS: 2000 checksummed console lines whole and in order, ${drained} writes without an exit"
