#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The guest kit for the seL4 demo: the aarch64 guest kit with the guest-side
# scripts of tests/sel4/guest and its static helper (stdvmm-wild).
#
#   tools/sel4/build-demo-kit.sh --out DIR [--cache DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="" cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --out) out=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    *) echo "usage: $0 --out DIR [--cache DIR]" >&2; exit 2 ;;
  esac
done
[[ -n $out ]] || { echo "usage: $0 --out DIR [--cache DIR]" >&2; exit 2; }
mkdir -p "$out"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$out/stdvmm-wild" \
  "$repo/tests/sel4/guest/wild.c"
"$repo/tools/guest-kit/build.sh" --arch aarch64 --out "$out" --cache "$cache" \
  --tests "$repo/tests/sel4/guest" --bin "$out/stdvmm-wild"
