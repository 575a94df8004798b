#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cross-builds a static riscv64 stdvmm from this source tree, as
# build-aarch64.sh does for aarch64 (the riscv64 test host that will run it
# is issue #17's next step).
#
#   tools/cross/build-riscv64.sh --build DIR [--cache DIR] [--generator NAME]
#
# Fetches Debian 13's riscv64 libraries into the cache (riscv64-sysroot.sh), then
# configures DIR with cmake/toolchain-riscv64-linux-gnu.cmake and builds the
# stdvmm target. Prints the binary's path last.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

build="" cache=${STDVMM_CACHE_DIR:-$repo/build/cache} generator=Ninja
while (($#)); do
  case $1 in
    --build) build=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    --generator) generator=${2:?}; shift 2 ;;
    *) echo "usage: $0 --build DIR [--cache DIR] [--generator NAME]" >&2; exit 2 ;;
  esac
done
[[ -n $build ]] || { echo "usage: $0 --build DIR [--cache DIR] [--generator NAME]" >&2; exit 2; }

sysroot=$("$here/riscv64-sysroot.sh" --cache "$cache" | tail -n 1)
cmake -S "$repo" -B "$build" -G "$generator" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchain-riscv64-linux-gnu.cmake" \
  -DSTDVMM_RISCV64_SYSROOT="$sysroot" -DSTDVMM_BUILD_MANAGER=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" --target stdvmm
bin=$build/src/tools/stdvmm
file "$bin" 2>/dev/null | grep -q 'UCB RISC-V.*statically linked' ||
  { echo "build-riscv64: $bin is not a static riscv64 executable: $(file "$bin")" >&2; exit 1; }
printf '%s\n' "$bin"
