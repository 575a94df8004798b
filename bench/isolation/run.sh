#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Isolation benchmark (not a test): timer wake-up jitter of a latency guest
# alone and next to a busy neighbour VM, with no placement, direct mapping
# (each VM on its own pCPU) and a budget on the neighbour, in one test-host
# boot (the test host has 2 CPUs). Prints p50/p99/max overshoot of a 1 ms
# clock_nanosleep in the guest (bench/isolation/jitter.c).
#
#   bench/isolation/run.sh --stdvmm PATH [--runs N] [--loops N] [--results DIR] [--cache DIR]
#
# Defaults: 1 run of 3000 wake-ups (3 s) per configuration. Results:
# RESULTS/isolation.log (DATA lines, then the table). Inside the emulated
# test host absolute figures only compare within one run.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/../.." && pwd)
testhost_dir=$repo/tools/testhost
LOG_TAG=bench-isolation
# shellcheck source=tools/guest-kit/lib/common.sh
. "$repo/tools/guest-kit/lib/common.sh"

usage() {
  awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

stdvmm="" runs=1 loops=3000 results=""
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --stdvmm) stdvmm=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --loops) loops=${2:?}; shift 2 ;;
    --results) results=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) log "unknown argument $1"; usage ;;
  esac
done
[[ -n $stdvmm ]] || usage
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $loops =~ ^[1-9][0-9]*$ && $loops -ge 100 ]] || die "--loops must be a number >= 100"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
results=${results:-$cache/bench-isolation-results}

ensure_host_pkgs gcc libc6-dev
work=$cache/bench-isolation
mkdir -p "$work"

# The guest's measuring program: static, so the kit needs no libc.
jitter=$work/jitter-$(inputs_hash "$bench_dir/jitter.c")
if [[ ! -x $jitter ]]; then
  gcc -O2 -Wall -Wextra -Werror -static -o "$jitter.tmp" "$bench_dir/jitter.c"
  mv "$jitter.tmp" "$jitter"
fi
install -m 0755 "$jitter" "$work/jitter"

"$repo/tools/guest-kit/build.sh" --arch x86_64 --out "$work/kit" --cache "$cache" \
  --tests "$bench_dir/guest" --bin "$work/jitter" >&2

suite=$(mktemp -d "$work/suite.XXXXXX")
trap 'rm -rf "$suite"' EXIT
install -m 0755 "$bench_dir/in-host.sh" "$suite/isolation.sh"
cat >"$suite/bench.conf" <<EOF
RUNS=$runs
LOOPS=$loops
EOF

rc=0
"$testhost_dir/run-suite.sh" --arch x86_64 --stdvmm "$stdvmm" --suite "$suite" \
  --results "$results" --cache "$cache" --guest-kit "$work/kit" \
  --timeout $((runs * 5 * (240 + loops / 500) + 120)) || rc=$?
echo
grep -v '^DATA ' "$results/isolation.log" || true
exit "$rc"
