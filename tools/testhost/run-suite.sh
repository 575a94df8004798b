#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boots the test host once and runs every SUITE/*.sh inside it, in order
# (again, for the tests still without a result, if the host froze or died).
#
#   tools/testhost/run-suite.sh --arch x86_64 --stdvmm PATH --suite DIR --results DIR
#       [--timeout SEC] [--guest-kit DIR] [--cache DIR] [--with-qemu] [--fixture]
#       [--vmm-bin PATH]... [--extra-kit NAME=DIR]...
#
# --vmm-bin stages another VMM program beside stdvmm (/opt/stdvmm/bin/NAME,
# with its ldd closure), for cases that boot the guest with it, e.g. the
# custom-vmm example built against the installed library; cases find it as
# ${STDVMM%/*}/NAME. One that does not exist is left out with a note (the
# case that needs it fails and says so).
#
# --extra-kit stages another guest kit (vmlinuz, initramfs.cpio.gz) as
# /opt/guest-NAME, for cases that need a kernel the default kit does not
# have (virtio_iommu on x86_64: the bookworm-backports kernel, as iommu).
#
# Each test runs in the host with STDVMM, GUEST_KERNEL, GUEST_INITRD and
# TEST_TMP set (QEMU and QEMU_FIRMWARE too with --with-qemu); exit 0 is pass,
# 77 skip, anything else fail, and a test is killed after --timeout seconds.
# Writes RESULTS/<name>.status (pass|fail|skip) and RESULTS/<name>.log, plus
# host-console.log, host-dmesg.log, host-protocol.txt (.bootN for later
# boots) and host-freeze*.txt for post-mortems.
# Exit status: 0 all passed or skipped, 1 a test failed, 2 the host did not
# finish in three boots or could not be built. With --fixture (a CTest
# fixture whose cases read the .status files themselves) a failed test does
# not fail the run.
set -euo pipefail

testhost_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$testhost_dir/../.." && pwd)
LOG_TAG=testhost
# shellcheck source=tools/testhost/lib/host.sh
. "$testhost_dir/lib/host.sh"

usage() {
  awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

arch="" stdvmm="" suite="" results="" timeout=240 kit="" with_qemu=0 fixture=0
vmm_bins=() extra_kits=()
cache=${STDVMM_CACHE_DIR:-$repo/build/cache}
while (($#)); do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --stdvmm) stdvmm=${2:?}; shift 2 ;;
    --suite) suite=${2:?}; shift 2 ;;
    --results) results=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --guest-kit) kit=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    --with-qemu) with_qemu=1; shift ;;
    --fixture) fixture=1; shift ;;
    --vmm-bin) vmm_bins+=("${2:?}"); shift 2 ;;
    --extra-kit) extra_kits+=("${2:?}"); shift 2 ;;
    -h | --help) usage ;;
    *) log "unknown argument $1"; usage ;;
  esac
done
[[ -n $arch && -n $suite && -n $results ]] || usage
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive number of seconds"
[[ -d $suite ]] || die "suite $suite is not a directory"
# Without stdvmm the suite can still run (self-tests with --with-qemu);
# tests that need it fail on the missing binary.
if [[ -z $stdvmm ]]; then log "note: no --stdvmm given"; fi

# A case's own multiple of the per-case timeout (init reads the same
# header); the outer limits below allow for the largest.
timeout_factor() { # SCRIPT
  local f
  f=$(sed -n 's/^# integration-timeout-factor: *\([1-4]\)$/\1/p' "$1" | head -n 1)
  echo "${f:-1}"
}
tests=() max_factor=1
declare -A factor_of=()
for t in "$suite"/*.sh; do
  [[ -e $t ]] || continue
  n=${t##*/}
  tests+=("${n%.sh}")
  factor_of[${n%.sh}]=$(timeout_factor "$t")
  if ((factor_of[${n%.sh}] > max_factor)); then max_factor=${factor_of[${n%.sh}]}; fi
