#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Isolation benchmark (not a test): timer wake-up jitter of a latency guest
# alone and next to a busy neighbour VM, with no placement, direct mapping
# (each VM on its own pCPU) and a budget on the neighbour, in one test-host
# boot (the test host has 2 CPUs). Prints p50/p99/max overshoot of a 1 ms
# clock_nanosleep in the guest (bench/isolation/jitter.c).
#
#   bench/isolation/run.sh --stdvmm PATH [--runs N] [--loops N] [--kvmtool PATH]
#       [--results DIR] [--cache DIR]
#
# --kvmtool: a kvmtool `lkvm` built by the user (kvmtool is not in Debian),
# the same pairs under it after stdvmm's; it has no placement of its own, so
# direct is taskset on each lkvm process and budget util-linux chrt -d on the
# neighbour's vCPU thread (staged from the build machine's package). These
# guests have no virtio device, so kvmtool boots the same default kernel
# (bench/io's backports kernel is for kvmtool's virtio-pci).
#
# Defaults: 1 run of 3000 wake-ups (3 s) per configuration. Results:
# RESULTS/isolation.log (DATA lines, then the table). Inside the emulated
# test host absolute figures only compare within one run.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_TAG=bench-isolation
# shellcheck source=bench/lib/driver.sh
. "$bench_dir/../lib/driver.sh"

stdvmm="" runs=1 loops=3000 results="" kvmtool=""
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
isolation_option() {
  bench_shift=2
  case $1 in
    --loops) loops=${2:?} ;;
    --kvmtool) kvmtool=${2:?} ;;
    *) return 1 ;;
  esac
}
bench_options isolation_option "$@"
[[ -n $stdvmm ]] || bench_usage
bench_positive runs "$runs"
[[ $loops =~ ^[1-9][0-9]*$ && $loops -ge 100 ]] || die "--loops must be a number >= 100"
cache=$(bench_cache "$cache")
results=${results:-$cache/bench-isolation-results}
work=$cache/bench-isolation

# The guest's measuring program, and a kit whose tests are the latency
# guest's (here) and the busy neighbour's (the integration suite's busy.sh).
jitter=$(bench_static_helper "$bench_dir/jitter.c" "$work")
install -m 0755 "$jitter" "$work/jitter"
"$repo/tools/guest-kit/build.sh" --arch x86_64 --out "$work/kit" --cache "$cache" \
  --tests "$repo/tests/integration/guest" --tests "$bench_dir/guest" --bin "$work/jitter" >&2

bench_suite "$work" isolation
cat >"$suite/bench.conf" <<EOF
RUNS=$runs
LOOPS=$loops
EOF
bench_kvmtool "$kvmtool" "$work/kvmtool"
# The test host's busybox has no chrt; util-linux's, run through its own
# dynamic loader, sets kvmtool's budget.
if [[ -n $kvmtool ]]; then
  ensure_host_pkgs util-linux
  add_binary "$suite/chrt-root" /usr/bin/chrt
fi

bench_run "$results" isolation --arch x86_64 --stdvmm "$stdvmm" --cache "$cache" \
  --guest-kit "$work/kit" --timeout $((runs * 5 * (vmms - 1) * (240 + loops / 500) + 120)) \
  "${vmm_bins[@]}"
