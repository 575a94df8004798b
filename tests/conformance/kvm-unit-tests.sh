#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs the kvm-unit-tests arm64 or riscv64 suite against stdvmm (and,
# beside it in the same test-host boot, against kvmtool) in the aarch64 or
# riscv64 test host.
#
#   tests/conformance/kvm-unit-tests.sh [--arch arm64|riscv64] --kut DIR
#       --stdvmm PATH --results DIR [--kvmtool LKVM] [--only 'NAME...']
#       [--timeout SEC] [--max-smp N] [--guest-kit DIR]
#
# --arch: kvm-unit-tests' name of the architecture (default arm64).
# DIR: a kvm-unit-tests tree already configured and built for it by the
# user (this repository neither holds nor fetches it), e.g.
#   ./configure --arch=arm64 --cross-prefix=aarch64-linux-gnu- --target=kvmtool \
#       --earlycon=uart8250,mmio,0x9000000 && make
# (stdvmm's UART, at the same address on riscv64; the tests find it through
# the device tree's stdout-path anyway, only their earliest output needs
# --earlycon). LKVM: a static kvmtool binary (lkvm-static) for the same
# architecture, also built by the user. PATH: the static stdvmm
# (BUILD/aarch64-cross/src/tools/stdvmm, BUILD/riscv64-cross/...).
#
# Each test of arm/unittests.cfg (riscv/unittests.cfg) becomes one case per
# VMM, run the way run_tests.sh runs it for --target=kvmtool
# (tests/conformance/kut-case.sh): disabled_if evaluated with
# TARGET=kvmtool, tests for other arches (32-bit arm, riscv32) left out,
# nodefault tests run too (the table says which), and so does arm64's
# pl031.flat, which the suite builds but unittests.cfg does not list.
# Riscv64 .flat files carry a Linux Image header: both VMMs boot them as
# Images. Every test's pass, skip or
# fail comes from its "EXIT: STATUS=" line. --only runs the named tests.
# --timeout is each VM's limit (default 120 s: nested TCG is slow).
# --max-smp sets MAX_SMP as run_tests.sh's environment does (default: the
# test host's CPUs, 2; its-trigger wants 4).
# Prints a table (test, stdvmm, kvmtool); RESULTS keeps each case's log.
# Wrap it in flock /tmp/qemu.lock on a shared machine. Exit status: 0 when
# nothing failed under stdvmm that passed under kvmtool (or, without
# kvmtool, nothing failed), 1 otherwise, 2 on bad usage or a host failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
usage() {
  awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0" >&2
  exit 2
}

kut="" stdvmm="" results="" kvmtool="" only="" timeout=120 kit="" max_smp="" kut_arch=arm64
while (($#)); do
  case $1 in
    --arch) kut_arch=${2:?}; shift 2 ;;
    --kut) kut=${2:?}; shift 2 ;;
    --stdvmm) stdvmm=${2:?}; shift 2 ;;
    --results) results=${2:?}; shift 2 ;;
    --kvmtool) kvmtool=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --guest-kit) kit=${2:?}; shift 2 ;;
    --max-smp) max_smp=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "unknown argument $1" >&2; usage ;;
  esac
done
[[ -n $kut && -n $stdvmm && -n $results ]] || usage
# kvm-unit-tests' directory of the architecture, and the test host's name for it.
case $kut_arch in
  arm64) testdir=arm host_arch=aarch64 ;;
  riscv64) testdir=riscv host_arch=riscv64 ;;
  *) echo "--arch takes arm64 or riscv64, not $kut_arch" >&2; exit 2 ;;
esac
cfg=$kut/$testdir/unittests.cfg
[[ -f $cfg ]] || { echo "$cfg: not a kvm-unit-tests tree" >&2; exit 2; }
grep -q "^ARCH=$kut_arch\$" "$kut/config.mak" 2>/dev/null ||
  { echo "$kut is not configured for $kut_arch (config.mak)" >&2; exit 2; }
[[ -x $stdvmm ]] || { echo "no stdvmm at $stdvmm" >&2; exit 2; }
[[ -z $kvmtool || -x $kvmtool ]] || { echo "no kvmtool at $kvmtool" >&2; exit 2; }
[[ $timeout =~ ^[1-9][0-9]*$ ]] || { echo "--timeout takes seconds" >&2; exit 2; }
[[ -z $max_smp || $max_smp =~ ^[1-9][0-9]*$ ]] || { echo "--max-smp takes a count" >&2; exit 2; }
mkdir -p "$results"
results=$(cd "$results" && pwd)

suite=$(mktemp -d)
trap 'rm -rf "$suite"' EXIT
mkdir -p "$suite/flat"
cp "$here/kut-case.sh" "$suite/"
# The suite runs every *.sh; the helper is sourced, not run.
mv "$suite/kut-case.sh" "$suite/kut-case.inc"
[[ -z $kvmtool ]] || cp "$kvmtool" "$suite/lkvm"

