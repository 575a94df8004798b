#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cross-builds a static stdvmm for another architecture from this source
# tree: aarch64 for the aarch64 test host (tests/integration:
# integration.aarch64.*), riscv64 for the riscv64 one (issue #17).
#
#   tools/cross/build.sh --arch aarch64|riscv64 --build DIR [--cache DIR] [--generator NAME]
#
# Fetches the architecture's Debian libraries into the cache (sysroot.sh),
# then configures DIR with cmake/toolchain-ARCH-linux-gnu.cmake and builds
# the stdvmm target. Prints the binary's path last.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage="usage: $0 --arch aarch64|riscv64 --build DIR [--cache DIR] [--generator NAME]"
arch="" build="" cache=${STDVMM_CACHE_DIR:-$repo/build/cache} generator=Ninja
while (($#)); do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    --generator) generator=${2:?}; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
# What file(1) says of a static binary for the architecture.
case $arch in
  aarch64) file_says='ARM aarch64.*statically linked' ;;
  riscv64) file_says='UCB RISC-V.*statically linked' ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
[[ -n $build ]] || { echo "$usage" >&2; exit 2; }

sysroot=$("$here/sysroot.sh" --arch "$arch" --cache "$cache" | tail -n 1)
cmake -S "$repo" -B "$build" -G "$generator" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchain-$arch-linux-gnu.cmake" \
  "-DSTDVMM_${arch^^}_SYSROOT=$sysroot" -DSTDVMM_BUILD_MANAGER=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" --target stdvmm
bin=$build/src/tools/stdvmm
file "$bin" 2>/dev/null | grep -q "$file_says" ||
  { echo "build: $bin is not a static $arch executable: $(file "$bin")" >&2; exit 1; }
printf '%s\n' "$bin"
