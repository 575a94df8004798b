#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# stdvmm run --api-socket: info lists the vCPU threads; pause parks the
# vCPUs (the guest's ticker stops) and resume releases them (it goes on);
# shutdown presses the ACPI power button, the guest kit's /init powers off
# and stdvmm exits 0.
set -eu
VM_CPUS=2
VM_MEMORY=128M
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
sock=$TEST_TMP/vm.sock
rcfile=$TEST_TMP/rc
(
	run_vm "stdvmm.test=ticker" --api-socket "$sock" >"$TEST_TMP/run.log" 2>&1
	echo "$VM_RC" >"$rcfile"
) &
bg=$!
vmctl() { "$STDVMM" ctl vm "$sock" "$@"; }
ticks() { tr -d '\r' <"$SERIAL_LOG" 2>/dev/null | grep -c "^stdvmm-test: tick" || true; }
show() {
	cat "$TEST_TMP/run.log" 2>/dev/null
	[ -e "$SERIAL_LOG" ] && tail -n 30 "$SERIAL_LOG"
}
n=0
while [ "$(ticks)" -lt 3 ]; do
	n=$((n + 1))
	if [ $n -ge 300 ] || [ -e "$rcfile" ]; then
		kill "$bg" 2>/dev/null
		show
		fail "the guest did not start ticking"
	fi
	sleep 0.5
done
vmctl info || { show; fail "info failed"; }
vmctl info | grep -q '"tid"' || fail "info lists no vCPU threads"
vmctl pause || { show; fail "pause failed"; }
a=$(ticks)
sleep 3
b=$(ticks)
vmctl resume || { show; fail "resume failed"; }
sleep 3
c=$(ticks)
echo "ticks: $a at pause, $b after 3 s paused, $c after 3 s resumed"
[ "$a" = "$b" ] || fail "the paused guest went on ticking ($a -> $b)"
[ "$c" -gt "$b" ] || fail "the resumed guest did not tick again ($b -> $c)"
vmctl shutdown || { show; fail "shutdown failed"; }
wait "$bg" || true
show
[ "$(cat "$rcfile")" = 0 ] || fail "stdvmm exited $(cat "$rcfile"), not 0 (poweroff)"
grep -q "stdvmm-guest: power button: powering off" "$SERIAL_LOG" ||
	fail "the guest did not see the power button"
[ ! -e "$sock" ] || fail "stdvmm left its socket behind"
echo "PASS"
