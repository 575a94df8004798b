#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# I/O benchmark (not a test): in one test-host boot, the same guest kernel
# under stdvmm and under QEMU's microvm, both with virtio-mmio devices,
# alternating runs; fio on a virtio-blk disk (4 KiB random read at queue
# depth 32, 1 MiB sequential read and write) and iperf3 over virtio-net on a
# TAP both ways. Prints medians with stdvmm/QEMU ratios, KVM exit counts
# and the VMMs' CPU time.
#
#   bench/io/run.sh --stdvmm PATH [--runs N] [--seconds S] [--results DIR] [--cache DIR]
#
# Defaults: 3 runs each, 5 s per fio job and iperf3 direction. fio and
# iperf3 come from the build machine's Debian packages with their
# libraries, on an ext4 "tools" disk (fio's closure is ~90 MB, too much for
# an initramfs). QEMU's tap has vhost off, so both VMMs move packets in
# user space. Results: RESULTS/io.log (DATA lines per run, then the table).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/../.." && pwd)
testhost_dir=$repo/tools/testhost
LOG_TAG=bench-io
# shellcheck source=tools/guest-kit/lib/common.sh
. "$repo/tools/guest-kit/lib/common.sh"

usage() {
  awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

stdvmm="" runs=3 seconds=5 results=""
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --stdvmm) stdvmm=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --seconds) seconds=${2:?}; shift 2 ;;
    --results) results=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) log "unknown argument $1"; usage ;;
  esac
done
[[ -n $stdvmm ]] || usage
for v in runs seconds; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--$v must be a positive integer"
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
results=${results:-$cache/bench-io-results}

ensure_host_pkgs gcc libc6-dev fio iperf3 e2fsprogs gzip
work=$cache/bench-io
mkdir -p "$work"

# The measuring helper of the boot benchmark: static, times a VMM and reads
# its VM's KVM exit counters.
measure=$work/measure-$(inputs_hash "$repo/bench/boot/measure.c")
if [[ ! -x $measure ]]; then
  gcc -O2 -Wall -Wextra -static -o "$measure.tmp" "$repo/bench/boot/measure.c"
  mv "$measure.tmp" "$measure"
fi

# A guest kit whose tests are the benchmark's guest half.
"$repo/tools/guest-kit/build.sh" --arch x86_64 --out "$work/kit" --cache "$cache" \
  --tests "$bench_dir/guest" >&2

# The tools disk: fio and iperf3 with their libraries, at their usual paths.
tools_stamp=$(inputs_hash "fio=$(dpkg-query -W -f='${Version}' fio)" \
  "iperf3=$(dpkg-query -W -f='${Version}' iperf3)" "$bench_dir/run.sh")
if [[ ! -s $work/tools.img.gz || $(cat "$work/tools.stamp" 2>/dev/null) != "$tools_stamp" ]]; then
  log "building the tools disk (fio, iperf3)"
  root=$(mktemp -d "$work/tools-root.XXXXXX")
  add_binary "$root" /usr/bin/fio
  add_binary "$root" /usr/bin/iperf3
  size=$(du -sm "$root" | cut -f1)
  rm -f "$work/tools.img"
  truncate -s $((size * 13 / 10 + 32))M "$work/tools.img"
  mkfs.ext4 -q -F -L benchtools -d "$root" "$work/tools.img"
  gzip -1 -c "$work/tools.img" >"$work/tools.img.gz"
  rm -rf "$root" "$work/tools.img"
  printf '%s\n' "$tools_stamp" >"$work/tools.stamp"
fi

suite=$(mktemp -d "$work/suite.XXXXXX")
trap 'rm -rf "$suite"' EXIT
install -m 0755 "$bench_dir/in-host.sh" "$suite/io.sh"
install -m 0755 "$measure" "$suite/measure"
cp "$work/tools.img.gz" "$suite/"
# The host end of iperf3, run through its own dynamic loader.
add_binary "$suite/iperf3-root" /usr/bin/iperf3
cat >"$suite/bench.conf" <<EOF
RUNS=$runs
SECONDS_PER_JOB=$seconds
EOF

rc=0
"$testhost_dir/run-suite.sh" --arch x86_64 --stdvmm "$stdvmm" --suite "$suite" \
  --results "$results" --cache "$cache" --guest-kit "$work/kit" --with-qemu \
  --timeout $((runs * 2 * (240 + 8 * seconds) + 300)) || rc=$?
echo
grep -v '^DATA ' "$results/io.log" || true
exit "$rc"
