#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Inside the test host (run by bench/scale/run.sh): boots idle VMs through
# stdvmmd in steps (COUNTS, e.g. "1 10 30") and prints one BENCH line per
# step: how fast the new VMs reached readiness (the guest kit's
# "stdvmm-guest: ready" line), and the resident memory of the manager and
# of the VMM processes once they idle. With a kvmtool staged
# (bench/scale/run.sh --kvmtool), then the same steps with idle kvmtool VMs
# started directly, one lkvm process each (kvmtool has no manager), and one
# "BENCH kvmtool" line per step.
set -eu
# shellcheck source=bench/lib/in-host.sh
. "${0%/*}/lib/bench.sh"
# shellcheck source=/dev/null
. "${0%/*}/scale.conf" # COUNTS, MEMORY, NO_REBOOT
: "${STDVMM:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
STDVMMD=${STDVMM%/*}/stdvmmd
STATE=$TEST_TMP/state
export STDVMM_SOCKET="$TEST_TMP/api.sock"
max=0
for n in $COUNTS; do max=$n; done
mib=${MEMORY%M}

{
	echo "system: {memory: $((max * mib))M, vcpus: $max, max_vms: $max}"
	echo "vms:"
	echo "  - {name: idle, kernel: $GUEST_KERNEL, initramfs: $GUEST_INITRD, memory: $MEMORY,"
	echo "     cmdline: \"console=ttyS0 panic=-1 quiet\", no_reboot: ${NO_REBOOT:-false}, instances: {max: $max}}"
} >"$TEST_TMP/system.yaml"
"$STDVMMD" --system "$TEST_TMP/system.yaml" --state-dir "$STATE" --api-socket "$STDVMM_SOCKET" \
	--log-level warn >"$TEST_TMP/manager.log" 2>&1 &
mgr=$!
# Pids whose command line contains TEXT (the test host's busybox has no pgrep).
pids_with() {
	for c in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$c" 2>/dev/null | grep -qF "$1" || continue
		p=${c#/proc/}
		echo "${p%/cmdline}"
	done
}
KPIDS="" # kvmtool's lkvm processes
cleanup() {
	set +e
	kill "$mgr" 2>/dev/null
	for p in $(pids_with "$STATE/vms/") $KPIDS; do kill -9 "$p" 2>/dev/null; done
	return 0
}
trap cleanup EXIT
n=0
while ! "$STDVMM" ctl list >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 100 ] || { cat "$TEST_TMP/manager.log"; exit 1; }
	sleep 0.2
done

rss_kib() { # VmRSS of a pid in KiB; 0 for one that is gone
	v=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null)
	echo "${v:-0}"
}
uptime_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
ready() { # how many instances printed the readiness line
	c=0
	for f in "$STATE"/vms/*/serial.log; do
		[ -e "$f" ] && grep -q "stdvmm-guest: ready" "$f" && c=$((c + 1))
	done
	echo $c
}

# rss_split N PID...: VmRSS's parts summed over the PIDs, per VM (of N):
# anonymous (guest RAM a VMM maps privately, heap), file (the program, its
# libraries, kernel and initramfs images it maps) and shared memory (guest
# RAM in a memfd or shared mapping). Then the PSS, all and anonymous (each
# page divided among the processes that map it): a jailed stdvmm is two
# processes, the VMM and its supervisor (a fork), and a page they share
# (the program, its libraries, what was in memory at the fork) counts in
# both RSS but once in the PSS sum.
rss_split() {
	_n=$1
	shift
	for p; do cat "/proc/$p/status" "/proc/$p/smaps_rollup" 2>/dev/null; done | awk -v n="$_n" '
		$1 == "RssAnon:" { a += $2 } $1 == "RssFile:" { f += $2 } $1 == "RssShmem:" { s += $2 }
		$1 == "Pss:" { pss += $2 } $1 == "Pss_Anon:" { pa += $2 }
		END { printf "anon_avg_kib=%d file_avg_kib=%d shmem_avg_kib=%d pss_avg_kib=%d pss_anon_avg_kib=%d\n",
			a / n, f / n, s / n, pss / n, pa / n }'
}
mem_available_kib() {
	sed -n 's/^MemAvailable:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/meminfo
}
# wait_ready COUNT N T0 [LABEL]: until the function COUNT says N guests are
# ready; gives up (and the benchmark) 1500 s after T0.
wait_ready() {
	while [ "$("$1")" -lt "$2" ]; do
		if [ $(($(uptime_cs) - $3)) -gt 150000 ]; then
			echo "BENCH-FAIL ${4:-}n=$2: only $("$1") ready after 1500 s"
			exit 1
		fi
		sleep 1
	done
}

