#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# KVM reference figures for the seL4 I/O scenarios: the guest side of
# run-demo.py --scenario blk (tests/sel4/guest/blk_region.sh) and --scenario
# net (tests/sel4/guest/net.sh) under stdvmm on KVM in the aarch64 test
# host, with the same guest kit (tests/sel4/kvm-reference/*.sh).
#
#   tests/sel4/kvm-reference.sh BUILD KIT RESULTS
#
# BUILD: an x86_64 stdvmm build whose integration tests cross-built the
# aarch64 stdvmm (BUILD/aarch64-cross); KIT: tools/sel4/build-demo-kit.sh's
# output. Prints the cases' logs; RESULTS keeps the test host's logs.
set -euo pipefail
[[ $# -eq 3 ]] || { sed -n 3,12p "$0"; exit 2; }
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "$1") kit=$(realpath "$2") results=$(mkdir -p "$3" && realpath "$3")
suite=$(mktemp -d)
trap 'rm -rf "$suite"' EXIT
mkdir -p "$suite/lib"
cp "$here/tests/integration/cases/lib/guest.sh" "$here/tests/integration/cases/lib/background.sh" \
    "$here/tests/integration/cases/lib/cmdline.sh" \
    "$suite/lib/"
cp "$here"/tests/sel4/kvm-reference/*.sh "$suite/"
# The integration tests' cross build, configured again if the sysroot changed.
out=$("$here/tools/cross/build-aarch64.sh" --build "$build/aarch64-cross" \
    --generator Ninja 2>&1) || { echo "$out" >&2; exit 1; }
status=0
"$here/tools/testhost/run-suite.sh" --arch aarch64 --stdvmm "$build/aarch64-cross/src/tools/stdvmm" \
    --suite "$suite" --results "$results" --guest-kit "$kit" --timeout 900 || status=$?
for c in "$here"/tests/sel4/kvm-reference/*.sh; do c=${c##*/}; cat "$results/${c%.sh}.log"; done
exit $status
