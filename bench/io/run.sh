#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# I/O benchmark (not a test): in one test-host boot, the same guest kernel
# under stdvmm and under QEMU's microvm, both with virtio-mmio devices,
# alternating runs; fio on a virtio-blk disk (4 KiB random read at queue
# depth 32, 1 MiB sequential read and write) and iperf3 over virtio-net on a
# TAP both ways. Prints medians with stdvmm/QEMU ratios, KVM exit counts
# and the VMMs' CPU time, then the KVM counters per job (the guest marks
# each job on its console, measure -j snapshots the VM's debugfs counters
# at each mark), each per job and per unit of work (per 1000 I/Os for
# randread, per GiB moved for the others), with stdvmm/QEMU.
#
#   bench/io/run.sh --stdvmm PATH [--runs N] [--seconds S] [--vhost on|off]
#       [--kvmtool PATH] [--results DIR] [--cache DIR]
#
# Defaults: 3 runs each, 5 s per fio job and iperf3 direction. fio and
# iperf3 come from the build machine's Debian packages with their
# libraries, on an ext4 "tools" disk (fio's closure is ~90 MB, too much for
# an initramfs). --vhost (default off) is both VMMs' TAP setting: off, both
# move packets in user space; on, the host kernel's vhost-net does for both
# (stdvmm --net tap=IF,vhost=on, QEMU -netdev tap,vhost=on, kvmtool
# vhost=1). Results: RESULTS/io.log (DATA and PHASE lines per run, then
# the tables).
#
# --kvmtool: a kvmtool `lkvm` built by the user (kvmtool is not in Debian),
# run after each stdvmm/QEMU pair with the same guest and devices; on x86 its
# virtio devices are PCI only (no virtio-mmio), and it cannot power the
# guest off, so it is killed once the guest's work is done. With it the
# guest kernel is bookworm-backports' (virtio_pci built in) for all three.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_TAG=bench-io
# shellcheck source=bench/lib/driver.sh
. "$bench_dir/../lib/driver.sh"

stdvmm="" runs=3 seconds=5 results="" vhost=off kvmtool=""
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
io_option() {
  bench_shift=2
  case $1 in
    --vhost) vhost=${2:?} ;;
    --kvmtool) kvmtool=${2:?} ;;
    *) return 1 ;;
  esac
}
bench_options io_option "$@"
[[ -n $stdvmm ]] || bench_usage
[[ $vhost == on || $vhost == off ]] || die "--vhost must be on or off, not '$vhost'"
for v in runs seconds; do bench_positive "$v" "${!v}"; done
cache=$(bench_cache "$cache")
results=${results:-$cache/bench-io-results}

work=$cache/bench-io
bench_kvmtool_kit "$kvmtool"
bench_io_suite "$work" io "${kit_args[@]}"
# The host end of iperf3, run through its own dynamic loader.
add_binary "$suite/iperf3-root" /usr/bin/iperf3
cat >"$suite/bench.conf" <<EOF
RUNS=$runs
SECONDS_PER_JOB=$seconds
VHOST=$vhost
EOF

bench_kvmtool "$kvmtool" "$work/kvmtool"

bench_run "$results" io --arch x86_64 --stdvmm "$stdvmm" --cache "$cache" \
  --guest-kit "$work/kit" --with-qemu --timeout $((runs * vmms * (240 + 8 * seconds + 6) + 300)) \
  "${vmm_bins[@]}"
