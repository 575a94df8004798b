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
# With a kvmtool staged (bench/isolation/run.sh --kvmtool), the same pairs
# under kvmtool after stdvmm's, placed the way an operator would place a VMM
# that has no placement of its own: direct is `taskset -c 0` / `taskset -c 1`
# on the whole lkvm process (vCPU and device threads alike), budget is
# `chrt -d` (util-linux, staged as ./chrt-root) on the neighbour's vCPU
# thread once it runs. kvmtool's guests boot with no network (it would add
# a user-mode virtio-net otherwise) and are killed when done (no ACPI
# power-off on x86).
# Prints "DATA vmm scenario neighbour p50 p99 max" lines and a table.
set -eu
here=${0%/*}
# shellcheck source=bench/lib/in-host.sh
. "$here/lib/bench.sh"
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

vm() { # VMM NAME TEST LOG ARGS...: a 1-vCPU guest in the background;
	# ARGS: stdvmm's placement options, or kvmtool's CPU list (taskset)
	vmm=$1 name=$2 test=$3 log=$4
	shift 4
	: >"$log"
	c="console=ttyS0 panic=-1 quiet stdvmm.test=$test bench.loops=$LOOPS"
	if [ "$vmm" = kvmtool ]; then
		(
			LKVM_CPUS=${1:-}
			lkvm_run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
				--params "$c" --cpus 1 --mem 192 --console serial --network mode=none
		) </dev/null >"$log" 2>"$log.err" &
		return
	fi
	"$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" --cmdline "$c" \
		--cpus 1 --memory 192M --serial "file=$log" --no-reboot --name "$name" "$@" \
		</dev/null 2>"$log.err" &
}
# chrt_budget PID: kvmtool's vCPU thread (kvm-vcpu-0) of PID under
# SCHED_DEADLINE 20ms/100ms, as stdvmm's budget= does its vCPU's.
chrt_budget() {
	tid=""
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = kvm-vcpu-0 ] && tid=${t##*/}
	done
	[ -n "$tid" ] || { echo "FAIL: no vCPU thread in kvmtool $1"; exit 1; }
	c=$here/chrt-root
	"$c/lib64/ld-linux-x86-64.so.2" --library-path "$c/lib/x86_64-linux-gnu" "$c/usr/bin/chrt" \
		-d --sched-runtime 20000000 --sched-deadline 100000000 --sched-period 100000000 -p 0 "$tid" ||
		{ echo "FAIL: chrt -d on kvmtool's vCPU thread $tid"; exit 1; }
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

one() { # VMM SCENARIO NEIGHBOUR(alone|busy)
	case $1.$2 in
	*.none) lat_args="" noisy_args="" ;;
	stdvmm.direct)
		lat_args="--vmm-threads 0 --placement pcpus=0"
		noisy_args="--vmm-threads 1 --placement pcpus=1"
		;;
	kvmtool.direct) lat_args=0 noisy_args=1 ;;
	stdvmm.budget) lat_args="" noisy_args="--placement budget=20ms/100ms" ;;
	kvmtool.budget) lat_args="" noisy_args="" ;;
	esac
	if [ "$3" = busy ]; then
		# shellcheck disable=SC2086 # word splitting of the argument lists is wanted
		vm "$1" noisy busy "$TEST_TMP/noisy.log" $noisy_args
		NOISY_PID=$!
		wait_for "$TEST_TMP/noisy.log" "stdvmm-test: busy=1" "$NOISY_PID" 240
		[ "$1.$2" != kvmtool.budget ] || chrt_budget "$NOISY_PID"
	fi
	# shellcheck disable=SC2086
	vm "$1" lat jitter "$TEST_TMP/lat.log" $lat_args
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
	echo "DATA $1 $2 $3 $p50 $p99 $max"
	echo "DATA $1 $2 $3 $p50 $p99 $max" >>"$TEST_TMP/data"
}

vmms=stdvmm
! have_kvmtool || vmms="stdvmm kvmtool"
: >"$TEST_TMP/data"
r=0
while [ $r -lt "$RUNS" ]; do
	for s in none direct budget; do
		for v in $vmms; do
			[ "$s" = budget ] || one "$v" "$s" alone
			one "$v" "$s" busy
		done
	done
	r=$((r + 1))
done

echo
echo "wake-up overshoot of a 1 ms clock_nanosleep in the latency guest, us (median over $RUNS runs of $LOOPS wake-ups)"
! have_kvmtool || echo "kvmtool: direct = taskset -c 0 / -c 1 on each lkvm process; budget = chrt -d 20ms/100ms on the neighbour's vCPU thread"
printf '%-8s %-10s' placement neighbour
for v in $vmms; do printf ' %11s %8s %8s' "$v p50" p99 max; done
echo
for s in none direct budget; do
	for nb in alone busy; do
		grep -q "^DATA stdvmm $s $nb " "$TEST_TMP/data" || continue
		printf '%-8s %-10s' "$s" "$nb"
		for v in $vmms; do
			# p50 p99 max: the medians of columns 5 6 7 over the runs
			for col in 5 6 7; do
				grep "^DATA $v $s $nb " "$TEST_TMP/data" | awk -v c=$col '{ print $c }' | sort -n |
					awk -v w=$((col == 5 ? 11 : 8)) '{ v[NR] = $1 }
					END { printf(" %" w "s", NR ? v[int((NR + 1) / 2)] : "-") }'
			done
		done
		echo
	done
done
trap - EXIT
