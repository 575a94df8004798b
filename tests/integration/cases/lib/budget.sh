# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# Helpers of the budget cases (budget_deadline, budget_cgroup_v1): one busy
# 1-vCPU guest started with start_vm, --api-socket "$SOCK" and budget
# $BOOT_BUDGET, whose vCPU 0 must then get 15-25% of a CPU once its budget
# is changed to 20ms/100ms at run time; with --rng, its device thread must
# sit in the VM's devices cgroup with the same quota. Source after lib/guest.sh and
# lib/background.sh, and set SOCK.

# The guest boots under a wide budget: on 20% of an emulated CPU its boot
# alone takes about 100 s. The configured budget and the run-time change
# both go through the mechanism under test. Both are written the way the
# VMM prints them back (microseconds), so one spelling sets and checks.
BOOT_BUDGET=80000us/100000us
RUN_BUDGET=20000us/100000us

cleanup() {
	[ -n "${VM_PID:-}" ] && kill "$VM_PID" 2>/dev/null
	return 0
}

vcpu0_tid() { # PID
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = vcpu0 ] && echo "${t##*/}" && return 0
	done
	return 0
}
# percent PID TID SECONDS: the thread's CPU time as a percentage of one CPU.
percent() {
	t0=$(awk '{ print $14 + $15 }' "/proc/$1/task/$2/stat")
	u0=$(awk '{ printf "%d", $1 * 100 }' /proc/uptime)
	sleep "$3"
	t1=$(awk '{ print $14 + $15 }' "/proc/$1/task/$2/stat")
	u1=$(awk '{ printf "%d", $1 * 100 }' /proc/uptime)
	echo "  ticks: vcpu0 $((t1 - t0)) in $((u1 - u0)) centiseconds" >&2
	echo $(((t1 - t0) * 100 / (u1 - u0)))
}
# placement_is WHAT MECHANISM BUDGET: vCPU 0's budget is BUDGET (as the
# VMM prints it) and MECHANISM carries it.
placement_is() {
	placement=$("$STDVMM" ctl vm "$SOCK" placement)
	echo "$placement"
	echo "$placement" | grep -Eq "^vcpu0 .*mechanism=$2 .*budget=$3([ ,]|\$)" ||
		fail "$1: vcpu0's budget is not $3 carried by $2"
}
# measure WHAT MECHANISM: the running VM's vCPU 0 has its boot budget
# through MECHANISM; changed to RUN_BUDGET (20%) it uses MECHANISM and 15-25%.
measure() {
	wait_line "stdvmm-test: busy=1"
	tid=$(vcpu0_tid "$VM_PID")
	[ -n "$tid" ] || fail "$1: no vcpu0 thread"
	placement_is "$1" "$2" "$BOOT_BUDGET"
	echo "+ stdvmm ctl vm $SOCK vcpu 0 budget=$RUN_BUDGET"
	"$STDVMM" ctl vm "$SOCK" vcpu 0 "budget=$RUN_BUDGET" ||
		fail "$1: changing vcpu0's budget to $RUN_BUDGET was refused"
	placement_is "$1" "$2" "$RUN_BUDGET"
	pct=$(percent "$VM_PID" "$tid" 6)
	echo "$1: vcpu0 got $pct% of a CPU under budget $RUN_BUDGET"
	[ "$pct" -ge 15 ] && [ "$pct" -le 25 ] || fail "$1: budget $RUN_BUDGET gave $pct% (expected 15-25%)"
}
# rng_cgroup PID: the cgroup path of the VM's rng device thread (the
# cpu hierarchy's, v1 or v2), as /proc names it; fails without the thread.
rng_cgroup() {
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = rng ] || continue
		awk -F: '$2 == "" || $2 ~ /(^|,)cpu(,|$)/ { print $3; exit }' "$t/cgroup"
		return 0
	done
	fail "no rng device thread in the VMM"
}
# stop_vm: stops the VM; its VMM must have removed the cgroups it made
# (here the v2 ones, stdvmm-PID and below; budget_cgroup_v1 looks into its
# own hierarchy), also when a vCPU thread was still on its way out of a
# reservation as the VMM ended.
stop_vm() {
	pid=$VM_PID
	kill "$VM_PID"
	wait_vm
	VM_PID=""
	left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "stdvmm-$pid*" 2>/dev/null)
	[ -z "$left" ] || fail "the VMM left its cgroups behind: $left"
	! grep "cannot remove the cgroup" "$STDERR_LOG" || fail "the VMM could not remove a cgroup"
}

