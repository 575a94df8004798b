# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2034
# Guest kit configuration for aarch64 guests (see arch/x86_64.sh for the
# variables). The build machine is amd64: arm64 packages are fetched with a
# private apt state (lists, cache, an empty dpkg status) under the cache
# directory, so the system's dpkg architectures and package lists are never
# touched.

DEB_ARCH=arm64

# The sourcing script has set its cache directory (build.sh: cache,
# testhost/lib/host.sh: th_cache). apt runs from other working directories
# later, so the state path must be absolute.
_a64_cache=${th_cache:-${cache:?the sourcing script sets its cache directory}}
_a64_apt=$(realpath -m "$_a64_cache")/apt-$DEB_ARCH
mkdir -p "$_a64_apt/lists/partial" "$_a64_apt/cache/archives/partial"
APT_OPTS=(
  -o "APT::Architectures::=$DEB_ARCH" -o "APT::Architecture=$DEB_ARCH"
  -o "Dir::State::Lists=$_a64_apt/lists" -o "Dir::Cache=$_a64_apt/cache"
  -o Dir::State::status=/dev/null
)
# The private lists are not refreshed by the system's apt-get update: do it
# once a day, so that a kernel Debian has since replaced is not asked for.
APT_STATE_DIR=$_a64_apt
apt_lists_update || true
unset _a64_cache _a64_apt

# KVM and the GICv3/timer drivers are built in; the image is an uncompressed
# arm64 Image despite its name.
KERNEL_META=linux-image-arm64
kernel_image_path() { printf '%s/boot/vmlinuz-%s\n' "$1" "$2"; }

BUSYBOX_PKG=busybox-static

# Modules in load order, as on x86_64, except that Debian's arm64 kernel has
# no pvpanic: ramoops goes first instead. The device tree gives it a RAM area
# to record a panic in, which stdvmm reads when the guest resets (so a panic
# still ends stdvmm with status 3).
GUEST_MODULES=(
  ramoops
  virtio_ring virtio virtio_mmio virtio_iommu virtio_blk
  failover net_failover virtio_net
  virtio_console virtio-rng
  vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport
  crc16 mbcache jbd2 crc32c_generic libcrc32c ext4
)

# Built out of tree (lib/oot_module.sh) as NAME:MODULE:FILE,...: Debian's
# arm64 kernel leaves CONFIG_VIRTIO_IOMMU unset but has the IOMMU core, DMA
# API glue and OF_IOMMU the driver needs (docs/memory.md). It loads right
# after virtio_mmio, so the devices whose DT nodes name the IOMMU in
# `iommus` (deferred until it is there) probe behind it.
GUEST_OOT_MODULES=(
  virtio-iommu:virtio_iommu:drivers/iommu/virtio-iommu.c,drivers/iommu/dma-iommu.h
)

# ext4 for the disk tests (busybox only makes ext2): the arm64 mke2fs with
# its libraries and dynamic loader, from the arm64 packages (the build
# machine cannot ldd a foreign binary), as PACKAGE:PATH.
GUEST_FOREIGN_FILES=(
  e2fsprogs:/sbin/mke2fs
  e2fsprogs:/etc/mke2fs.conf
  libext2fs2:/lib/aarch64-linux-gnu/libext2fs.so.2
  libcom-err2:/lib/aarch64-linux-gnu/libcom_err.so.2
  libext2fs2:/lib/aarch64-linux-gnu/libe2p.so.2
  libblkid1:/usr/lib/aarch64-linux-gnu/libblkid.so.1
  libuuid1:/usr/lib/aarch64-linux-gnu/libuuid.so.1
  libc6:/lib/ld-linux-aarch64.so.1
  libc6:/lib/aarch64-linux-gnu/libc.so.6
)
