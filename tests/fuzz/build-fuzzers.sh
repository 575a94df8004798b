#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds the fuzzers with clang (tests/fuzz/CMakeLists.txt as a project of
# its own). Exits 77 (skipped) where clang or libFuzzer is missing.
#   build-fuzzers.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
out=$2
if ! command -v clang >/dev/null 2>&1; then
    echo "SKIP: no clang (Debian: clang, libclang-rt-14-dev)"
    exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>"$probe/log"; then
    cat "$probe/log"
    echo "SKIP: clang cannot link libFuzzer (Debian: libclang-rt-14-dev)"
    exit 77
fi
gen=""
if command -v ninja >/dev/null 2>&1; then gen="-G Ninja"; fi
# shellcheck disable=SC2086 # gen is empty or two words
cmake -S "$src" -B "$out" $gen -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$out"
