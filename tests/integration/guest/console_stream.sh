#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of console_stream: two long streams on ttyS0, each with the
# checksum of what was sent. First through the kernel's console (printk,
# polled: the UART's THR is the VMM's buffered writes, no exit per byte),
# then through the tty driver (THRE interrupts: every write exits).
LINES=1000
gen() { # TAG: LINES lines of 64 bytes, pseudo-random but exactly reproducible
	awk -v tag="$1" -v n="$LINES" 'BEGIN {
		a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		x = 1
		for (i = 0; i < n; i++) {
			s = ""
			for (j = 0; j < 44; j++) {
				x = (x * 75 + 74) % 65537
				s = s substr(a, x % 62 + 1, 1)
			}
			printf "stdvmm-stream %s %05d %s\n", tag, i, s
		}
	}'
}
gen k >/tmp/k
gen t >/tmp/t
echo "stdvmm-test: kmsg_sum=$(sha256sum </tmp/k | cut -d' ' -f1)"
# <3>: above the console's log level, so each line reaches ttyS0.
while IFS= read -r line; do
	echo "<3>$line" >/dev/kmsg
done </tmp/k
# No kernel message may cut into a line of the tty stream.
echo 1 >/proc/sys/kernel/printk
echo "stdvmm-test: tty_sum=$(sha256sum </tmp/t | cut -d' ' -f1)"
cat /tmp/t
echo "stdvmm-test: streams=done"
