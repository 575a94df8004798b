#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Prints a directory holding the Debian -dev packages stdvmm's build needs
# for another architecture (headers, static libraries, pkg-config files),
# unpacked into the cache with a private apt state and merged into one tree,
# for cmake/toolchain-ARCH-linux-gnu.cmake (STDVMM_<ARCH>_SYSROOT). The
# system's sources, lists and dpkg architectures are not changed; nothing is
# installed. aarch64 packages come from Debian 12; riscv64 ones from Debian
# 13 (trixie), since Debian 12 has no riscv64 port. The apt state is the
# guest kit's (tools/guest-kit/arch/ARCH.sh).
#
#   tools/cross/sysroot.sh --arch aarch64|riscv64 [--cache DIR]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
LOG_TAG=cross
# shellcheck source=tools/guest-kit/lib/common.sh
. "$here/../guest-kit/lib/common.sh"

arch="" cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    *) die "usage: $0 --arch aarch64|riscv64 [--cache DIR]" ;;
  esac
done
case $arch in
  aarch64) cross_pkgs=(gcc-aarch64-linux-gnu) ;;
  riscv64) cross_pkgs=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross) ;;
  *) die "usage: $0 --arch aarch64|riscv64 [--cache DIR]" ;;
esac
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# The guest kit's apt options for the architecture (private state under $cache).
# shellcheck source=tools/guest-kit/arch/aarch64.sh
. "$here/../guest-kit/arch/$arch.sh"

ensure_host_pkgs "${cross_pkgs[@]}" pkg-config
# Every library the top-level configure step requires, for the target
# architecture (tools/install-deps.sh lists the native ones): a dependency
# made REQUIRED in a CMakeLists.txt must be added here too, or the cross
# build (integration.aarch64.stdvmm) fails to configure. stdvmm links them
# statically. (The manager and its libmicrohttpd are not cross-built:
# build.sh passes STDVMM_BUILD_MANAGER=OFF.)
pkgs=(libfdt-dev libyaml-dev libjansson-dev libseccomp-dev)
dirs=() ids=()
for p in "${pkgs[@]}"; do
  dirs+=("$(deb_unpack "$cache" "$p")")
  ids+=("$p=$(deb_version "$p")")
done
# One tree per set of package versions; a new Debian point release makes a new one.
sysroot=$cache/sysroot-$DEB_ARCH-$(inputs_hash "${ids[@]}" | cut -c1-16)
if [[ ! -d $sysroot ]]; then
  tmp=$(mktemp -d "$cache/.sysroot.XXXXXX")
  for d in "${dirs[@]}"; do cp -a "$d/." "$tmp/"; done
  mv "$tmp" "$sysroot"
fi
[[ -f $sysroot/usr/include/libfdt.h ]] || die "no libfdt.h in $sysroot"
printf '%s\n' "$sysroot"
