# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2034
# Test-host configuration for riscv64 (issue #17): QEMU TCG emulates a
# RISC-V "virt" board with the hypervisor extension and its PLIC, and
# Debian 13's riscv64 kernel, entered by QEMU's bundled OpenSBI, runs KVM
# (a module) without an in-kernel irqchip.

# Debian package facts (kernel, busybox, apt options) are the guest kit's.
# shellcheck source=tools/guest-kit/arch/riscv64.sh
: "${testhost_dir:?set by the sourcing script}"
. "$testhost_dir/../guest-kit/arch/riscv64.sh"

QEMU_PKG=qemu-system-misc
QEMU_BIN=qemu-system-riscv64

HOST_MODULES=(kvm tun)

# Host-side tools of the integration cases, as on x86_64 (debugfs reads the
# guest's ext4 image, socat speaks to vsock's Unix socket), from Debian 13's
# riscv64 packages with their libraries and loader.
HOST_FOREIGN_FILES=(
  e2fsprogs:/usr/sbin/debugfs
  libext2fs2t64:/usr/lib/riscv64-linux-gnu/libext2fs.so.2
  libext2fs2t64:/usr/lib/riscv64-linux-gnu/libe2p.so.2
  libss2:/usr/lib/riscv64-linux-gnu/libss.so.2
  libcom-err2:/usr/lib/riscv64-linux-gnu/libcom_err.so.2
  libblkid1:/usr/lib/riscv64-linux-gnu/libblkid.so.1
  libuuid1:/usr/lib/riscv64-linux-gnu/libuuid.so.1
  socat:/usr/bin/socat
  libssl3t64:/usr/lib/riscv64-linux-gnu/libssl.so.3
  libssl3t64:/usr/lib/riscv64-linux-gnu/libcrypto.so.3
  zlib1g:/usr/lib/riscv64-linux-gnu/libz.so.1
  libzstd1:/usr/lib/riscv64-linux-gnu/libzstd.so.1
  libwrap0:/usr/lib/riscv64-linux-gnu/libwrap.so.0
  libc6:/usr/lib/riscv64-linux-gnu/libc.so.6
  libc6:/usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1:/lib/ld-linux-riscv64-lp64d.so.1
)

HOST_CC=riscv64-linux-gnu-gcc
HOST_CC_PKGS=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)

# The board's own 16550 (at 0x10000000) is the console, fed by the caller's
# first -serial, named by its address: Linux numbers it ttyS0 or ttyS1
# depending on when the interrupt controller's driver probes (measured:
# ttyS1 with the AIA, ttyS0 with the PLIC). The result protocol's port is a
# PCI 16550 on the board's PCIe host (serial1); the host's /init finds it
# by its PCI parent.
HOST_CONSOLE=uart8250,mmio,0x10000000
HOST_RESULTS_TTY=pci

STANDIN_QEMU_BIN=""
STANDIN_QEMU_FIRMWARE=()

# The interrupt controller of the emulated board. QEMU 7.2's AIA
# (aplic-imsic, which gives KVM an in-kernel AIA for its guests) does not
# work with Debian 13's kernel: measured on 2026-12-05, 2 harts, the boot
# stalled before /init (RCU stalls, a hard lockup in goldfish_rtc's
# request_irq). With the PLIC (none) or a lone APLIC in direct mode the host
# reaches /init in about 2 s of its own time, and KVM has no AIA: stdvmm
# then emulates a PLIC for its guests (docs/riscv64.md).
# STDVMM_RISCV64_HOST_AIA=aplic-imsic|aplic chooses another for experiments.
RV64_HOST_AIA=${STDVMM_RISCV64_HOST_AIA:-none}

# host_qemu_args KERNEL INITRD APPEND: the emulated machine, without the
# serial back-ends (the caller adds two -serial options). aia-guests gives
# each hart guest interrupt files, which KVM's AIA uses for its guests' IMSICs.
# cryptomgr.notests: under TCG the crypto self-tests' DH modular
# exponentiation held a CPU for minutes (measured: RCU stalls past 90 s).
host_qemu_args() {
  local machine=virt
  case $RV64_HOST_AIA in
    none) ;;
    aplic-imsic) machine=virt,aia=aplic-imsic,aia-guests=4 ;;
    *) machine=virt,aia=$RV64_HOST_AIA ;;
  esac
  printf '%s\n' -M "$machine" -cpu rv64,h=true -smp 2 -m 2G \
    -nodefaults -no-user-config -display none -no-reboot \
    -device pci-serial,chardev=serial1 \
    -kernel "$1" -initrd "$2" -append "console=$HOST_CONSOLE cryptomgr.notests $3"
}
