#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# virtio-net with --net tap=IF,vhost=on: the kernel's vhost-net moves the
# frames between the guest's rings and the TAP (a vhost-PID kernel thread of
# stdvmm's exists while the guest serves), and the guest's half is
# virtio_net_tap's: it pings the TAP's address, then 4 MiB go each way over
# TCP (host httpd -> guest wget, guest httpd -> host wget) with sha256 sums,
# with checksum and segmentation offloads negotiated between guest and TAP.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
tap=stdvmm-tap1
www=$TEST_TMP/www
mkdir -p "$www"
dd if=/dev/urandom of="$www/down.bin" bs=1048576 count=4 2>/dev/null
down_sum=$(sha256sum "$www/down.bin" | cut -d' ' -f1)
[ -c /dev/vhost-net ] || fail "the test host has no /dev/vhost-net (module vhost_net)"
start_vm "stdvmm.test=virtio_net_tap" --net "tap=$tap,vhost=on"
n=0
until [ -e "/sys/class/net/$tap" ]; do
	n=$((n + 1))
	[ $n -lt 60 ] && kill -0 "$VM_PID" 2>/dev/null || { vm_dump; fail "no $tap appeared"; }
	sleep 1
done
ip addr add 192.168.77.1/24 dev "$tap"
ip link set "$tap" up
httpd -f -p 192.168.77.1:8000 -h "$www" &
httpd_pid=$!
wait_line "stdvmm-test: serving"
# The kernel's vhost worker of this VMM: the frames did not go through stdvmm.
workers=0
for c in /proc/[0-9]*/comm; do
	[ "$(cat "$c" 2>/dev/null)" = "vhost-$VM_PID" ] && workers=$((workers + 1))
done
rc=0
timeout 60 wget -q -O "$TEST_TMP/up.bin" http://192.168.77.2:8000/up.bin || rc=$?
echo done | timeout 20 nc 192.168.77.2 5560 >/dev/null || true
wait_vm
kill "$httpd_pid" 2>/dev/null || true
expect_rc 0 "guest powered off"
[ "$workers" -ge 1 ] || fail "no vhost-$VM_PID kernel thread: vhost-net did not serve the queues"
grep -q "vhost-net" "$STDERR_LOG" && fail "stdvmm reported a vhost-net problem"
expect_line "stdvmm-test: virtio_net_tap ok"
[ "$(serial_value ping)" = ok ] || fail "the guest could not ping the TAP's address"
[ "$(serial_value down_sha256)" = "$down_sum" ] || fail "the guest downloaded other bytes"
[ $rc = 0 ] || fail "wget from the guest failed ($rc)"
[ "$(sha256sum "$TEST_TMP/up.bin" | cut -d' ' -f1)" = "$(serial_value up_sha256)" ] ||
	fail "the host downloaded other bytes from the guest"
echo "guest virtio features: $(serial_value features)"
echo "PASS: vhost-net: ping over TAP, 4 MiB each way intact ($(serial_value down_seconds)s down)"
