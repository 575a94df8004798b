# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# Helpers of the budget cases (budget_deadline, budget_cgroup_v1): one busy
# 1-vCPU guest started with start_vm and --api-socket "$SOCK", whose vCPU 0
# must get 15-25% of a CPU under budget 20ms/100ms. Source after
# lib/guest.sh and lib/background.sh, and set SOCK.

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
# measure WHAT MECHANISM: the running VM's vCPU 0 uses MECHANISM and 15-25%.
measure() {
	wait_line "stdvmm-test: busy=1"
	tid=$(vcpu0_tid "$VM_PID")
	[ -n "$tid" ] || fail "$1: no vcpu0 thread"
	placement=$("$STDVMM" ctl vm "$SOCK" placement)
	echo "$placement"
	echo "$placement" | grep -q "^vcpu0 .*mechanism=$2" ||
		fail "$1: vcpu0's budget is not carried by $2"
	pct=$(percent "$VM_PID" "$tid" 6)
	echo "$1: vcpu0 got $pct% of a CPU under budget 20ms/100ms"
	[ "$pct" -ge 15 ] && [ "$pct" -le 25 ] || fail "$1: budget 20ms/100ms gave $pct% (expected 15-25%)"
}
stop_vm() {
	kill "$VM_PID"
	wait_vm
	VM_PID=""
}

