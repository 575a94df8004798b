#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boots the test host once and runs every SUITE/*.sh inside it, in order.
#
#   tools/testhost/run-suite.sh --arch x86_64 --stdvmm PATH --suite DIR --results DIR
#       [--timeout SEC] [--guest-kit DIR] [--cache DIR] [--with-qemu] [--fixture]
#
# Each test runs in the host with STDVMM, GUEST_KERNEL, GUEST_INITRD and
# TEST_TMP set (QEMU and QEMU_FIRMWARE too with --with-qemu); exit 0 is pass,
# 77 skip, anything else fail, and a test is killed after --timeout seconds.
# Writes RESULTS/<name>.status (pass|fail|skip) and RESULTS/<name>.log, plus
# host-console.log, host-dmesg.log and host-protocol.txt for post-mortems.
# Exit status: 0 all passed or skipped, 1 a test failed, 2 the host died or
# could not be built. With --fixture (a CTest fixture whose cases read the
# .status files themselves) a failed test does not fail the run.
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

tests=()
for t in "$suite"/*.sh; do
  [[ -e $t ]] || continue
  n=${t##*/}
  tests+=("${n%.sh}")
done
((${#tests[@]})) || die "no *.sh in $suite"

th_init "$arch" "$cache"
mkdir -p "$results"
results=$(cd "$results" && pwd)
# Stale results from an earlier run must not pass for this one's.
rm -f "$results"/*.status "$results"/*.log "$results"/host-protocol.txt "$results"/.host-end \
  "$results"/.kvm "$results"/.exit

kit=$(th_guest_kit "$kit")
base=$(th_base)

stage=$(mktemp -d "$th_cache/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
if [[ -n $stdvmm ]]; then th_stage_stdvmm "$stage" "$stdvmm"; fi
th_stage_guest "$stage" "$kit"
th_stage_suite "$stage" "$suite"
if ((with_qemu)); then th_stage_qemu "$stage"; fi
th_stage_conf "$stage" suite "$timeout"
initrd=$th_cache/testhost/$arch/initrd-suite.img
th_initrd "$stage" "$base" "$initrd"

mapfile -t cmd < <(th_qemu_cmd "$base" "$initrd" "")
# Whole-host limit: boot plus every test at its full timeout; per-test
# limits inside the host normally end things long before.
host_limit=$((180 + ${#tests[@]} * (timeout + 10)))
proto=$results/host-protocol.txt
: >"$proto"
log "booting the $arch test host for ${#tests[@]} tests (per-test timeout ${timeout}s, host limit ${host_limit}s)"
start=$EPOCHREALTIME
timeout -k 10 "$host_limit" "${cmd[@]}" \
  -serial "file:$results/host-console.log" -serial "file:$proto" </dev/null &
qpid=$!
# Progress is printed as results arrive; tail ends once QEMU has exited.
tail -n +1 -F --pid="$qpid" "$proto" 2>/dev/null | th_parse "$results"
qrc=0
wait "$qpid" || qrc=$?
total=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

host_ok=1
if [[ ! -e $results/.host-end ]]; then
  host_ok=0
  log "the test host died (QEMU status $qrc) before finishing; see $results/host-console.log"
fi

pass=0 fail=0 skip=0
printf '\n%-24s %s\n' TEST RESULT
for n in "${tests[@]}"; do
  if [[ ! -s $results/$n.status ]]; then
    {
      echo "fail: no result; the test host died (QEMU status $qrc) before this test finished"
      echo "--- last lines of the host console:"
      tail -n 40 "$results/host-console.log" 2>/dev/null || true
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
printf 'testhost: %ss for the host boot and all tests\n' "$total"
printf 'testhost: %d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
((host_ok)) || exit 2
((fail == 0 || fixture)) || exit 1
exit 0
