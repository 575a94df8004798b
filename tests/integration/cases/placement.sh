#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# vCPU placement, budgets, priorities and run-time migration
# (docs/multicore.md), with two busy guests on the test host's two CPUs:
#   A: 2 vCPUs, vCPU0 -> pCPU0, vCPU1 -> pCPU1 with budget 20ms/100ms,
#      its own threads on pCPU0 (--vmm-threads);
#   B: 1 vCPU on pCPU1, no budget (the neighbour).
# CPU shares are ratios of the vCPU threads' CPU time (/proc stat), not of
# wall-clock time: the emulated host is slow and its clock coarse.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"

SOCK_A=$TEST_TMP/a.sock
SOCK_B=$TEST_TMP/b.sock
LOG_B=$TEST_TMP/b-serial.log
ERR_B=$TEST_TMP/b-stderr.log
PID_B=""
cleanup() {
	[ -n "$PID_B" ] && kill "$PID_B" 2>/dev/null
	[ -n "${VM_PID:-}" ] && kill "$VM_PID" 2>/dev/null
	return 0
}
trap cleanup EXIT

vcpu_tid() { # PID N
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = "vcpu$2" ] && echo "${t##*/}" && return 0
	done
	return 0
}
allowed() { # PID TID
	sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/task/$2/status"
}
ticks() { # PID TID: user + system time of one thread (guest time is in user)
	awk '{ print $14 + $15 }' "/proc/$1/task/$2/stat"
}
ctl_vm() { # SOCKET ARGS...
	s=$1
	shift
	echo "+ stdvmm ctl vm $s $*"
	t0=$(cut -d' ' -f1 /proc/uptime)
	rc=0
	"$STDVMM" ctl vm "$s" "$@" || rc=$?
	echo "  (ctl took $t0 -> $(cut -d' ' -f1 /proc/uptime) s)" >&2
	return $rc
}
# share PIDA TIDA PIDB TIDB SECONDS: prints A's percentage of A + B.
share() {
	a0=$(ticks "$1" "$2")
	b0=$(ticks "$3" "$4")
	sleep "$5"
	a1=$(ticks "$1" "$2")
	b1=$(ticks "$3" "$4")
	echo "  ticks: A $((a1 - a0)), B $((b1 - b0))" >&2
	[ $((a1 - a0 + b1 - b0)) -gt 0 ] || fail "the vCPU threads used no CPU time"
	echo $(((a1 - a0) * 100 / (a1 - a0 + b1 - b0)))
}

mount | grep -q cgroup2 || fail "the test host has no cgroup2 mounted (tools/testhost/init)"

VM_CPUS=2
start_vm "stdvmm.test=busy" --name a --api-socket "$SOCK_A" --vmm-threads 0 \
	--placement vcpu=0,pcpus=0 --placement vcpu=1,pcpus=1,budget=20ms/100ms
PID_A=$VM_PID
echo "+ stdvmm run (B) --placement pcpus=1 &"
"$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
	--cmdline "$GUEST_BASE_CMDLINE stdvmm.test=busy" --cpus 1 --memory 256M \
	--serial "file=$LOG_B" --no-reboot --name b --api-socket "$SOCK_B" \
	--placement pcpus=1 </dev/null 2>"$ERR_B" &
PID_B=$!
wait_line "stdvmm-test: busy=2"
i=0
until tr -d '\r' <"$LOG_B" 2>/dev/null | grep -qx "stdvmm-test: busy=1"; do
	i=$((i + 1))
	[ "$i" -lt "$GUEST_TIMEOUT" ] || { cat "$ERR_B" "$LOG_B"; fail "guest B did not start its busy loop"; }
	kill -0 "$PID_B" 2>/dev/null || { cat "$ERR_B" "$LOG_B"; fail "VM B exited"; }
	sleep 1
done

A0=$(vcpu_tid "$PID_A" 0)
A1=$(vcpu_tid "$PID_A" 1)
B0=$(vcpu_tid "$PID_B" 0)
[ -n "$A0" ] && [ -n "$A1" ] && [ -n "$B0" ] || fail "vCPU threads not found (A: '$A0' '$A1', B: '$B0')"

