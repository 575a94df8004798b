# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2034
# Guest kit configuration for x86_64 guests. Another architecture is another
# file like this one (arch/aarch64.sh) setting the same variables.

# Debian architecture and apt options for fetching its packages; the build
# machine is amd64, so no foreign-architecture options are needed.
DEB_ARCH=amd64
APT_OPTS=()

KERNEL_META=linux-image-amd64
# Path of the bootable image inside the unpacked kernel package.
kernel_image_path() { printf '%s/boot/vmlinuz-%s\n' "$1" "$2"; }

BUSYBOX_PKG=busybox-static

# virtio-iommu (docs/memory.md) needs CONFIG_VIRTIO_IOMMU and
# CONFIG_ACPI_VIOT, which Debian 12's 6.1 kernel lacks and its
# bookworm-backports kernel has (build.sh --kernel-suite bookworm-backports;
# the driver is a module of the kernel package itself). It loads before
# virtio_mmio: the IOMMU's window is the first virtio-mmio device, so its
# driver is registered by the time the devices behind it probe, and none of
# them waits in deferred probe.
_x86_iommu=()
[[ -z ${KERNEL_SUITE:-} ]] || _x86_iommu=(virtio_iommu)

# Modules in load order (/init loads them as listed: pvpanic-mmio first, so a
# panic in any later step reaches the VMM; modprobe adds dependencies).
GUEST_MODULES=(
  pvpanic-mmio pvpanic
  virtio_ring virtio "${_x86_iommu[@]}" virtio_mmio virtio_blk
  failover net_failover virtio_net
  virtio_console virtio-rng
  vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport
  crc16 mbcache jbd2 crc32c_generic libcrc32c ext4
  fuse virtiofs
  evdev button
)
unset _x86_iommu

# Programs copied from the build machine (same architecture) with their
# libraries, as PACKAGE:PATH:DEST: ext4 for the disk tests (busybox only
# makes ext2).
GUEST_PROGRAMS=(
  e2fsprogs:/usr/sbin/mke2fs:/usr/sbin/mkfs.ext4
)
