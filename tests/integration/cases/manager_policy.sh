#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# restart: on-failure:2 under stdvmmd: a guest whose kernel panics
# (init=/nonexistent; stdvmm exits 3) is restarted exactly twice, then left
# failed. Its serial log shows three boots.
set -eu
# shellcheck source=tests/integration/cases/lib/manager.sh
. "${0%/*}/lib/manager.sh"
write_system <<EOF
system: {memory: 256M, vcpus: 2}
vms:
  - {name: crash, kernel: $K, initramfs: $I, memory: 128M, autostart: true,
     cmdline: "$GUEST_BASE_CMDLINE init=/nonexistent", restart: "on-failure:2"}
EOF
start=$(date +%s)
mgr_start
wait_field crash state failed 170
ctl info crash
[ "$(vm_field crash restarts)" = 2 ] || fail "restarted $(vm_field crash restarts) times, not 2"
[ "$(vm_exit_status crash)" = 3 ] || fail "last exit $(vm_exit_status crash), not 3 (panic)"
n=$(serial_count crash "stdvmm-guest: ready")
[ "$n" = 3 ] || fail "the guest booted $n times, not 3"
sleep 3
[ "$(vm_field crash state)" = failed ] || fail "the failed VM was started again"
echo "PASS ($(($(date +%s) - start)) s)"
