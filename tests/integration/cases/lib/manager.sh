# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# Helpers for the manager's integration cases (busybox sh, inside the test
# host). stdvmmd runs with its state below $TEST_TMP; VMs live in sessions
# of their own (as the manager starts them), so the host's per-case kill of
# the case's process group does not reach them: mgr_cleanup, run on exit,
# stops everything the case started.
#
#   write_system      the system description from stdin ($K, $I: kernel, initramfs)
#   mgr_start [ARGS]  start stdvmmd, wait for its API
#   ctl ARGS          stdvmm ctl on the manager's socket
#   vm_field VM FIELD, wait_field VM FIELD VALUE SECONDS
#   serial_count VM LINE, wait_serial VM LINE COUNT SECONDS

: "${STDVMM:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
# shellcheck source=tests/integration/cases/lib/cmdline.sh
. "${0%/*}/lib/cmdline.sh"
STDVMMD=${STDVMM%/*}/stdvmmd
STATE=$TEST_TMP/state
SYSTEM=$TEST_TMP/system.yaml
MGR_LOG=$TEST_TMP/manager.log
export STDVMM_SOCKET=$TEST_TMP/api.sock
K=$GUEST_KERNEL
I=$GUEST_INITRD
MGR_PID=""

dump_logs() {
	echo "--- load: $(cat /proc/loadavg); processes:"
	ps
	echo "--- manager log:"
	cat "$MGR_LOG" 2>/dev/null
	for f in "$STATE"/net-*.log; do
		[ -e "$f" ] || continue
		echo "--- ${f##*/} (a network's switch)"
		cat "$f"
	done
	for d in "$STATE"/vms/*; do
		[ -d "$d" ] || continue
		echo "--- ${d##*/}: vmm.log"
		cat "$d/vmm.log" 2>/dev/null
		echo "--- ${d##*/}: serial.log (last 25 lines)"
		tail -n 25 "$d/serial.log" 2>/dev/null
	done
}

fail() {
	echo "FAIL: $*"
	dump_logs
	exit 1
}

# Pids whose command line contains TEXT (the test host's busybox has no pgrep).
pids_with() {
	for c in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$c" 2>/dev/null | grep -qF "$1" || continue
		p=${c#/proc/}
		echo "${p%/cmdline}"
	done
}

mgr_cleanup() {
	# Under the case's set -e a failing kill would end the trap (busybox
	# ash then exits 127 and hides the case's own status).
	set +e
	[ -n "$MGR_PID" ] && kill "$MGR_PID" 2>/dev/null
	for p in $(pids_with "$STATE/vms/"); do
		[ "$p" != $$ ] && kill -9 "$p" 2>/dev/null
	done
	return 0
}
trap mgr_cleanup EXIT

[ -x "$STDVMMD" ] || { echo "FAIL: no stdvmmd next to $STDVMM"; exit 1; }

write_system() {
	cat >"$SYSTEM"
}

ctl() {
	"$STDVMM" ctl "$@"
}

mgr_start() {
	"$STDVMMD" --system "$SYSTEM" --state-dir "$STATE" --api-socket "$STDVMM_SOCKET" "$@" \
		>>"$MGR_LOG" 2>&1 &
	MGR_PID=$!
	n=0
	while [ $n -lt 100 ]; do
		[ -S "$STDVMM_SOCKET" ] && ctl list >/dev/null 2>&1 && return 0
		kill -0 "$MGR_PID" 2>/dev/null || fail "stdvmmd exited at start"
		sleep 0.1
		n=$((n + 1))
	done
	fail "stdvmmd's API did not come up"
}

# A top-level field of `ctl --json info VM` (pretty-printed, two spaces deep).
vm_field() {
	ctl --json info "$1" | sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"
}

# last_exit.status of a VM.
vm_exit_status() {
	ctl --json info "$1" | sed -n '/"last_exit"/,/}/s/^ *"status": \([0-9-]*\),\{0,1\}$/\1/p'
}

wait_field() { # VM FIELD VALUE SECONDS
	end=$(($(date +%s) + $4))
	while [ "$(date +%s)" -le $end ]; do
		[ "$(vm_field "$1" "$2")" = "$3" ] && return 0
		sleep 0.5
	done
	fail "$1: $2 is '$(vm_field "$1" "$2")', not '$3' after $4 s"
}

# Lines of the VM's serial log that contain TEXT (a guest line can follow
# a shell prompt on the same line).
serial_count() { # VM TEXT
	f=$STATE/vms/$1/serial.log
	[ -e "$f" ] || { echo 0; return; }
	tr -d '\r' <"$f" | grep -cF "$2"
}

wait_serial() { # VM LINE COUNT SECONDS
	end=$(($(date +%s) + $4))
	while [ "$(date +%s)" -le $end ]; do
		[ "$(serial_count "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.5
	done
	fail "$1: '$2' appeared $(serial_count "$1" "$2") times in its serial log, not $3, in $4 s"
}
