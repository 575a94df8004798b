#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: aarch64
# --iommu on with --net tap=IF,vhost=on (docs/memory.md): the kernel's
# vhost-net moves the frames, and it reaches the guest's buffers only
# through the IOTLB stdvmm fills from the network interface's IOMMU domain.
# Behind the IOMMU the NIC must be in an IOMMU group, a vhost-PID kernel
# thread must serve it, and ping and TCP must work; stdvmm-hostile then
# drives the NIC with rings and buffers its domain does not map: the VMM
# refuses them and reports the faults to the guest's driver, and the disk
# still works. A run without the IOMMU gives the A/B figure (printed, not
# asserted).
set -eu
VM_MEMORY=512M
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
# shellcheck source=tests/integration/cases/lib/tap.sh
. "${0%/*}/lib/tap.sh"
[ -c /dev/vhost-net ] || fail "the test host has no /dev/vhost-net (module vhost_net)"
img=$TEST_TMP/iommu.img
dd if=/dev/zero of="$img" bs=1048576 count=64 2>/dev/null
tap=stdvmm-tap0
extra="deferred_probe_timeout=60 iommu.bench=1"

workers=0
# The kernel's vhost worker of this VMM: the frames did not go through stdvmm.
count_workers() {
	workers=0
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = "vhost-$VM_PID" ] && workers=$((workers + 1))
	done
	return 0
}

# one EXTRA_CMDLINE [stdvmm args]: the disk, rng and a vhost-net TAP whose
# host end serves the guest's line and its 5 s stream.
one() {
	more=$1
	shift
	start_vm "stdvmm.test=virtio_iommu $extra $more" --rng --disk "path=$img" \
		--net "tap=$tap,vhost=on" "$@"
	tap_up "$tap"
	(echo hello-from-host | timeout 300 nc -l -p 5555 >/dev/null) &
	(timeout 300 nc -l -p 5557 </dev/zero >/dev/null 2>&1) &
	wait_line "stdvmm-test: reply="
	count_workers
	wait_vm
}

one ""
expect_rc 0 "guest without the IOMMU powered off"
expect_line "stdvmm-test: virtio_iommu ok"
[ "$workers" -ge 1 ] || fail "without the IOMMU no vhost-$VM_PID kernel thread served the NIC"
[ "$(serial_value reply)" = hello-from-host ] ||
	fail "without the IOMMU the guest got '$(serial_value reply)' from the host's server"
off_n=$(serial_value net_rx_mib_s)

one "iommu.hostile=net" --iommu on
expect_rc 0 "guest behind the IOMMU powered off"
expect_line "stdvmm-test: virtio_iommu ok"
[ "$(serial_value iommu_driver)" = 1 ] ||
	fail "the virtio-iommu driver is bound to '$(serial_value iommu_driver)' devices, not 1"
members=$(serial_value iommu_members)
n=$(echo "$members" | tr ' ' '\n' | grep -c virtio_mmio || true)
[ "$n" -ge 3 ] || fail "only $n virtio-mmio devices in IOMMU groups ($members); want rng, disk, net"
[ "$workers" -ge 1 ] || fail "behind the IOMMU no vhost-$VM_PID kernel thread served the NIC"
[ "$(serial_value disk)" = ok ] || fail "behind the IOMMU the disk said '$(serial_value disk)'"
[ "$(serial_value ping)" = ok ] || fail "behind the IOMMU the guest could not ping the TAP's address"
[ "$(serial_value reply)" = hello-from-host ] ||
	fail "behind the IOMMU the guest got '$(serial_value reply)' from the host's server"
on_n=$(serial_value net_rx_mib_s)
if grep -q "vhost-net refused IOTLB" "$STDERR_LOG"; then
	fail "the kernel refused an IOTLB message: $(grep -m1 'vhost-net refused IOTLB' "$STDERR_LOG")"
fi
[ "$(serial_value hostile)" = ok ] || fail "stdvmm-hostile: $(serial_value hostile)"
# The NIC is the third device behind the IOMMU (rng 1, disk 2).
grep -q "virtio-iommu: net0 (endpoint 3) .* refused: outside its mappings; reported to the guest" \
	"$STDERR_LOG" || fail "the VMM did not report a refused access of the vhost-net NIC"
faults=$(serial_value guest_faults)
[ "${faults:-0}" -ge 1 ] || fail "the guest's driver saw no fault event"
[ "$(serial_value disk_after)" = ok ] || fail "after the attack the disk said '$(serial_value disk_after)'"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }
echo "BENCH virtio_iommu_vhost: net rx ${off_n} -> ${on_n} MiB/s (x$(ratio "$on_n" "$off_n")) without -> with the IOMMU, tap vhost=on (guest strict mode)"
echo "PASS: vhost-net behind the virtio-iommu: NIC in an IOMMU group, served by vhost-$VM_PID through the IOTLB, ping and TCP work, the hostile driver's accesses refused and reported ($faults fault events in the guest), the disk still good"
