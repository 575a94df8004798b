# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2034
# Test-host configuration for x86_64: QEMU TCG emulates an AMD CPU with SVM
# and NPT, and the Debian kernel inside runs real KVM (kvm-amd). Another
# architecture is another file like this one (arch/aarch64.sh: qemu-system-
# aarch64 -M virt,virtualization=on, KVM built in, no modules).

# Debian package facts (kernel, busybox, apt options) are the guest kit's.
# shellcheck source=tools/guest-kit/arch/x86_64.sh
: "${testhost_dir:?set by the sourcing script}"
. "$testhost_dir/../guest-kit/arch/x86_64.sh"

QEMU_PKG=qemu-system-x86
QEMU_BIN=qemu-system-x86_64

# modprobe resolves the order the notes require (irqbypass, kvm, ccp,
# kvm-amd; vhost and vhost_iotlb under vhost_net); the names are listed anyway
# so a missing one is reported.
HOST_MODULES=(irqbypass kvm ccp kvm-amd tun vhost_net)

# Host-side tools of the integration cases (PACKAGE:PATH): debugfs reads a
# guest's ext4 image without mounting it, socat speaks to vsock's Unix socket,
# qemu-storage-daemon and virtiofsd are the third-party vhost-user backends
# (vhost-user-blk, vhost-user-fs) the vhost_user_* cases plug into stdvmm;
# dpdk-testpmd (in Debian 12's dpdk-dev) with its vhost and mempool plugins
# serves vhost_user_net.
HOST_PROGRAMS=(
  e2fsprogs:/usr/sbin/debugfs
  socat:/usr/bin/socat
  qemu-system-common:/usr/bin/qemu-storage-daemon
  qemu-system-common:/usr/lib/qemu/virtiofsd
  dpdk-dev:/usr/bin/dpdk-testpmd
  librte-mempool-ring23:/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_mempool_ring.so.23.0
  librte-net-vhost23:/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_vhost.so.23.0
)

# The host's own helpers (tools/testhost/kvm-hold.c) are static programs
# built with this compiler from these packages.
HOST_CC=gcc
HOST_CC_PKGS=(gcc libc6-dev)

# Console on the first serial port, the result protocol on the second.
HOST_CONSOLE=ttyS0
HOST_RESULTS_TTY=ttyS1

# Stand-in VMM for self-tests and benchmarks: the build machine's QEMU and
# the firmware its microvm machine needs.
STANDIN_QEMU_BIN=/usr/bin/qemu-system-x86_64
STANDIN_QEMU_FIRMWARE=(bios-microvm.bin qboot.rom linuxboot_dma.bin pvh.bin)

# EPYC features TCG cannot emulate are switched off: QEMU drops them anyway,
# and says so in a warning per feature and vCPU.
HOST_CPU=EPYC,+svm,+npt
HOST_CPU+=,-rdseed,-sha-ni,-fxsr-opt,-misalignsse,-3dnowprefetch,-osvw,-topoext,-nrip-save,-xsavec

# The host's KVM runs its guests on shadow page tables, not on the emulated
# nested paging (NPT): with NPT under QEMU TCG, 16-vCPU guests
# triple-faulted and the host's own kernel died of a corrupted stack.
# tools/testhost/README.md "Nested paging is off" has the figures;
# STDVMM_TESTHOST_APPEND=kvm_amd.npt=1 turns it on.
HOST_APPEND=kvm_amd.npt=0

# host_qemu_args KERNEL INITRD APPEND: the emulated machine, without the
# serial back-ends (the caller adds two -serial options).
host_qemu_args() {
  printf '%s\n' -M q35 -cpu "$HOST_CPU" -smp 2 -m 3G \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$1" -initrd "$2" -append "console=$HOST_CONSOLE $HOST_APPEND $3"
}
