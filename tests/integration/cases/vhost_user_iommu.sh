#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# --iommu on with a vhost-user NIC (docs/memory.md "IOMMU"): dpdk-testpmd's
# vhost PMD with iommu-support=1 negotiates VIRTIO_F_ACCESS_PLATFORM and the
# IOTLB protocol features, takes the rings as IOVAs and asks stdvmm for each
# translation on its backend channel; stdvmm answers through the
# virtio-iommu (IOTLB_MSG updates) and invalidates what the guest unmaps.
# The guest (the bookworm-backports kit, whose kernel has the driver and
# ACPI VIOT) has the NIC in an IOMMU group and pings through testpmd's
# 5tswap echo as vhost_user_net does. testpmd without iommu-support=1 has no
# IOTLB: stdvmm then refuses the device with --iommu on and says why.
set -eu
kit=/opt/guest-iommu
if [ ! -s $kit/vmlinuz ] || [ ! -s $kit/initramfs.cpio.gz ]; then
	echo "FAIL: no guest kit with the bookworm-backports kernel in $kit"
	exit 1
fi
# shellcheck disable=SC2034 # read by lib/guest.sh
GUEST_KERNEL=$kit/vmlinuz GUEST_INITRD=$kit/initramfs.cpio.gz
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/vhost.sh
. "${0%/*}/lib/vhost.sh"
sock=$TEST_TMP/net.sock tlog=$TEST_TMP/testpmd.log mac=02:00:00:00:05:02
rm -f "$sock" "$tlog"

# A backend without an IOTLB would reach guest memory outside the IOMMU.
start_testpmd "$sock" "$tlog"
rc=0
"$STDVMM" run --kernel "$GUEST_KERNEL" --iommu on --net "vhost-user=$sock" --serial off \
	</dev/null 2>"$TEST_TMP/noiotlb.err" || rc=$?
stop_testpmd
echo "--- stdvmm --iommu on against testpmd without iommu-support (exit $rc):"
cat "$TEST_TMP/noiotlb.err"
[ $rc = 1 ] || fail "stdvmm with a backend without IOTLB exited $rc, expected 1"
grep -q "has no IOTLB support" "$TEST_TMP/noiotlb.err" ||
	fail "stdvmm did not say the backend has no IOTLB"

rm -f "$tlog"
# The debug level of DPDK's vhost config log names each IOTLB_MSG it reads.
TESTPMD_VDEV_EXTRA=",iommu-support=1" TESTPMD_EAL_EXTRA="--log-level=lib.vhost.config:debug" \
	start_testpmd "$sock" "$tlog"
echo "dpdk-testpmd (iommu-support=1) listens at $sock"
VM_MEMORY=256M run_vm "stdvmm.test=vhost_user_iommu deferred_probe_timeout=60" --iommu on \
	--net "vhost-user=$sock,mac=$mac" --log-level info
stop_testpmd
echo "--- dpdk-testpmd log: its vhost messages other than IOTLB_MSG, and errors:"
grep -i -E "vhost|iotlb|error|fail" "$tlog" | grep -v "read message VHOST_USER_IOTLB_MSG" | head -n 80
echo "--- dpdk-testpmd log (IOTLB lines: $(grep -c IOTLB "$tlog" || true)), last 30 lines:"
tail -n 30 "$tlog"
expect_line "stdvmm-test: vhost_user_net ok"
expect_rc 0 "guest powered off"
[ "$(serial_value iommu_driver)" = 1 ] ||
	fail "the virtio-iommu driver is bound to '$(serial_value iommu_driver)' devices, not 1"
group=$(serial_value nic_group)
case $group in
"" | none) fail "the NIC ($(serial_value nic_dev)) is in no IOMMU group" ;;
esac
features=$(serial_value features)
# Bit 0 first: ACCESS_PLATFORM is bit 33, MRG_RXBUF bit 15.
[ "$(echo "$features" | cut -c34)" = 1 ] || fail "ACCESS_PLATFORM was not negotiated ($features)"
[ "$(echo "$features" | cut -c16)" = 1 ] || fail "MRG_RXBUF was not negotiated ($features)"
expect_testpmd_echo "$tlog"
# testpmd's side: the features it was given carry IOMMU_PLATFORM (bit 33),
# and it read IOTLB messages (stdvmm's answers to its misses).
updates=$(grep -c "VHOST_USER_IOTLB_MSG" "$tlog" || true)
echo "testpmd read $updates IOTLB_MSG requests"
[ "${updates:-0}" -ge 1 ] || fail "testpmd read no IOTLB_MSG: it did not use an IOTLB"
grep -q "vhost-user $sock: features 0x[0-9a-f]*" "$STDERR_LOG" || fail "stdvmm did not log the negotiation"
served=$(sed -n 's/.*IOTLB: \([0-9]*\) misses answered.*/\1/p' "$STDERR_LOG" | tail -n 1)
echo "stdvmm answered ${served:-no} IOTLB misses of testpmd"
[ "${served:-0}" -ge 1 ] || fail "stdvmm answered no IOTLB miss"
grep -q "virtio-iommu: .* refused" "$STDERR_LOG" && fail "the IOMMU refused an access of the NIC"
echo "PASS: 35 pings through dpdk-testpmd's vhost-user port behind the virtio-iommu (group $group), $served IOTLB misses answered, $updates IOTLB_MSG read by testpmd"