echo "BENCH idle manager_rss_kib=$(rss_kib $mgr)"
prev=0
for n in $COUNTS; do
	t0=$(uptime_cs)
	i=$((prev + 1))
	while [ $i -le "$n" ]; do
		"$STDVMM" ctl create idle >/dev/null || { cat "$TEST_TMP/manager.log"; exit 1; }
		i=$((i + 1))
	done
	t_created=$(uptime_cs)
	wait_ready ready "$n" "$t0"
	t1=$(uptime_cs)
	sleep 10 # let the new guests settle into idle
	total=0
	for p in $(pids_with "$STATE/vms/"); do
		total=$((total + $(rss_kib "$p")))
	done
	# shellcheck disable=SC2046 # one pid a word
	parts=$(rss_split "$n" $(pids_with "$STATE/vms/"))
	echo "BENCH n=$n new=$((n - prev)) create_cs=$((t_created - t0)) ready_cs=$((t1 - t0))" \
		"manager_rss_kib=$(rss_kib $mgr) vmm_rss_total_kib=$total" \
		"vmm_rss_avg_kib=$((total / n)) $parts" \
		"host_free_kib=$(mem_available_kib)"
	if [ "$prev" -eq 0 ]; then for p in $(pids_with "$STATE/vms/"); do smaps_dump "stdvmm:$p" "$p"; done; fi
	prev=$n
done
have_kvmtool || exit 0

# kvmtool: stdvmm's VMs and the manager gone first, so that both measure
# against the same free memory.
cleanup
set -e
wait "$mgr" 2>/dev/null || true
n=0
while [ -n "$(pids_with "$STATE/vms/")" ] && [ $n -lt 30 ]; do
	n=$((n + 1))
	sleep 1
done
mkdir -p "$TEST_TMP/kvmtool"
kready() { # how many kvmtool guests printed the readiness line
	c=0
	for f in "$TEST_TMP"/kvmtool/*.log; do
		[ -e "$f" ] && grep -q "stdvmm-guest: ready" "$f" && c=$((c + 1))
	done
	echo $c
}
echo "BENCH kvmtool idle host_free_kib=$(mem_available_kib)"
prev=0
for n in $COUNTS; do
	t0=$(uptime_cs)
	i=$((prev + 1))
	while [ $i -le "$n" ]; do
		# No network (kvmtool would add a user-mode virtio-net), as stdvmm's.
		lkvm_run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
			--params "console=ttyS0 panic=-1 quiet" --cpus 1 --mem "$mib" \
			--console serial --network mode=none \
			</dev/null >"$TEST_TMP/kvmtool/$i.log" 2>&1 &
		KPIDS="$KPIDS $!"
		i=$((i + 1))
	done
	t_created=$(uptime_cs)
	wait_ready kready "$n" "$t0" "kvmtool "
	t1=$(uptime_cs)
	sleep 10
	total=0 alive=0
	for p in $KPIDS; do
		r=$(rss_kib "$p")
		[ "$r" -gt 0 ] && alive=$((alive + 1))
		total=$((total + r))
	done
	# shellcheck disable=SC2086 # one pid a word
	parts=$(rss_split "$n" $KPIDS)
	echo "BENCH kvmtool n=$n new=$((n - prev)) create_cs=$((t_created - t0)) ready_cs=$((t1 - t0))" \
		"vmm_rss_total_kib=$total vmm_rss_avg_kib=$((total / n)) alive=$alive" \
		"$parts" \
		"host_free_kib=$(mem_available_kib)"
	# shellcheck disable=SC2086 # one pid a word
	[ "$prev" -ne 0 ] || smaps_dump "kvmtool:${KPIDS# }" $KPIDS
	prev=$n
done
