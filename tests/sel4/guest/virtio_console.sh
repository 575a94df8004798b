#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 virtio check: booted with console=hvc0 and the
# VMM's UART muted, so every line here travels through virtio-console
# (queue notify fault, descriptor chain, used ring, interrupt). Reports the
# virtio devices the guest found and twenty numbered lines, then powers off.
for d in /sys/bus/virtio/devices/*; do
	[ -e "$d/device" ] && echo "stdvmm-test: virtio device $(cat "$d/device") driver $(basename "$(readlink "$d/driver")")"
done
# Twenty numbered lines of 64 characters: an order or a byte lost shows.
i=1
while [ "$i" -le 20 ]; do
	echo "stdvmm-test: seq $i 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?"
	i=$((i + 1))
done
echo "stdvmm-test: virtio_console ok"
