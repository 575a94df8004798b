#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Prints a directory holding the riscv64 Debian -dev packages stdvmm's build
# needs, for cmake/toolchain-riscv64-linux-gnu.cmake (STDVMM_RISCV64_SYSROOT),
# as aarch64-sysroot.sh does for arm64. Debian 12 has no riscv64 port, so
# they come from Debian 13 (trixie), through the guest kit's private apt
# state (tools/guest-kit/arch/riscv64.sh): the system's sources, lists and
# dpkg architectures are never touched; nothing is installed.
#
#   tools/cross/riscv64-sysroot.sh [--cache DIR]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
LOG_TAG=cross
# shellcheck source=tools/guest-kit/lib/common.sh
. "$here/../guest-kit/lib/common.sh"

cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --cache) cache=${2:?}; shift 2 ;;
    *) die "usage: $0 [--cache DIR]" ;;
  esac
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# The guest kit's riscv64 apt options (trixie, private state under $cache).
# shellcheck source=tools/guest-kit/arch/riscv64.sh
. "$here/../guest-kit/arch/riscv64.sh"

ensure_host_pkgs gcc-riscv64-linux-gnu libc6-dev-riscv64-cross pkg-config
# The same libraries as aarch64-sysroot.sh (keep the two lists alike).
pkgs=(libfdt-dev libyaml-dev libjansson-dev libseccomp-dev)
dirs=() ids=()
for p in "${pkgs[@]}"; do
  dirs+=("$(deb_unpack "$cache" "$p")")
  ids+=("$p=$(deb_version "$p")")
done
sysroot=$cache/sysroot-$DEB_ARCH-$(inputs_hash "${ids[@]}" | cut -c1-16)
if [[ ! -d $sysroot ]]; then
  tmp=$(mktemp -d "$cache/.sysroot.XXXXXX")
  for d in "${dirs[@]}"; do cp -a "$d/." "$tmp/"; done
  mv "$tmp" "$sysroot"
fi
[[ -f $sysroot/usr/include/libfdt.h ]] || die "no libfdt.h in $sysroot"
printf '%s\n' "$sysroot"