done
((${#tests[@]})) || die "no *.sh in $suite"

th_init "$arch" "$cache"
mkdir -p "$results"
results=$(cd "$results" && pwd)
# Stale results from an earlier run must not pass for this one's.
rm -f "$results"/*.status "$results"/*.log "$results"/host-*.txt "$results"/.host-end \
  "$results"/.kvm "$results"/.exit "$results"/.running

kit=$(th_guest_kit "$kit")
base=$(th_base)

stage=$(mktemp -d "$th_cache/stage.XXXXXX")
# A Unix socket path has 107 bytes at most: the monitor's lives in /tmp.
mon_dir=$(mktemp -d "${TMPDIR:-/tmp}/stdvmm-mon.XXXXXX")
trap 'rm -rf "$stage" "$mon_dir"' EXIT
if [[ -n $stdvmm ]]; then th_stage_stdvmm "$stage" "$stdvmm"; fi
th_stage_guest "$stage" "$kit"
for e in "${extra_kits[@]}"; do
  [[ $e =~ ^[a-z0-9-]+=. ]] || die "--extra-kit $e: expected NAME=DIR (NAME: a-z, 0-9, -)"
  th_stage_guest "$stage" "$(th_guest_kit "${e#*=}")" "guest-${e%%=*}"
done
th_stage_suite "$stage" "$suite"
if ((with_qemu)); then th_stage_qemu "$stage"; fi
for b in "${vmm_bins[@]}"; do
  if [[ -x $b ]]; then
    add_binary "$stage" "$b" "/opt/stdvmm/bin/${b##*/}"
  else
    log "note: --vmm-bin $b does not exist; the cases that use it will fail"
  fi
done
initrd=$th_cache/testhost/$arch/initrd-suite.img

# The nested virtualization of the emulated host is not fully reliable: it
# has frozen whole (no timer, no per-test watchdog, for 19 minutes) about
# once in 20 runs, in different cases (tools/testhost/README.md "When the
# test host freezes"). The outer side notices silence on the result port
# that is longer than any case may take, records what the host's CPUs were
# doing, stops it and boots a new host for the cases still to run. The case
# that was running runs once more there; if the host freezes in it again, it
# fails.
stall_limit=$((timeout * max_factor + 120))
max_boots=3

# boot_host SUFFIX TEST...: one host boot for these tests. Returns 0 when
# the host finished, 1 when it died or was stopped as frozen.
boot_host() {
  local sfx=$1 qpid ppid_ qrc=0 last host_limit
  shift
  th_stage_conf "$stage" suite "$timeout" "$@"
  th_initrd "$stage" "$base" "$initrd"
  mapfile -t cmd < <(th_qemu_cmd "$base" "$initrd" "")
  # Whole-host limit: boot plus every test at its full timeout; per-test
  # limits inside the host normally end things long before.
  host_limit=180
  for n in "$@"; do host_limit=$((host_limit + timeout * factor_of[$n] + 10)); done
  proto=$results/host-protocol$sfx.txt
  console=$results/host-console$sfx.log
  : >"$proto"
  rm -f "$results/.running" "$mon_dir/monitor"
  log "booting the $arch test host for $# tests (per-test timeout ${timeout}s, host limit ${host_limit}s)"
  timeout -k 10 "$host_limit" "${cmd[@]}" \
    -serial "file:$console" -serial "file:$proto" \
    -monitor "unix:$mon_dir/monitor,server=on,wait=off" </dev/null &
  qpid=$!
  # Progress is printed as results arrive; tail ends once QEMU has exited.
  tail -n +1 -F --pid="$qpid" "$proto" 2>/dev/null | th_parse "$results" &
  ppid_=$!
  while kill -0 "$qpid" 2>/dev/null; do
    sleep 5
    last=$(stat -c %Y "$proto")
    if ((EPOCHSECONDS - last > stall_limit)); then
      log "no word from the test host for ${stall_limit}s$([[ -s $results/.running ]] &&
        printf ' while %s ran' "$(<"$results/.running")"): it is frozen; its state goes to host-freeze$sfx.txt"
      th_keep_kallsyms "$results" "$base"
      th_postmortem "$mon_dir/monitor" "$base" "$console" >"$results/host-freeze$sfx.txt" 2>&1
      kill "$qpid" 2>/dev/null
      break
    fi
  done
  wait "$qpid" || qrc=$?
  wait "$ppid_" || true
  th_keep_kallsyms "$results" "$base"
  [[ -e $results/.host-end ]] && return 0
  log "the test host stopped (QEMU status $qrc) before finishing; see $console"
  return 1
}

start=$EPOCHREALTIME
host_ok=0 boots=0 sfx="" retried=()
declare -A froze_in=()
while ((boots < max_boots)); do
  pending=()
  for n in "${tests[@]}"; do [[ -s $results/$n.status ]] || pending+=("$n"); done
  ((${#pending[@]})) || { host_ok=1; break; }
  boots=$((boots + 1))
  ((boots == 1)) || sfx=.boot$boots
  if boot_host "$sfx" "${pending[@]}"; then host_ok=1; break; fi
  [[ -s $results/.running ]] || continue
  n=$(<"$results/.running")
  # What tells the story: the post-mortem of a freeze, else the console of
  # a host that died by itself.
  record=host-freeze$sfx.txt
  [[ -e $results/$record ]] || record=host-console$sfx.log
  if [[ -n ${froze_in[$n]:-} ]]; then
    {
      echo "fail: the test host froze or died twice while this case ran (${froze_in[$n]}, $record)"
      echo "--- last lines of the host console:"
      tail -n 40 "$console" 2>/dev/null || true
    } >"$results/$n.log"
    echo fail >"$results/$n.status"
  else
    froze_in[$n]=$record
    retried+=("$n")
    log "$n runs again in a new host boot"
  fi
done
total=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
for n in "${retried[@]}"; do
  [[ -e $results/$n.log ]] || continue
  { echo "RETRY: the test host froze or died while this case ran (${froze_in[$n]}); this is its run in a new host boot"
    cat "$results/$n.log"; } >"$results/$n.log.new" && mv "$results/$n.log.new" "$results/$n.log"
done

pass=0 fail=0 skip=0
printf '\n%-24s %s\n' TEST RESULT
for n in "${tests[@]}"; do
  if [[ ! -s $results/$n.status ]]; then
    {
      echo "fail: no result; the test host died or froze before this test finished ($boots boots)"
      echo "--- last lines of the host console:"
      tail -n 40 "$console" 2>/dev/null || true
    } >>"$results/$n.log"
    echo fail >"$results/$n.status"
  fi
  s=$(<"$results/$n.status")
  case $s in
    pass) pass=$((pass + 1)) ;;
    skip) skip=$((skip + 1)) ;;
    *) fail=$((fail + 1)) ;;
  esac
  printf '%-24s %s\n' "$n" "$s"
done
printf 'testhost: %ss for %d host boot(s) and all tests\n' "$total" "$boots"
((${#retried[@]} == 0)) || printf 'testhost: run again after a host freeze: %s\n' "${retried[*]}"
printf 'testhost: %d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
((host_ok)) || exit 2
((fail == 0 || fixture)) || exit 1
exit 0
