#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Profile of the VMM (not a test): in one test-host boot, Linux perf samples
# stdvmm (every thread, user and kernel stacks) with the software cpu-clock
# event (the emulated CPU has no PMU) in two phases: a boot of the guest to
# its readiness line, then bench/io's guest workload (fio on a virtio-blk
# disk, iperf3 over virtio-net on a TAP). For each phase it prints
# `perf report --no-children --sort dso,symbol` and the samples split three
# ways: inside KVM_RUN (the guest, and KVM's work for its exits), the VMM's
# own user space, and the kernel's work for the VMM's other system calls
# (named by the calling function in stdvmm).
#
#   bench/profile/run.sh --arch x86_64 --stdvmm PATH [--phase boot|io|both]
#       [--seconds S] [--freq HZ] [--call-graph fp|dwarf] [--top N]
#       [--results DIR] [--cache DIR]
#
# PATH should be built so that its symbols and stacks resolve:
#   cmake -S . -B build-prof -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
#       -DCMAKE_C_FLAGS=-fno-omit-frame-pointer
# (frame pointers make --call-graph fp, the default, walk stdvmm's stacks;
# dwarf works without them but costs far more in the emulated host).
# perf is the build machine's Debian linux-perf, staged with its libraries.
# Defaults: both phases, 3 s per fio job and iperf3 direction, 499 Hz,
# top 25 entries. Results: RESULTS/profile.log.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_TAG=bench-profile
# shellcheck source=bench/lib/driver.sh
. "$bench_dir/../lib/driver.sh"

arch="" stdvmm="" phase=both seconds=3 freq=499 graph=fp top=25 results=""
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
profile_option() {
  bench_shift=2
  case $1 in
    --arch) arch=${2:?} ;;
    --phase) phase=${2:?} ;;
    --freq) freq=${2:?} ;;
    --call-graph) graph=${2:?} ;;
    --top) top=${2:?} ;;
    *) return 1 ;;
  esac
}
bench_options profile_option "$@"
[[ -n $arch && -n $stdvmm ]] || bench_usage
# The io phase's guest half, tools disk and TAP are x86_64 only (bench/io).
[[ $arch == x86_64 ]] || die "--arch: only x86_64 is profiled (bench/io's guest is x86_64)"
[[ $phase == boot || $phase == io || $phase == both ]] || die "--phase must be boot, io or both"
[[ $graph == fp || $graph == dwarf ]] || die "--call-graph must be fp or dwarf"
for v in seconds freq top; do bench_positive "$v" "${!v}"; done
[[ -x $stdvmm ]] || die "--stdvmm $stdvmm: not an executable"
cache=$(bench_cache "$cache")
results=${results:-$cache/bench-profile-results}

# Without .debug_info perf still names functions from .symtab, but a
# stripped binary gives only addresses: say so rather than profile blind.
if ! readelf -S "$stdvmm" | grep -q '\.symtab'; then
  die "--stdvmm $stdvmm has no symbol table (stripped); build it as the header says"
fi
readelf -S "$stdvmm" | grep -q '\.debug_info' ||
  log "note: $stdvmm has no debug info (not RelWithDebInfo); symbols come from .symtab"

ensure_host_pkgs linux-perf
work=$cache/bench-profile
mkdir -p "$work"
# The io guest half is bench/io's; readiness.sh ends the boot phase's guest.
"$repo/tools/guest-kit/build.sh" --arch x86_64 --out "$work/kit" --cache "$cache" \
  --tests "$repo/tests/integration/guest" --tests "$repo/bench/io/guest" >&2
bench_suite "$work" profile
if [[ $phase != boot ]]; then
  bench_tools_disk "$work"
  cp "$work/tools.img.gz" "$suite/"
  add_binary "$suite/iperf3-root" /usr/bin/iperf3
fi
# perf links libperl and libpython (~30 MB with the rest): run through its
# own loader from the suite, as bench/io runs the host's iperf3.
add_binary "$suite/perf-root" /usr/bin/perf
cat >"$suite/bench.conf" <<EOF
PHASES='$([[ $phase == both ]] && echo "boot io" || echo "$phase")'
SECONDS_PER_JOB=$seconds
FREQ=$freq
GRAPH=$graph
TOP=$top
EOF

bench_run "$results" profile --arch x86_64 --stdvmm "$stdvmm" --cache "$cache" \
  --guest-kit "$work/kit" --timeout $((900 + 10 * seconds))
