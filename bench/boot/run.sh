#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boot benchmark (not a test): in one test-host boot, the same guest kernel
# and initramfs under stdvmm and under QEMU (microvm on x86_64, virt on
# aarch64, both -enable-kvm -cpu host), alternating, and a
# table of medians with stdvmm/QEMU ratios: launch to the guest's readiness
# line, launch to VMM exit, peak RSS, the VMM's CPU time, KVM exit counts,
# and the VMM's own overhead: its CPU time from exec to the first KVM_RUN and
# to the guest's readiness, its private RSS without the guest's RAM (split
# into files and anonymous memory, and by mapping for each VMM's first run),
# its threads and file descriptors (bench/boot/measure.c says how each is read).
#
#   bench/boot/run.sh --arch x86_64|aarch64 --stdvmm PATH [--runs N] [--cpus N]
#       [--memory MIB] [--cmdline-extra STR] [--kvmtool PATH] [--results DIR]
#       [--cache DIR] [--guest-view]
#
# --kvmtool: a kvmtool `lkvm` built by the user (kvmtool is not in Debian;
# for aarch64 a static arm64 one, docs/benchmarks.md says how), run after
# each stdvmm/QEMU pair; it cannot power an x86 guest off, so there it is
# killed once ready and its exit figures are not comparable; an arm64 guest
# powers off through PSCI and kvmtool exits as the others do.
#
# --guest-view: first one more boot under each VMM whose guest prints what it
# sees of its machine (tests/integration/guest/guest_view.sh: CPU flags,
# mitigations, possible CPUs, clock source, memory map), and the lines that
# differ between the two, to find why their guests behave differently.
#
# --arch aarch64: the aarch64 test host, Debian's arm64 QEMU in it (-M
# virt,gic-version=3; run-suite.sh --with-qemu stages it with its arm64
# libraries) and an aarch64 stdvmm (the cross build's). Its KVM counts
# other exits than x86's: the table's exit rows are arm64's (MMIO handled by
# the VMM and in the kernel, WFI), and the table of exit reasons has all.
#
# Defaults: 10 runs each, 1 vCPU, 256 MiB, guest cmdline
# "console=ttyS0 panic=-1 stdvmm.test=readiness" (the guest powers off right
# after its readiness line); on aarch64 "console=ttyS0 console=ttyAMA0 ..."
# for both VMMs: stdvmm's UART is a 16550 (ttyS0), QEMU virt's a PL011
# (ttyAMA0), and the guest writes to the one that exists. The table is
# printed and left in RESULTS/boot.log with one DATA line per run.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_TAG=bench-boot
# shellcheck source=bench/lib/driver.sh
. "$bench_dir/../lib/driver.sh"

arch="" stdvmm="" runs=10 cpus=1 memory=256 extra="" kvmtool="" view=0
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
    --kvmtool) kvmtool=${2:?}; shift 2 ;;
    --results) results=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    --guest-view) view=1; shift ;;
    -h | --help) bench_usage ;;
    *) log "unknown argument $1"; bench_usage ;;
  esac
done
[[ -n $arch && -n $stdvmm ]] || bench_usage
# Nested guests take 10-60 s each in the emulated x86_64 host, more in the
# aarch64 one: per boot, a limit for the slow end.
case $arch in
  x86_64) console="console=ttyS0" boot_limit=150 ;;
  aarch64) console="console=ttyS0 console=ttyAMA0" boot_limit=300 ;;
  *) die "--arch $arch: x86_64 or aarch64" ;;
esac
for v in runs cpus memory; do bench_positive "$v" "${!v}"; done
cache=$(bench_cache "$cache")
results=${results:-$cache/bench-boot-results}

measure=$(bench_static_helper "$bench_dir/measure.c" "$cache/bench" "$arch")
bench_suite "$cache/bench" boot
install -m 0755 "$measure" "$suite/measure"
cmdline="$console panic=-1 stdvmm.test=readiness${extra:+ $extra}"
cat >"$suite/bench.conf" <<EOF
ARCH=$arch
RUNS=$runs
CPUS=$cpus
MEMORY_MIB=$memory
CMDLINE='${cmdline//\'/\'\\\'\'}'
GUEST_VIEW=$view
EOF

bench_kvmtool "$kvmtool" "$cache/bench/kvmtool"

bench_run "$results" boot --arch "$arch" --stdvmm "$stdvmm" --cache "$cache" --with-qemu \
  --timeout $(((runs * vmms + view * 2) * boot_limit + 60)) "${vmm_bins[@]}"
