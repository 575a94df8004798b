#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# One CTest case of the integration suite: the suite fixture already ran
# every case in a single test-host boot; this turns RESULTS/NAME.status into
# an exit status (0 pass, 77 skip, 1 fail) and shows the case's log when it
# did not pass. With STDVMM_REQUIRE_KVM=1 (CI) a skip fails: a CI machine
# that cannot run guests must not look green.
#
#   check-result.sh RESULTS_DIR NAME
set -euo pipefail

results=${1:?results directory}
name=${2:?case name}
status=missing
if [[ -s $results/$name.status ]]; then
  status=$(<"$results/$name.status")
fi

show_log() {
  if [[ -f $results/$name.log ]]; then
    cat "$results/$name.log"
  else
    echo "(no log: $results/$name.log; the suite fixture may not have run)"
  fi
}

case $status in
  pass)
    echo "$name: pass"
    exit 0
    ;;
  skip)
    show_log
    if [[ ${STDVMM_REQUIRE_KVM:-0} == 1 ]]; then
      echo "$name: skipped, but STDVMM_REQUIRE_KVM=1 requires it to run"
      exit 1
    fi
    echo "$name: skip"
    exit 77
    ;;
  *)
    show_log
    echo "$name: $status (host logs: $results/host-console.log, $results/host-dmesg.log)"
    exit 1
    ;;
esac
