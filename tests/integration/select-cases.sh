#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Stages the integration cases that apply to one architecture, with their
# shared helpers (lib/), for one test-host boot. A case applies to every
# architecture unless it says otherwise in a line of its own:
#   # integration-arches: x86_64
# (e.g. a case about ACPI, which arm64 guests do not have). "manual" names
# no architecture: such a case runs only by hand, staged with lib/ into a
# directory given to tools/testhost/run-suite.sh --suite.
#
#   select-cases.sh ARCH CASES_DIR OUT_DIR
set -euo pipefail
arch=${1:?arch} src=${2:?cases directory} dst=${3:?output directory}

# applies FILE: true when FILE's arches line is absent or names $arch.
applies() {
  local line a
  line=$(grep -m1 '^# integration-arches:' "$1" || true)
  [[ -z $line ]] && return 0
  for a in ${line#*:}; do
    [[ $a == "$arch" ]] && return 0
  done
  return 1
}

rm -rf "$dst"
mkdir -p "$dst"
if [[ -d $src/lib ]]; then cp -a "$src/lib" "$dst/"; fi
n=0
for f in "$src"/*.sh; do
  [[ -e $f ]] || continue
  if applies "$f"; then
    cp -a "$f" "$dst/"
    n=$((n + 1))
  else
    echo "select-cases: ${f##*/} does not apply to $arch"
  fi
done
echo "select-cases: $n cases for $arch in $dst"
