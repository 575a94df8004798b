#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The isolation benchmark's inside half, run by the test host's /init like a
# test (bench/isolation/run.sh stages it with ./bench.conf). A 1-vCPU
# latency guest measures its timer wake-up jitter (/usr/bin/jitter), alone
# and next to a 1-vCPU neighbour VM running a busy loop, under
#   none:   no placement (Linux schedules the VMMs' threads anywhere);
#   direct: direct mapping, each VM and its VMM threads on its own pCPU;
#   budget: no pinning, the neighbour's vCPU held to 20ms/100ms
#           (SCHED_DEADLINE, its affinity spans both pCPUs).
# Prints "DATA scenario neighbour p50 p99 max" lines and a table.
set -eu
here=${0%/*}
# shellcheck source=/dev/null
. "$here/bench.conf" # LOOPS RUNS
: "${STDVMM:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 77; }

NOISY_PID=""
LAT_PID=""
cleanup() {
	[ -n "$NOISY_PID" ] && kill -9 "$NOISY_PID" 2>/dev/null
	[ -n "$LAT_PID" ] && kill -9 "$LAT_PID" 2>/dev/null
	return 0
}
trap cleanup EXIT

vm() { # NAME TEST LOG ARGS...: a 1-vCPU guest in the background
	name=$1 test=$2 log=$3
	shift 3
	: >"$log"
	"$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
		--cmdline "console=ttyS0 panic=-1 quiet stdvmm.test=$test bench.loops=$LOOPS" \
		--cpus 1 --memory 192M --serial "file=$log" --no-reboot --name "$name" "$@" \
		</dev/null 2>"$log.err" &
}
wait_for() { # LOG TEXT PID SECONDS
	n=0
	until tr -d '\r' <"$1" | grep -q "$2"; do
		kill -0 "$3" 2>/dev/null || { cat "$1.err" "$1"; echo "FAIL: VM exited"; exit 1; }
		n=$((n + 1))
		[ $n -lt $(($4 * 5)) ] || { cat "$1.err" "$1"; echo "FAIL: no '$2'"; exit 1; }
		sleep 0.2
	done
}

one() { # SCENARIO NEIGHBOUR(alone|busy)
	case $1 in
	none) lat_args="" noisy_args="" ;;
	direct)
		lat_args="--vmm-threads 0 --placement pcpus=0"
		noisy_args="--vmm-threads 1 --placement pcpus=1"
		;;
	budget) lat_args="" noisy_args="--placement budget=20ms/100ms" ;;
	esac
	if [ "$2" = busy ]; then
		# shellcheck disable=SC2086 # word splitting of the argument lists is wanted
		vm noisy busy "$TEST_TMP/noisy.log" $noisy_args
		NOISY_PID=$!
		wait_for "$TEST_TMP/noisy.log" "stdvmm-test: busy=1" "$NOISY_PID" 240
	fi
	# shellcheck disable=SC2086
	vm lat jitter "$TEST_TMP/lat.log" $lat_args
	LAT_PID=$!
	wait_for "$TEST_TMP/lat.log" "stdvmm-jitter:" "$LAT_PID" 300
	line=$(tr -d '\r' <"$TEST_TMP/lat.log" | grep "stdvmm-jitter:")
	kill -9 "$LAT_PID" 2>/dev/null || true # it may have powered off already
	wait "$LAT_PID" 2>/dev/null || true
	LAT_PID=""
	if [ -n "$NOISY_PID" ]; then
		kill -9 "$NOISY_PID" 2>/dev/null || true
		wait "$NOISY_PID" 2>/dev/null || true
		NOISY_PID=""
	fi
	p50=$(echo "$line" | sed -n 's/.*p50_us=\([0-9]*\).*/\1/p')
	p99=$(echo "$line" | sed -n 's/.*p99_us=\([0-9]*\).*/\1/p')
	max=$(echo "$line" | sed -n 's/.*max_us=\([0-9]*\).*/\1/p')
	echo "DATA $1 $2 $p50 $p99 $max"
	echo "DATA $1 $2 $p50 $p99 $max" >>"$TEST_TMP/data"
}

: >"$TEST_TMP/data"
r=0
while [ $r -lt "$RUNS" ]; do
	for s in none direct budget; do
		[ "$s" = budget ] || one "$s" alone
		one "$s" busy
	done
	r=$((r + 1))
done

echo
echo "wake-up overshoot of a 1 ms clock_nanosleep in the latency guest, us (median over $RUNS runs of $LOOPS wake-ups)"
printf '%-8s %-10s %8s %8s %8s\n' placement neighbour p50 p99 max
for s in none direct budget; do
	for nb in alone busy; do
		grep -q "^DATA $s $nb " "$TEST_TMP/data" || continue
		med() { grep "^DATA $s $nb " "$TEST_TMP/data" | awk "{ print \$$1 }" | sort -n |
			awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
		printf '%-8s %-10s %8s %8s %8s\n' "$s" "$nb" "$(med 4)" "$(med 5)" "$(med 6)"
	done
done
trap - EXIT
