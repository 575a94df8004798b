#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: aarch64
# --iommu on (docs/memory.md): the arm64 guest loads the virtio-iommu driver
# the guest kit builds out of tree, its virtio devices (rng, disk, network)
# probe behind the IOMMU (each in an IOMMU group), and the disk and the
# network (a TAP) work through the guest's mappings. stdvmm-hostile then
# drives the unbound virtio-rng device with guest-physical rings and buffers its domain
# does not map: every access is refused, the VMM logs the refusals, the
# guest's driver reports the fault events, and the VM goes on (the disk
# still reads back what was written). A run without the IOMMU and one with
# the guest's lazy invalidation (iommu.strict=0) give A/B figures for the
# disk and the network (printed, not asserted).
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
img=$TEST_TMP/iommu.img
dd if=/dev/zero of="$img" bs=1048576 count=64 2>/dev/null
tap=stdvmm-tap0
# The deferred probe of the devices behind the IOMMU waits for its driver,
# which /init loads as a module: give slow test hosts more than the 10 s default.
extra="deferred_probe_timeout=60 iommu.bench=1"

# one EXTRA_CMDLINE [stdvmm args]: a run with the disk, rng and a TAP whose
# host end serves the guest's line and its 5 s stream (the cross-built
# stdvmm has no libslirp, so no user networking here).
one() {
	more=$1
	shift
	start_vm "stdvmm.test=virtio_iommu $extra $more" --rng --disk "path=$img" --net "tap=$tap" "$@"
	tap_up "$tap"
	(echo hello-from-host | timeout 300 nc -l -p 5555 >/dev/null) &
	(timeout 300 nc -l -p 5557 </dev/zero >/dev/null 2>&1) &
	wait_vm
}

one ""
expect_rc 0 "guest without the IOMMU powered off"
expect_line "stdvmm-test: virtio_iommu ok"
[ "$(serial_value disk)" = ok ] || fail "without the IOMMU the disk said '$(serial_value disk)'"
[ "$(serial_value reply)" = hello-from-host ] ||
	fail "without the IOMMU the guest got '$(serial_value reply)' from the host's server"
off_r=$(serial_value blk_read_mib_s) off_w=$(serial_value blk_write_mib_s)
off_n=$(serial_value net_rx_mib_s)

one "iommu.hostile=1" --iommu on
expect_rc 0 "guest behind the IOMMU powered off"
expect_line "stdvmm-test: virtio_iommu ok"
iommu_expect_behind
iommu_expect_hostile rng 1
on_r=$(serial_value blk_read_mib_s) on_w=$(serial_value blk_write_mib_s)
on_n=$(serial_value net_rx_mib_s)
# The guest's lazy mode (iommu.strict=0) batches its UNMAPs: the same figures with it.
one "iommu.strict=0" --iommu on
expect_rc 0 "guest behind the IOMMU in lazy mode powered off"
[ "$(serial_value disk)" = ok ] || fail "in lazy mode the disk said '$(serial_value disk)'"
lazy_r=$(serial_value blk_read_mib_s) lazy_w=$(serial_value blk_write_mib_s)
lazy_n=$(serial_value net_rx_mib_s)
echo "BENCH virtio_iommu: blk read ${off_r} -> ${on_r} MiB/s (x$(ratio "$on_r" "$off_r")), write ${off_w} -> ${on_w} MiB/s (x$(ratio "$on_w" "$off_w")), net rx ${off_n} -> ${on_n} MiB/s (x$(ratio "$on_n" "$off_n")) without -> with the IOMMU (guest strict mode)"
echo "BENCH virtio_iommu lazy: blk read x$(ratio "$lazy_r" "$off_r") (${lazy_r} MiB/s), write x$(ratio "$lazy_w" "$off_w") (${lazy_w}), net rx x$(ratio "$lazy_n" "$off_n") (${lazy_n}) with iommu.strict=0"
echo "PASS: virtio-iommu driver bound, rng/disk/net in IOMMU groups, disk and network work, the hostile driver's accesses refused and reported ($faults fault events in the guest), the disk still good"
