#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's run command: installs what is missing, builds stdvmm and the
# default guest kit (Debian's kernel + a busybox initramfs) and boots it to
# an interactive shell on this terminal. `poweroff` in the guest ends it.
# The guest gets a virtio-net device on user-mode networking (libslirp),
# which its /init configures by DHCP: 10.0.2.15, gateway 10.0.2.2 = this
# host's loopback, and outbound TCP/UDP through the host's own sockets.
# (Not with --arch aarch64 or riscv64: the static cross builds have no libslirp.)
#
# With hardware-backed KVM (vmx/svm) the guest runs natively. Otherwise (no
# /dev/kvm, or PVM as on these build machines) it runs inside the test host:
# an emulated x86_64 machine with real KVM, which this script says it does.
# Extra arguments go to `stdvmm run` (e.g. --cpus 2 --memory 1G).
#
# `--arch aarch64` first (on an x86_64 machine) boots the arm64 guest kit
# instead: stdvmm is cross-built for aarch64 (tools/cross/build.sh --arch aarch64)
# and runs inside the aarch64 test host (QEMU TCG Arm virt board with EL2).
# `--arch riscv64` likewise boots Debian's riscv64 kernel inside the riscv64
# test host (QEMU TCG RISC-V virt board with H; docs/riscv64.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${STDVMM_BUILD_DIR:-$top/build}
arch=$(uname -m)
if [[ ${1:-} == --arch ]]; then
    arch=${2:?--arch needs x86_64, aarch64 or riscv64}
    shift 2
fi

"$top/tools/install-deps.sh"
net=()
if [[ $arch == "$(uname -m)" ]]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ninja -C "$build" stdvmm
    stdvmm=$build/src/tools/stdvmm
    net=(--net user,restrict=off) # the playground reaches the host, as the README says
elif [[ $arch == aarch64 || $arch == riscv64 ]]; then
    stdvmm=$("$top/tools/cross/build.sh" --arch "$arch" --build "$build/$arch-cross" \
        --cache "$build/cache" | tail -n 1)
else
    echo "run-default-guest: --arch $arch: this machine builds for $(uname -m), aarch64 and riscv64" >&2
    exit 2
fi
kit=$build/tests/integration/$arch/guest-kit
"$top/tools/guest-kit/build.sh" --arch "$arch" --out "$kit" --cache "$build/cache"

hardware_kvm() {
    [[ $arch == "$(uname -m)" ]] || return 1
    [[ -r /dev/kvm && -w /dev/kvm ]] || return 1
    [[ -d /sys/module/kvm_pvm ]] && return 1
    grep -qwE 'vmx|svm' /proc/cpuinfo || [[ $arch == aarch64 ]]
}

cmdline="console=ttyS0 panic=-1"
if hardware_kvm; then
    echo "run-default-guest: booting natively on this host's KVM (Ctrl-A x stops the VM)"
    exec "$stdvmm" run --kernel "$kit/vmlinuz" --initramfs "$kit/initramfs.cpio.gz" \
        --cmdline "$cmdline" --memory 512M "${net[@]}" "$@"
fi
if [[ $arch != "$(uname -m)" ]]; then
    echo "run-default-guest: booting the $arch guest inside the $arch test host (QEMU TCG with nested KVM)."
else
    echo "run-default-guest: this machine's /dev/kvm cannot run standard guests (missing, or PVM);"
    echo "run-default-guest: booting the guest inside the test host (QEMU TCG with nested KVM) instead."
fi
exec "$top/tools/testhost/run-interactive.sh" --arch "$arch" --stdvmm "$stdvmm" \
    --guest-kit "$kit" --cache "$build/cache" -- --cmdline "$cmdline" --memory 512M "${net[@]}" "$@"
