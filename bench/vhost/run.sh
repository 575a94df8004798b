#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Pluggable-backend benchmark (not a test): in one test-host boot, the same
# guest kernel and guest half as bench/io (fio, iperf3 from a tools disk),
# runs rotated so that no configuration always goes first:
#   blk   fio on one 512 MiB image (4 KiB random read at queue depth 32,
#         1 MiB sequential read and write), served three ways: stdvmm's own
#         virtio-blk (in the VMM), qemu-storage-daemon over vhost-user to
#         stdvmm, and the same qemu-storage-daemon export to QEMU microvm
#         (-device vhost-user-blk);
#   net   iperf3 between two VMs, both directions: two stdvmm VMs on
#         stdvmm-switch (vhost-user) against two QEMU microvm VMs on a Linux
#         bridge, each on a TAP with vhost-net.
# Prints medians and ratios, and the VMMs' (and backends') CPU time.
#
#   bench/vhost/run.sh --stdvmm PATH [--runs N] [--seconds S] [--part blk|net|all]
#       [--kvmtool PATH] [--results DIR] [--cache DIR]
#
# --part: only the blk or only the net configurations (default all).
#
# --kvmtool: a kvmtool `lkvm` built by the user (kvmtool is not in Debian):
# net also as two kvmtool VMs on the same bridge (TAPs with vhost=1; its
# virtio devices on x86 are PCI, so every VMM boots the bookworm-backports
# kernel, as in bench/io). blk has no kvmtool configuration: kvmtool has no
# vhost-user client.
#
# Defaults: 2 runs each, 5 s per fio job and iperf3 direction. stdvmm-switch
# must be next to stdvmm (a build tree's src/tools). The bridge module,
# which the test host does not load, is staged from the host kernel's
# package. Results: RESULTS/vhost.log (DATA lines per run, then the tables).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_TAG=bench-vhost
# shellcheck source=bench/lib/driver.sh
. "$bench_dir/../lib/driver.sh"

stdvmm="" runs=2 seconds=5 results="" kvmtool="" part=all
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
vhost_option() {
  bench_shift=2
  case $1 in
    --kvmtool) kvmtool=${2:?} ;;
    --part) part=${2:?} ;;
    *) return 1 ;;
  esac
}
bench_options vhost_option "$@"
case $part in
  blk | net) parts=$part ;;
  all) parts="blk net" ;;
  *) die "--part must be blk, net or all, not '$part'" ;;
esac
[[ -n $stdvmm ]] || bench_usage
[[ -x ${stdvmm%/*}/stdvmm-switch ]] || die "no stdvmm-switch next to $stdvmm"
for v in runs seconds; do bench_positive "$v" "${!v}"; done
cache=$(bench_cache "$cache")
results=${results:-$cache/bench-vhost-results}
work=$cache/bench-vhost
bench_kvmtool_kit "$kvmtool"
bench_io_suite "$work" vhost "${kit_args[@]}"
# The bridge and what it needs, in insmod order, from the test host's kernel.
testhost_dir=$repo/tools/testhost
# shellcheck source=tools/testhost/arch/x86_64.sh
. "$testhost_dir/arch/x86_64.sh"
read -r kdir kver < <(kernel_tree "$cache" "$(resolve_kernel_pkg "$KERNEL_META")")
mkdir -p "$suite/bridge"
i=0
while read -r kind path _; do
  [[ $kind == insmod ]] || continue
  i=$((i + 1))
  cp "$path" "$suite/bridge/$i-$(basename "$path")"
done < <(modprobe -d "$kdir" -S "$kver" --show-depends bridge)
((i > 0)) || die "no bridge module in $kdir ($kver)"
cat >"$suite/bench.conf" <<EOF2
RUNS=$runs
SECONDS_PER_JOB=$seconds
PARTS="$parts"
EOF2
bench_kvmtool "$kvmtool" "$work/kvmtool"

# Five configurations per run, six with kvmtool.
bench_run "$results" vhost --arch x86_64 --stdvmm "$stdvmm" --cache "$cache" \
  --guest-kit "$work/kit" --with-qemu --timeout $((runs * (3 + vmms) * 240 + 300)) \
  "${vmm_bins[@]}"
