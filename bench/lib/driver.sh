# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# What the benchmark drivers (bench/*/run.sh) share: options checking, static
# helpers for the test host, the suite directory that carries a benchmark's
# inside half, and the one test-host boot that runs it.
#
# The sourcing script sets bench_dir (its own directory) and LOG_TAG first,
# and documents its usage in its header comment (bench_usage prints it).

: "${bench_dir:?set by the sourcing script}"
repo=$(cd "$bench_dir/../.." && pwd)
testhost_dir=$repo/tools/testhost
# shellcheck source=tools/guest-kit/lib/common.sh
. "$repo/tools/guest-kit/lib/common.sh"

bench_usage() {
  awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0" >&2
  exit 2
}

# bench_option ARGS...: takes one option every driver shares (--stdvmm,
# --runs, --seconds, --results, --cache, --help) from the front of ARGS into
# the variable of its name and sets bench_shift to the words it used; returns
# 1, taking nothing, for an option the driver must handle itself.
bench_option() {
  case $1 in
    --stdvmm | --runs | --seconds | --results | --cache)
      (($# >= 2)) || die "$1 needs a value"
      printf -v "${1#--}" '%s' "$2"
      bench_shift=2
      ;;
    -h | --help) bench_usage ;;
    *) return 1 ;;
  esac
}

# bench_unknown OPTION: the usage, after naming what was not understood.
bench_unknown() {
  log "unknown argument $1"
  bench_usage
}

# bench_options OWN ARGS...: takes every argument, the shared ones through
# bench_option and the driver's own through the function OWN, which sets
# its variable and bench_shift for one it knows and returns 1 otherwise.
bench_options() {
  local own=$1
  shift
  while (($#)); do
    if bench_option "$@" || "$own" "$@"; then
      shift "$bench_shift"
    else
      bench_unknown "$1"
    fi
  done
}

# bench_positive OPTION VALUE: refuses anything but a positive integer.
bench_positive() {
  [[ $2 =~ ^[1-9][0-9]*$ ]] || die "--$1 must be a positive integer, not '$2'"
}

# bench_cache DIR: creates the cache and prints its absolute path.
bench_cache() {
  mkdir -p "$1"
  (cd "$1" && pwd)
}

# bench_static_helper SRC DIR [ARCH]: prints DIR/NAME-HASH, a static build
# of the C file SRC for ARCH (default x86_64; static: the test host and the
# guest kit carry no libc for it), compiled only when SRC changed.
bench_static_helper() {
  local src=$1 dir=$2 arch=${3:-x86_64} out cc=gcc
  case $arch in
    x86_64) ensure_host_pkgs gcc libc6-dev ;;
    aarch64)
      ensure_host_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      cc=aarch64-linux-gnu-gcc
      ;;
    *) die "no static helpers for $arch" ;;
  esac
  mkdir -p "$dir"
  out=$dir/$(basename "$src" .c)-$(inputs_hash "$src")
  [[ $arch == x86_64 ]] || out+=-$arch
  if [[ ! -x $out ]]; then
    "$cc" -O2 -Wall -Wextra -Werror -static -o "$out.tmp" "$src"
    mv "$out.tmp" "$out"
  fi
  printf '%s\n' "$out"
}

# bench_suite DIR CASE: makes $suite, a fresh suite directory under DIR
# (removed on exit) with the benchmark's bench_dir/in-host.sh as CASE.sh and
# the shared in-host helpers as lib/bench.sh. Callers add their files.
bench_suite() {
  suite=$(mktemp -d "$1/suite.XXXXXX")
  # shellcheck disable=SC2064 # expanded now: the directory is fixed
  trap "rm -rf '$suite'" EXIT
  install -m 0755 "$bench_dir/in-host.sh" "$suite/$2.sh"
  mkdir -p "$suite/lib"
  install -m 0644 "$repo/bench/lib/in-host.sh" "$suite/lib/bench.sh"
}

# bench_kvmtool PATH DIR: with PATH (--kvmtool, a kvmtool `lkvm` the user
# built: kvmtool is not in Debian), stages it as DIR/lkvm, the name the
# inside halves look for beside stdvmm, and sets vmm_bins to bench_run's
# arguments that put it there and vmms to 3; without, vmm_bins=() and vmms=2.
bench_kvmtool() {
  # shellcheck disable=SC2034 # the caller's
  vmm_bins=() vmms=2
  [[ -n $1 ]] || return 0
  [[ -x $1 ]] || die "--kvmtool $1: not an executable"
  mkdir -p "$2"
  install -m 0755 "$1" "$2/lkvm"
  # shellcheck disable=SC2034 # the caller's
  vmm_bins=(--vmm-bin "$2/lkvm") vmms=3
}

# bench_kvmtool_kit PATH: sets kit_args to the guest-kit build.sh arguments
# of a run with the kvmtool PATH (--kvmtool; none without). kvmtool's virtio
# devices on x86 are PCI, and the default guest kernel (Debian 12's 6.1) has
# virtio_pci as a module the kit does not load; the bookworm-backports kernel
# (6.12) has it built in. Every VMM of such a run boots that kernel, so that
# the rows compare VMMs and not kernels.
bench_kvmtool_kit() {
  # shellcheck disable=SC2034 # the caller's
  kit_args=()
  # shellcheck disable=SC2034
  [[ -z $1 ]] || kit_args=(--kernel-suite bookworm-backports)
}

# bench_run RESULTS CASE RUN-SUITE-ARGS...: one test-host boot for $suite;
# prints CASE's table (its log without the DATA lines) and returns the
# suite's exit status.
bench_run() {
  local results=$1 case=$2 rc=0
  shift 2
  "$testhost_dir/run-suite.sh" --suite "$suite" --results "$results" "$@" || rc=$?
  echo
  grep -v '^DATA ' "$results/$case.log" || true
  return "$rc"
}

# bench_io_suite WORK CASE [KIT-ARGS...]: what the fio/iperf3 benchmarks
# share: the boot benchmark's measuring helper (times a VMM, reads its VM's
# KVM exit counters), an x86_64 guest kit (built with KIT-ARGS) whose tests
# are bench/io's guest half (it does every role, chosen by bench.mode=), the
# tools disk, and $suite with CASE, the measuring helper and the tools disk
# in it.
bench_io_suite() {
  local work=$1 case=$2 measure
  shift 2
  mkdir -p "$work"
  measure=$(bench_static_helper "$repo/bench/boot/measure.c" "$work")
  "$repo/tools/guest-kit/build.sh" --arch x86_64 --out "$work/kit" --cache "$cache" \
    --tests "$repo/bench/io/guest" "$@" >&2
  bench_tools_disk "$work"
  bench_suite "$work" "$case"
  install -m 0755 "$measure" "$suite/measure"
  cp "$work/tools.img.gz" "$suite/"
}

# bench_tools_disk DIR: DIR/tools.img.gz, an ext4 image labelled benchtools
# with fio and iperf3 and their libraries at their usual paths (fio's closure
# is ~90 MB, too much for an initramfs); made again when a version changes.
bench_tools_disk() {
  local work=$1 stamp root size
  ensure_host_pkgs fio iperf3 e2fsprogs gzip
  stamp=$(inputs_hash "fio=$(dpkg-query -W -f='${Version}' fio)" \
    "iperf3=$(dpkg-query -W -f='${Version}' iperf3)" "$repo/bench/lib/driver.sh")
  if [[ -s $work/tools.img.gz && $(cat "$work/tools.stamp" 2>/dev/null) == "$stamp" ]]; then
    return 0
  fi
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
  printf '%s\n' "$stamp" >"$work/tools.stamp"
}
