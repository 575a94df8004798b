# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2034
# Test-host configuration for aarch64: QEMU TCG emulates an Arm "virt" board
# with EL2 (virtualization=on) and a GICv3, and Debian's arm64 kernel, booted
# at EL2, runs KVM (built in, VHE) with the in-kernel vGIC.

# Debian package facts (kernel, busybox, apt options) are the guest kit's.
# shellcheck source=tools/guest-kit/arch/aarch64.sh
: "${testhost_dir:?set by the sourcing script}"
. "$testhost_dir/../guest-kit/arch/aarch64.sh"

QEMU_PKG=qemu-system-arm
QEMU_BIN=qemu-system-aarch64

# KVM is built into Debian's arm64 kernel; tun is for the virtio-net tap case,
# vhost_net (with vhost and vhost_iotlb) for vhost=on behind the IOMMU (virtio_iommu).
HOST_MODULES=(tun vhost_net)

# The board has one PL011 (ttyAMA0), the console. The result protocol needs
# a second port: a PCI 16550 (8250_pci is built in) on the board's PCIe host,
# fed by the caller's second -serial back-end, which QEMU names serial1.
HOST_CC=aarch64-linux-gnu-gcc
HOST_CC_PKGS=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)

HOST_CONSOLE=ttyAMA0
HOST_RESULTS_TTY=ttyS0

# run-suite.sh --with-qemu: Debian's arm64 QEMU (bench/boot/run.sh --arch
# aarch64 runs it with -M virt -enable-kvm), its libraries from the arm64
# packages; -M virt boots a -kernel without firmware.
STANDIN_QEMU_BIN=""
STANDIN_QEMU_FOREIGN=qemu-system-arm:/usr/bin/qemu-system-aarch64
STANDIN_QEMU_FIRMWARE=()

# pauth-impdef: the host kernel signs return addresses in every function;
# TCG's emulation of the architected QARMA5 cipher made the host boot ~3x
# slower (measured: /init after 26 s instead of 9 s) than this cheap
# implementation-defined one, which the guest never sees.
#
# host_qemu_args KERNEL INITRD APPEND: the emulated machine, without the
# serial back-ends (the caller adds two -serial options).
host_qemu_args() {
  printf '%s\n' -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp 2 -m 2G \
    -nodefaults -no-user-config -display none -no-reboot \
    -device pci-serial,chardev=serial1 \
    -kernel "$1" -initrd "$2" -append "console=$HOST_CONSOLE $3"
}
