# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2034
# Guest kit configuration for riscv64 guests (see arch/x86_64.sh for the
# variables). Debian 12 has no riscv64 port: the packages are Debian 13
# (trixie)'s, fetched with a private apt state under the cache directory
# (its own sources list on the mirror this machine's apt uses, its own
# lists, an empty dpkg status), so the system's sources, lists and dpkg
# architectures are never touched.

DEB_ARCH=riscv64
_rv_suite=${STDVMM_RISCV64_SUITE:-trixie}
_rv_cache=${th_cache:-${cache:?the sourcing script sets its cache directory}}
_rv_apt=$(realpath -m "$_rv_cache")/apt-$DEB_ARCH-$_rv_suite
apt_suite_state "$_rv_apt" "$DEB_ARCH" "$_rv_suite"
APT_OPTS=("${SUITE_APT_OPTS[@]}")
# Refreshed once a day, as the arm64 lists are.
APT_STATE_DIR=$_rv_apt
apt_lists_update || true
unset _rv_suite _rv_cache _rv_apt

KERNEL_META=linux-image-riscv64
# Debian installs the riscv64 kernel, an uncompressed Image, as vmlinux-VERSION.
kernel_image_path() {
  local f
  for f in "$1/boot/vmlinux-$2" "$1/boot/vmlinuz-$2"; do
    [[ -e $f ]] && { printf '%s\n' "$f"; return; }
  done
  printf '%s/boot/vmlinux-%s\n' "$1" "$2"
}

BUSYBOX_PKG=busybox-static

# As on aarch64, minus ramoops (the riscv64 device tree has no panic record yet).
GUEST_MODULES=(
  virtio_ring virtio virtio_mmio virtio_blk
  failover net_failover virtio_net
  virtio_console virtio-rng
  vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport
  crc16 mbcache jbd2 crc32c_generic libcrc32c ext4
)

# ext4 for the disk tests (busybox only makes ext2): Debian 13's riscv64
# mke2fs as mkfs.ext4, with its libraries and loader (PACKAGE:PATH[:DEST]).
GUEST_FOREIGN_FILES=(
  e2fsprogs:/usr/sbin/mke2fs:/usr/sbin/mkfs.ext4
  e2fsprogs:/etc/mke2fs.conf
  libext2fs2t64:/usr/lib/riscv64-linux-gnu/libext2fs.so.2
  libext2fs2t64:/usr/lib/riscv64-linux-gnu/libe2p.so.2
  libcom-err2:/usr/lib/riscv64-linux-gnu/libcom_err.so.2
  libblkid1:/usr/lib/riscv64-linux-gnu/libblkid.so.1
  libuuid1:/usr/lib/riscv64-linux-gnu/libuuid.so.1
  libc6:/usr/lib/riscv64-linux-gnu/libc.so.6
  libc6:/usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1:/lib/ld-linux-riscv64-lp64d.so.1
)
