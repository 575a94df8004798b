#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# stdvmmd restarts a VM on request (the guest boots again: its serial log
# shows a second boot), then is killed with -9: the VM keeps running, a new
# stdvmmd lists it running (adopted, same pid, checked against /proc) and
# stops it gracefully, learning its exit status over the VMM's socket.
set -eu
# shellcheck source=tests/integration/cases/lib/manager.sh
. "${0%/*}/lib/manager.sh"
write_system <<EOF2
system: {memory: 256M, vcpus: 2}
vms:
  - {name: vm, kernel: $K, initramfs: $I, cmdline: "$GUEST_BASE_CMDLINE", memory: 128M,
     autostart: true}
EOF2
start=$(date +%s)
mgr_start
wait_serial vm "stdvmm-guest: ready" 1 150
old=$(vm_field vm pid)
ctl restart vm --timeout 60 || fail "restart failed"
wait_serial vm "stdvmm-guest: ready" 2 150
[ "$(serial_count vm "stdvmm-guest: power button: powering off")" = 1 ] ||
	fail "the restart did not power the guest off through the power button"
pid=$(vm_field vm pid)
[ -n "$pid" ] && [ "$pid" != "$old" ] || fail "the VM kept pid $old across a restart"
echo "booted twice in $(($(date +%s) - start)) s"

kill -9 "$MGR_PID"
sleep 1
kill -0 "$pid" 2>/dev/null || fail "the VM (pid $pid) died with the manager"
mgr_start
ctl list
[ "$(vm_field vm state)" = running ] || fail "the new manager does not list the VM running"
[ "$(vm_field vm pid)" = "$pid" ] || fail "the new manager lists another pid"
[ "$(vm_field vm adopted)" = true ] || fail "the VM is not marked adopted"
ctl stop vm --timeout 60 || fail "stopping the adopted VM failed"
[ "$(vm_exit_status vm)" = 0 ] || fail "the adopted VM exited $(vm_exit_status vm), not 0"
if kill -0 "$pid" 2>/dev/null; then fail "its VMM still runs"; fi
echo "PASS ($(($(date +%s) - start)) s)"
