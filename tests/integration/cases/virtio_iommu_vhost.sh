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
# shellcheck source=tests/integration/cases/lib/iommu.sh
. "${0%/*}/lib/iommu.sh"
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
	wait_line "stdvmm-test: reply=hello-from-host"
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
[ "$workers" -ge 1 ] || fail "behind the IOMMU no vhost-$VM_PID kernel thread served the NIC"
iommu_expect_behind
on_n=$(serial_value net_rx_mib_s)
if grep -q "vhost-net refused IOTLB" "$STDERR_LOG"; then
	fail "the kernel refused an IOTLB message: $(grep -m1 'vhost-net refused IOTLB' "$STDERR_LOG")"
fi
# The NIC is the third device behind the IOMMU (rng 1, disk 2).
iommu_expect_hostile net0 3
echo "BENCH virtio_iommu_vhost: net rx ${off_n} -> ${on_n} MiB/s (x$(ratio "$on_n" "$off_n")) without -> with the IOMMU, tap vhost=on (guest strict mode)"
echo "PASS: vhost-net behind the virtio-iommu: NIC in an IOMMU group, served by vhost-$VM_PID through the IOTLB, ping and TCP work, the hostile driver's accesses refused and reported ($faults fault events in the guest), the disk still good"
