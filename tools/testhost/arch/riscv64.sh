# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2034
# Test-host configuration for riscv64 (issue #17, first cut): QEMU TCG
# emulates a RISC-V "virt" board with the hypervisor extension and an AIA
# (APLIC + IMSIC with guest interrupt files), and Debian 13's riscv64
# kernel, entered by QEMU's bundled OpenSBI, runs KVM (a module) with the
# in-kernel AIA.

# Debian package facts (kernel, busybox, apt options) are the guest kit's.
# shellcheck source=tools/guest-kit/arch/riscv64.sh
: "${testhost_dir:?set by the sourcing script}"
. "$testhost_dir/../guest-kit/arch/riscv64.sh"

QEMU_PKG=qemu-system-misc
QEMU_BIN=qemu-system-riscv64

HOST_MODULES=(kvm tun)

HOST_CC=riscv64-linux-gnu-gcc
HOST_CC_PKGS=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)

# The board's own 16550 is the console, fed by the caller's first -serial;
# the result protocol's second port is a PCI 16550 on the board's PCIe host
# (serial1). Linux numbers the PCI one first (measured: ttyS0, the board's
# ttyS1).
HOST_CONSOLE=ttyS1
HOST_RESULTS_TTY=ttyS0

STANDIN_QEMU_BIN=""
STANDIN_QEMU_FIRMWARE=()

# host_qemu_args KERNEL INITRD APPEND: the emulated machine, without the
# serial back-ends (the caller adds two -serial options). aia-guests gives
# each hart guest interrupt files, which KVM's AIA uses for its guests' IMSICs.
# cryptomgr.notests: under TCG the crypto self-tests' DH modular
# exponentiation held a CPU for minutes (measured: RCU stalls past 90 s).
host_qemu_args() {
  printf '%s\n' -M virt,aia=aplic-imsic,aia-guests=4 -cpu rv64,h=true -smp 2 -m 2G \
    -nodefaults -no-user-config -display none -no-reboot \
    -device pci-serial,chardev=serial1 \
    -kernel "$1" -initrd "$2" -append "console=$HOST_CONSOLE cryptomgr.notests $3"
}
