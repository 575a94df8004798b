#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# virtio-net with --net tap=IF,vhost=on: the kernel's vhost-net moves the
# frames between the guest's rings and the TAP (a vhost-PID kernel thread of
# stdvmm's exists while the guest serves), and the rest is virtio_net_tap's
# (lib/tap.sh): ping of the TAP's address, then 4 MiB each way over TCP with
# sha256 sums, offloads negotiated between guest and TAP.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
# shellcheck source=tests/integration/cases/lib/tap.sh
. "${0%/*}/lib/tap.sh"
[ -c /dev/vhost-net ] || fail "the test host has no /dev/vhost-net (module vhost_net)"
workers=0
# The kernel's vhost worker of this VMM: the frames did not go through stdvmm.
count_workers() {
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = "vhost-$VM_PID" ] && workers=$((workers + 1))
	done
	return 0
}
tap_run stdvmm-tap1 tap=stdvmm-tap1,vhost=on count_workers
[ "$workers" -ge 1 ] || fail "no vhost-$VM_PID kernel thread: vhost-net did not serve the queues"
# Nothing to report: no fallback, no doorbell that failed to register.
if grep -qE "vhost-net|ioeventfd|irqfd|error" "$STDERR_LOG"; then
	fail "stdvmm reported a problem with the device"
fi
echo "PASS: vhost-net: ping over TAP, 4 MiB each way intact ($(serial_value down_seconds)s down)"
