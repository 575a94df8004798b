#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Prints a directory holding the arm64 Debian -dev packages stdvmm's build
# needs (headers, static libraries, pkg-config files), unpacked into the cache with a private apt state and merged into
# one tree, for cmake/toolchain-aarch64-linux-gnu.cmake
# (STDVMM_AARCH64_SYSROOT). The system's dpkg architectures are not
# changed; nothing is installed.
#
#   tools/cross/aarch64-sysroot.sh [--cache DIR]
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
# The guest kit's arm64 apt options (private lists under $cache).
# shellcheck source=tools/guest-kit/arch/aarch64.sh
. "$here/../guest-kit/arch/aarch64.sh"

ensure_host_pkgs gcc-aarch64-linux-gnu pkg-config
# Every library the top-level configure step requires, for the target
# architecture (tools/install-deps.sh lists the native ones): a dependency
# made REQUIRED in a CMakeLists.txt must be added here too, or the aarch64
# cross build (integration.aarch64.stdvmm) fails to configure. stdvmm links
# them statically. (The manager and its libmicrohttpd are not cross-built:
# build-aarch64.sh passes STDVMM_BUILD_MANAGER=OFF.)
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