# 1. Pinning: each vCPU thread's affinity is its placement; the VMM's other threads keep to pCPU0.
[ "$(allowed "$PID_A" "$A0")" = 0 ] || fail "A vcpu0 allowed on $(allowed "$PID_A" "$A0"), expected 0"
[ "$(allowed "$PID_A" "$A1")" = 1 ] || fail "A vcpu1 allowed on $(allowed "$PID_A" "$A1"), expected 1"
[ "$(allowed "$PID_B" "$B0")" = 1 ] || fail "B vcpu0 allowed on $(allowed "$PID_B" "$B0"), expected 1"
[ "$(allowed "$PID_A" "$PID_A")" = 0 ] || fail "A's main thread allowed on $(allowed "$PID_A" "$PID_A"), expected 0 (--vmm-threads)"
ctl_vm "$SOCK_A" placement
ctl_vm "$SOCK_A" placement | grep -q "^vcpu1 .*mechanism=cgroup" ||
	fail "A vcpu1's budget is not carried by its cgroup"
echo "pinning: A vcpu0 -> 0, vcpu1 -> 1, B vcpu0 -> 1, A's own threads -> 0"

# 2. Budget: 20ms/100ms against an unbudgeted neighbour on the same pCPU.
pct=$(share "$PID_A" "$A1" "$PID_B" "$B0" 5)
echo "budget: A vcpu1 got $pct% of pCPU1 (B the rest)"
[ "$pct" -ge 15 ] && [ "$pct" -le 25 ] || fail "budget 20ms/100ms gave $pct% (expected 15-25%)"

# 3. Priority: A vcpu1 high (200), B vcpu0 low (10), both real-time on pCPU1.
ctl_vm "$SOCK_A" vcpu 1 budget=none,priority=200 || fail "changing A vcpu1 to priority 200 refused"
ctl_vm "$SOCK_B" vcpu 0 priority=10 || fail "changing B vcpu0 to priority 10 refused"
sleep 1
pct=$(share "$PID_A" "$A1" "$PID_B" "$B0" 5)
echo "priority: A vcpu1 (200) got $pct% of pCPU1 against B vcpu0 (10)"
[ "$pct" -ge 90 ] || fail "the high-priority vCPU got $pct% (expected >= 90%)"
ctl_vm "$SOCK_B" vcpu 0 priority=none || fail "B back to time-shared refused"

# 4. Run-time migration: A vcpu1 to pCPU0; rules still apply.
ctl_vm "$SOCK_A" vcpu 1 priority=none,pcpus=0 || fail "migrating A vcpu1 to pCPU0 refused"
[ "$(allowed "$PID_A" "$A1")" = 0 ] || fail "after migration A vcpu1 allowed on $(allowed "$PID_A" "$A1"), expected 0"
ctl_vm "$SOCK_A" vcpu 0 pcpus=1,dedicated || fail "dedicating pCPU1 to A vcpu0 refused"
[ "$(allowed "$PID_A" "$A0")" = 1 ] || fail "after migration A vcpu0 allowed on $(allowed "$PID_A" "$A0"), expected 1"
if ctl_vm "$SOCK_A" vcpu 1 pcpus=1 2>"$TEST_TMP/refused"; then
	fail "moving A vcpu1 onto vcpu0's dedicated pCPU1 was accepted"
fi
cat "$TEST_TMP/refused"
grep -q dedicated "$TEST_TMP/refused" || fail "the refusal does not say why"
if ctl_vm "$SOCK_A" vcpu 1 budget=50ms/10ms 2>/dev/null; then
	fail "a budget longer than its period was accepted"
fi
echo "migration: A vcpu1 -> 0, vcpu0 -> 1 (dedicated); onto a dedicated pCPU refused"

# 5. Stop both; the VMMs remove their cgroups.
kill "$PID_B"
wait "$PID_B" || true
PID_B=""
kill "$PID_A"
wait_vm
ls -d /sys/fs/cgroup/stdvmm-* 2>/dev/null && fail "cgroups left behind"
trap - EXIT # both VMMs are gone; the cleanup's failing kills would set the exit status
echo "PASS: pinning, budget, priority, migration"
