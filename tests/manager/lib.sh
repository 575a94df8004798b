# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# What manager-local.sh and manager-networks-local.sh share: stdvmmd on
# $work/system.yaml with its state in $state and the stand-in VMM $fake,
# started in the background (extra arguments passed on), its API awaited.
# Needs: stdvmmd stdvmm fake work state STDVMM_SOCKET. Sets mgr_pid; fail
# counts in failures, which the script reports at its end.
failures=0
mgr_pid=""

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
ctl() { "$stdvmm" ctl "$@"; }

start_manager() {
  "$stdvmmd" --system "$work/system.yaml" --state-dir "$state" --api-socket "$STDVMM_SOCKET" \
    --stdvmm "$fake" "$@" >>"$work/manager.log" 2>&1 &
  mgr_pid=$!
  for _ in $(seq 50); do
    [[ -S $STDVMM_SOCKET ]] && "$stdvmm" ctl list >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/manager.log"
  echo "FAIL: the manager did not come up"
  exit 1
}