# run_tests.sh's unittests.cfg reader (scripts/common.bash for_each_unittest),
# reduced to the keys arm uses. Prints one line per test: name, then the
# fields, separated by \x1f.
parse_cfg() {
  awk -v US=$'\x1f' '
    function flush() {
      if (name != "") print name US f["file"] US f["smp"] US f["test_args"] US \
        f["kvmtool_params"] US f["groups"] US f["arch"] US f["disabled_if"] US f["timeout"]
      delete f
    }
    /^[ \t]*#/ { next }
    /^\[.*\]$/ { flush(); name = substr($0, 2, length($0) - 2); next }
    /^[a-z_]+ *=/ {
      key = $0; sub(/ *=.*/, "", key)
      val = $0; sub(/^[a-z_]+ *= */, "", val)
      gsub(/^["\x27]|["\x27]$/, "", val)
      f[key] = val
    }
    END { flush() }' "$1"
  # Built by the suite's Makefile but absent from unittests.cfg at 1da1819e:
  # run it with no arguments on one CPU.
  if [[ $testdir == arm && -f $kut/arm/pl031.flat ]] && ! grep -q '^\[pl031\]' "$1"; then
    # name file smp test_args kvmtool_params groups arch disabled_if timeout
    (IFS=$'\x1f'; f=(pl031 pl031.flat 1 "" "" pl031 arm64 "" ""); echo "${f[*]}")
  fi
}

declare -a names=() notes=()
n=0
while IFS=$'\x1f' read -r name file smp args params groups arch disabled tmo; do
  [[ -z $only || " $only " == *" $name "* ]] || continue
  note=""
  [[ " $groups " == *" nodefault "* ]] && note="nodefault"
  [[ $name != pl031 ]] || grep -q '^\[pl031\]' "$cfg" || note="not in unittests.cfg"
  if [[ -n $arch && $arch != "$kut_arch" ]]; then
    continue
  fi
  if [[ -n $disabled ]] && TARGET=kvmtool bash -c "$disabled" 2>/dev/null; then
    names+=("$name"); notes+=("disabled for kvmtool targets: $disabled")
    continue
  fi
  [[ -f $kut/$testdir/$file ]] || { echo "$kut/$testdir/$file missing: build the tree first" >&2; exit 2; }
  cp "$kut/$testdir/$file" "$suite/flat/"
  n=$((n + 1))
  names+=("$name"); notes+=("$note")
  idx=$(printf '%02d' "$n")
  # run_tests.sh's limit is the test's own timeout (90 s by default); nested
  # TCG is slower than the hosts those were chosen on, so the larger one.
  limit=$timeout
  t=${tmo%s}
  [[ ! $t =~ ^[0-9]+$ ]] || ((t <= limit)) || limit=$t
  vmms=(stdvmm)
  [[ -z $kvmtool ]] || vmms+=(kvmtool)
  for vmm in "${vmms[@]}"; do
    {
      echo '#!/bin/sh'
      echo "# kvm-unit-tests [$name] under $vmm (generated by tests/conformance/kvm-unit-tests.sh)"
      printf 'KUT_TEST=%q KUT_VMM=%q KUT_FILE=%q KUT_SMP=%q\n' "$name" "$vmm" "$file" "${smp:-1}"
      printf 'KUT_ARGS=%q KUT_KVMTOOL_PARAMS=%q KUT_TIMEOUT=%q\n' "$args" "$params" "$limit"
      [[ -z $max_smp ]] || echo "MAX_SMP=$max_smp"
      # shellcheck disable=SC2016 # expanded by the case script, in the host
      echo '. "${0%/*}/kut-case.inc"'
    } >"$suite/$idx-$name.$vmm.sh"
  done
done < <(parse_cfg "$cfg")
((n > 0)) || { echo "no test to run" >&2; exit 2; }

if [[ -z $kit ]]; then
  # The suite boots no Linux guest; the host wants a kit all the same.
  kit=$suite.kit
  mkdir -p "$kit"
  echo "not a kernel: kvm-unit-tests brings its own" >"$kit/vmlinuz"
  echo | gzip >"$kit/initramfs.cpio.gz"
  trap 'rm -rf "$suite" "$kit"' EXIT
fi
host_rc=0
"$repo/tools/testhost/run-suite.sh" --arch "$host_arch" --stdvmm "$stdvmm" --suite "$suite" \
  --results "$results" --guest-kit "$kit" --timeout $((2 * timeout + 60)) --fixture || host_rc=$?

verdict() { # CASE
  local s=$results/$1.status
  [[ -f $s ]] || { echo "none"; return; }
  local v
  v=$(tr -d '\n' <"$s")
  echo "${v^^}"
}
status=0
printf '| test | stdvmm | kvmtool | note |\n|---|---|---|---|\n' | tee "$results/table.md"
i=0
for idx in "${!names[@]}"; do
  name=${names[$idx]} note=${notes[$idx]}
  if [[ $note == disabled* ]]; then
    printf '| %s | - | - | %s |\n' "$name" "$note"
    continue
  fi
  i=$((i + 1))
  case_base=$(printf '%02d' "$i")-$name
  s=$(verdict "$case_base.stdvmm")
  k=-
  [[ -z $kvmtool ]] || k=$(verdict "$case_base.kvmtool")
  if [[ $s != PASS && $s != SKIP ]] && [[ -z $kvmtool || $k == PASS ]]; then status=1; fi
  printf '| %s | %s | %s | %s |\n' "$name" "$s" "$k" "$note"
done | tee -a "$results/table.md"
# The loop ran in a pipeline's subshell: recompute the verdict from the table.
if awk -F' \\| ' -v kt="${kvmtool:+1}" 'NR > 2 && $2 != "-" && $2 != "PASS" && $2 != "SKIP" &&
    (kt == "" || $3 == "PASS") { bad = 1 } END { exit !bad }' "$results/table.md"; then
  status=1
fi
((host_rc != 2)) || status=2
exit $status
