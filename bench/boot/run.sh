#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boot benchmark (not a test): in one test-host boot, the same guest kernel
# and initramfs under stdvmm and under QEMU's microvm, alternating, and a
# table of medians with stdvmm/QEMU ratios: launch to the guest's readiness
# line, launch to VMM exit, peak RSS, the VMM's CPU time, KVM exit counts.
#
#   bench/boot/run.sh --arch x86_64 --stdvmm PATH [--runs N] [--cpus N]
#       [--memory MIB] [--cmdline-extra STR] [--results DIR] [--cache DIR]
#
# Defaults: 10 runs each, 1 vCPU, 256 MiB, guest cmdline
# "console=ttyS0 panic=-1 stdvmm.test=readiness" (the guest powers off right
# after its readiness line). The table is printed and left in
# RESULTS/boot.log with one DATA line per run.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/../.." && pwd)
testhost_dir=$repo/tools/testhost
LOG_TAG=bench-boot
# shellcheck source=tools/guest-kit/lib/common.sh
. "$repo/tools/guest-kit/lib/common.sh"

usage() {
  awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

arch="" stdvmm="" runs=10 cpus=1 memory=256 extra=""
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
results=""
while (($#)); do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --stdvmm) stdvmm=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --cpus) cpus=${2:?}; shift 2 ;;
    --memory) memory=${2:?}; shift 2 ;;
    --cmdline-extra) extra=${2:?}; shift 2 ;;
    --results) results=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) log "unknown argument $1"; usage ;;
  esac
done
[[ -n $arch && -n $stdvmm ]] || usage
for v in runs cpus memory; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--$v must be a positive integer"
done
results=${results:-$cache/bench-boot-results}

# The measuring helper runs inside the host: static, so no library closure.
ensure_host_pkgs gcc libc6-dev
mkdir -p "$cache/bench"
measure=$cache/bench/measure-$(inputs_hash "$bench_dir/measure.c")
if [[ ! -x $measure ]]; then
  gcc -O2 -Wall -Wextra -static -o "$measure.tmp" "$bench_dir/measure.c"
  mv "$measure.tmp" "$measure"
fi

suite=$(mktemp -d "$cache/bench/suite.XXXXXX")
trap 'rm -rf "$suite"' EXIT
install -m 0755 "$bench_dir/in-host.sh" "$suite/boot.sh"
install -m 0755 "$measure" "$suite/measure"
cmdline="console=ttyS0 panic=-1 stdvmm.test=readiness${extra:+ $extra}"
cat >"$suite/bench.conf" <<EOF
RUNS=$runs
CPUS=$cpus
MEMORY_MIB=$memory
CMDLINE='${cmdline//\'/\'\\\'\'}'
EOF

# Nested guests take 10-60 s each in the emulated host; allow for the slow end.
rc=0
"$testhost_dir/run-suite.sh" --arch "$arch" --stdvmm "$stdvmm" --suite "$suite" \
  --results "$results" --cache "$cache" --with-qemu --timeout $((runs * 2 * 150 + 60)) || rc=$?
echo
grep -v '^DATA ' "$results/boot.log" || true
exit "$rc"
