# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# The checks the virtio-iommu cases share on what the guest half
# (guest/virtio_iommu.sh) printed. Sourced after lib/guest.sh.

# iommu_expect_behind: the guest's driver bound, rng, disk and NIC in IOMMU
# groups, and the disk and the network working through their mappings.
iommu_expect_behind() {
	[ "$(serial_value iommu_driver)" = 1 ] ||
		fail "the virtio-iommu driver is bound to '$(serial_value iommu_driver)' devices, not 1"
	members=$(serial_value iommu_members)
	# Device tree names (a001000.virtio_mmio) or ACPI ones (LNRO0005:01).
	n=$(echo "$members" | tr ' ' '\n' | grep -c -E 'virtio_mmio|LNRO0005' || true)
	[ "$n" -ge 3 ] || fail "only $n virtio-mmio devices in IOMMU groups ($members); want rng, disk, net"
	[ "$(serial_value disk)" = ok ] || fail "behind the IOMMU the disk said '$(serial_value disk)'"
	[ "$(serial_value ping)" = ok ] || fail "behind the IOMMU the guest could not ping the TAP's address"
	[ "$(serial_value reply)" = hello-from-host ] ||
		fail "behind the IOMMU the guest got '$(serial_value reply)' from the host's server"
}

# iommu_expect_hostile DEVICE ENDPOINT: stdvmm-hostile ran against DEVICE
# (its stdvmm name), the VMM refused and logged its accesses, the guest's
# driver saw fault events (their count in $faults), and the disk still works.
iommu_expect_hostile() {
	[ "$(serial_value hostile)" = ok ] || fail "stdvmm-hostile: $(serial_value hostile)"
	grep -q "virtio-iommu: $1 (endpoint $2) .* refused: outside its mappings; reported to the guest" \
		"$STDERR_LOG" || fail "the VMM did not report a refused access of $1"
	faults=$(serial_value guest_faults)
	[ "${faults:-0}" -ge 1 ] || fail "the guest's driver saw no fault event"
	[ "$(serial_value disk_after)" = ok ] || fail "after the attack the disk said '$(serial_value disk_after)'"
}

# ratio A B: A / B with two decimals, ? when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }
