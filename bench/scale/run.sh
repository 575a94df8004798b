#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Scale of the manager: idle VMs booted to readiness per second through
# stdvmmd, and the resident memory of stdvmmd and of the stdvmm processes
# with 1, 10, 30 idle VMs. Runs inside one test-host boot (QEMU TCG with
# nested KVM: absolute times there are emulated and only comparable within
# one run; memory figures are real). Prints a Markdown table.
#
#   bench/scale/run.sh --stdvmm BUILD/src/tools/stdvmm [--counts "1 10 30"]
#       [--memory 96M] [--kvmtool PATH] [--no-reboot] [--results DIR] [--cache DIR]
# stdvmmd must have been built next to stdvmm.
#
# --no-reboot: the VMs are defined with no_reboot: true, so stdvmm gives
# back its copies of the kernel and initramfs once they are in guest RAM
# (without it they are kept to rebuild the VM after a guest reset).
#
# --kvmtool: a kvmtool `lkvm` built by the user (kvmtool is not in Debian).
# After stdvmm's steps (and with its VMs gone), the same steps with idle
# kvmtool VMs of the same size and guest, each started directly as one lkvm
# process (kvmtool has no manager), and a second table: their RSS per VMM
# process compares with stdvmm's; their start-to-ready rate is a direct
# start's, not one through a manager. The guests have no virtio device, so
# kvmtool boots the default kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench_dir=$here
LOG_TAG=bench-scale
# shellcheck source=bench/lib/driver.sh
. "$bench_dir/../lib/driver.sh"
stdvmm="" counts="1 10 30" memory=96M results=$repo/build/bench-scale cache="" kvmtool="" no_reboot=false
usage() {
  echo "usage: $0 --stdvmm PATH [--counts \"1 10 30\"] [--memory 96M] [--kvmtool PATH] [--no-reboot] [--results DIR] [--cache DIR]" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --stdvmm) stdvmm=${2:?}; shift 2 ;;
    --counts) counts=${2:?}; shift 2 ;;
    --memory) memory=${2:?}; shift 2 ;;
    --kvmtool) kvmtool=${2:?}; shift 2 ;;
    --no-reboot) no_reboot=true; shift ;;
    --results) results=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ -x $stdvmm && -x ${stdvmm%/*}/stdvmmd ]] || { echo "need --stdvmm with stdvmmd next to it" >&2; exit 2; }
[[ $memory =~ ^[0-9]+M$ ]] || { echo "--memory must be given in M" >&2; exit 2; }
suite=$(mktemp -d)
trap 'rm -rf "$suite"' EXIT
cp "$here/case.sh" "$suite/scale.sh"
mkdir -p "$suite/lib"
install -m 0644 "$repo/bench/lib/in-host.sh" "$suite/lib/bench.sh"
printf 'COUNTS="%s"\nMEMORY=%s\nNO_REBOOT=%s\n' "$counts" "$memory" "$no_reboot" >"$suite/scale.conf"
args=(--arch x86_64 --stdvmm "$stdvmm" --suite "$suite" --results "$results" --timeout 3000)
if [[ -n $cache ]]; then args+=(--cache "$cache"); fi
bench_kvmtool "$kvmtool" "$(bench_cache "${cache:-${STDVMM_CACHE_DIR:-$repo/build/cache}}")/bench-scale/kvmtool"
"$repo/tools/testhost/run-suite.sh" "${args[@]}" "${vmm_bins[@]}" >&2 || true
log=$results/scale.log
if ! grep -q '^BENCH n=' "$log" 2>/dev/null; then
  echo "no results; see $log" >&2
  cat "$log" >&2 || true
  exit 1
fi
idle=$(sed -n 's/^BENCH idle manager_rss_kib=\([0-9]*\)/\1/p' "$log")
# RSS per VM split: anonymous / file / shared memory (MiB).
# The anonymous part's PSS beside it: what the VM's processes hold once.
split='sprintf("%.1f (%.1f) / %.1f / %.1f", v["anon_avg_kib"] / 1024, v["pss_anon_avg_kib"] / 1024, v["file_avg_kib"] / 1024, v["shmem_avg_kib"] / 1024)'
echo "| idle VMs ($memory each) | new VMs | created in | all ready in | ready VMs/s | stdvmmd RSS | stdvmm RSS per VM | … anon (PSS) / file / shmem | stdvmm PSS per VM | stdvmm RSS total | host MemAvailable |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
awk -v m="$idle" 'BEGIN { printf "| 0 | | | | | %.1f MiB | | | | | |\n", m / 1024 }'
sed -n 's/^BENCH n=/n=/p' "$log" | awk '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "| %d | %d | %.1f s | %.1f s | %.2f | %.1f MiB | %.1f MiB | %s | %.1f MiB | %.0f MiB | %.0f MiB |\n",
      v["n"], v["new"], v["create_cs"] / 100, v["ready_cs"] / 100, v["new"] / (v["ready_cs"] / 100),
      v["manager_rss_kib"] / 1024, v["vmm_rss_avg_kib"] / 1024, '"$split"', v["pss_avg_kib"] / 1024, v["vmm_rss_total_kib"] / 1024,
      v["host_free_kib"] / 1024 }'
if [[ -n $kvmtool ]]; then
  echo
  echo "kvmtool: the same guest and size, each VM one lkvm process started directly (no manager)"
  echo
  echo "| idle VMs ($memory each) | new VMs | started in | all ready in | ready VMs/s | lkvm RSS per VM | … anon (PSS) / file / shmem | lkvm PSS per VM | lkvm RSS total | lkvm alive | host MemAvailable |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  sed -n 's/^BENCH kvmtool n=/n=/p' "$log" | awk '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "| %d | %d | %.1f s | %.1f s | %.2f | %.1f MiB | %s | %.1f MiB | %.0f MiB | %d | %.0f MiB |\n",
        v["n"], v["new"], v["create_cs"] / 100, v["ready_cs"] / 100, v["new"] / (v["ready_cs"] / 100),
        v["vmm_rss_avg_kib"] / 1024, '"$split"', v["pss_avg_kib"] / 1024, v["vmm_rss_total_kib"] / 1024, v["alive"],
        v["host_free_kib"] / 1024 }'
fi
# Where each VMM process's memory is, the first VM of each VMM at
# readiness + 10 s: its mappings of 256 KiB resident or more, the rest
# summed, its Rss* and threads (case.sh's smaps_dump, the same for every VMM).
if grep -q '^SMAPS ' "$log"; then
  echo
  echo "Mappings of each VMM process with one VM (KiB; anon = Anonymous, THP = AnonHugePages; 256 KiB resident or more)"
  awk '$1 == "SMAPS" && !seen[$2]++ { print $2 }' "$log" | while read -r p; do
    echo
    echo "$p: $(awk -v p="$p" '$1 == "SMAPS-STATUS" && $2 == p { $1 = $2 = ""; print }' "$log" | sed 's/^ *//')," \
      "threads: $(awk -v p="$p" '$1 == "SMAPS-THREADS" && $2 == p { $1 = $2 = ""; print }' "$log" | sed 's/^ *//')"
    echo
    echo "| mapping | size | Rss | anon | THP | perms | name |"
    echo "|---|---|---|---|---|---|---|"
    awk -v p="$p" '$1 == "SMAPS" && $2 == p {
        if ($5 >= 256) printf "| %s | %d | %d | %d | %d | %s | %s |\n", $3, $4, $5, $6, $7, $8, $9
        else { n++; r += $5; a += $6 } }
      END { printf "| %d others | | %d | %d | | | |\n", n, r, a }' "$log"
  done
fi
grep '^BENCH-FAIL' "$log" >&2 || true
