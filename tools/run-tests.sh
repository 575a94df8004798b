#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's test command: installs what is missing, builds stdvmm twice
# (gcc; clang with AddressSanitizer + UndefinedBehaviorSanitizer) and runs
#   - every test (unit, freestanding cross-compile, integration in the test
#     host) on the gcc build, and
#   - the unit tests again under ASan+UBSan.
# Set STDVMM_REQUIRE_KVM=1 (CI does) to turn any skipped test into a failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${STDVMM_BUILD_DIR:-$top/build}
jobs=$(nproc)

"$top/tools/install-deps.sh"

echo "== build (gcc) in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build"

echo "== build (clang, ASan+UBSan) in $build-asan"
cmake -S . -B "$build-asan" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DSTDVMM_SANITIZE=ON >/dev/null
ninja -C "$build-asan"

echo "== unit tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$build-asan" -L unit --output-on-failure -j "$jobs"

echo "== all tests (unit, freestanding, integration in the test host)"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
