#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Prints a directory holding Debian's arm64 libfdt-dev (headers and
# libfdt.a), unpacked into the cache with a private apt state, for
# cmake/toolchain-aarch64-linux-gnu.cmake (STDVMM_AARCH64_SYSROOT). The
# system's dpkg architectures are not changed; nothing is installed.
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

ensure_host_pkgs gcc-aarch64-linux-gnu
dir=$(deb_unpack "$cache" libfdt-dev)
[[ -f $dir/usr/include/libfdt.h ]] || die "libfdt-dev:arm64 in $dir has no libfdt.h"
printf '%s\n' "$dir"
