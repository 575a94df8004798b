#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds and runs bench/iommu/chain_cost.c (the VMM-side cost of virtio-iommu
# per descriptor chain) against a build tree's portable library.
#   bench/iommu/run.sh [BUILD_DIR]   (default: build)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$repo/build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -std=c17 -D_GNU_SOURCE -I"$repo/include" -I"$repo/src" -I"$repo/tests/unit" \
	-o "$out/chain_cost" "$repo/bench/iommu/chain_cost.c" "$repo/tests/fuzz/fuzz_quiet_log.c" \
	"$repo/tests/unit/support/test_hv_none.c" "$build/src/libstdvmm_portable.a"
"$out/chain_cost"
