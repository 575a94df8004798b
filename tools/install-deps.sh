#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Installs every Debian package stdvmm's build, tests and test host need.
# Idempotent and quick when everything is already there, so both README
# commands call it first.
set -euo pipefail

# Listed explicitly, never left to a Recommends (installs here skip them);
# qemu-system-common holds qemu-storage-daemon and virtiofsd, the vhost-user
# backends of the unit and integration tests; dpdk-dev holds dpdk-testpmd,
# whose vhost-user-net port (librte-net-vhost23, with librte-mempool-ring23)
# serves the vhost_user_net case:
# libc6-dev-arm64-cross is the glibc the static aarch64 stdvmm links
# against; picolibc-aarch64-linux-gnu is the libc of the seL4 port and of
# the freestanding check; python3 and curl drive the manager tests, python3
# also the include-cycle check (tools/check-include-cycles.sh);
# gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross and
# picolibc-riscv64-unknown-elf are the riscv64 cross check's
# (tools/cross/check-riscv64.sh, issue #17); python3-yaml
# lets the seL4 generator's unit test read the YAML examples in docs/.
packages=(
    build-essential cmake ninja-build pkg-config clang gcc-aarch64-linux-gnu
    libc6-dev-arm64-cross picolibc-aarch64-linux-gnu python3 python3-yaml curl
    gcc-riscv64-linux-gnu libc6-dev-riscv64-cross picolibc-riscv64-unknown-elf
    libcmocka-dev libfdt-dev device-tree-compiler acpica-tools
    libyaml-dev libjansson-dev libmicrohttpd-dev libclang-rt-14-dev
    qemu-system-x86 qemu-system-common cpio busybox-static e2fsprogs kmod file socat
    liburing-dev libslirp-dev libseccomp-dev
    dpdk-dev librte-net-vhost23 librte-mempool-ring23
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "install-deps: need root to install: ${missing[*]}" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
