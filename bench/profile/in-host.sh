#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The VMM profile's inside half, run by the test host's /init like a test
# (bench/profile/run.sh stages it with ./perf-root, ./bench.conf and, for the
# io phase, ./tools.img.gz and ./iperf3-root). Runs stdvmm under perf record
# for each phase and prints perf's report and the samples split by where the
# time went.
set -eu
here=${0%/*}
# shellcheck source=bench/lib/in-host.sh
. "$here/lib/bench.sh"
# shellcheck source=/dev/null
. "$here/bench.conf" # PHASES SECONDS_PER_JOB FREQ GRAPH TOP
: "${STDVMM:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
[ -x "$STDVMM" ] || { echo "no stdvmm at $STDVMM"; exit 1; }
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 77; }

perf() {
	_p=$here/perf-root
	"$_p/lib64/ld-linux-x86-64.so.2" \
		--library-path "$_p/lib/x86_64-linux-gnu:$_p/usr/lib/x86_64-linux-gnu" \
		"$_p/usr/bin/perf" "$@"
}
# -N: no build-id cache (the host has no home for it); -g fp or dwarf.
record() { # PHASE STDVMM-ARGS...
	_ph=$1
	shift
	_cg=fp
	[ "$GRAPH" = fp ] || _cg=dwarf,16384
	perf record -N -q -e cpu-clock -F "$FREQ" --call-graph "$_cg" \
		-o "$TEST_TMP/$_ph.data" -- "$STDVMM" run --kernel "$GUEST_KERNEL" \
		--initramfs "$GUEST_INITRD" --serial tty --no-reboot --log-level info "$@" \
		>"$TEST_TMP/$_ph.out" 2>"$TEST_TMP/$_ph.err"
}

phase_boot() {
	record boot --cmdline "console=ttyS0 panic=-1 stdvmm.test=readiness" --memory 256M
	grep -q 'stdvmm-guest: ready' "$TEST_TMP/boot.out"
}

phase_io() {
	tools=$TEST_TMP/tools.img
	data=$TEST_TMP/data.img
	gunzip -c "$here/tools.img.gz" >"$tools"
	dd if=/dev/zero of="$data" bs=1048576 count=512 2>/dev/null
	ip link set lo up
	i3=$here/iperf3-root
	"$i3/lib64/ld-linux-x86-64.so.2" --library-path "$i3/lib/x86_64-linux-gnu" \
		"$i3/usr/bin/iperf3" -s -D >/dev/null 2>&1
	record io --cmdline "console=ttyS0 panic=-1 stdvmm.test=bench_io bench.seconds=$SECONDS_PER_JOB" \
		--memory 512M --disk "path=$tools,readonly=on,id=benchtools" \
		--disk "path=$data,id=benchdata" --net "tap=benchtap,mac=02:00:00:00:00:02" &
	pid=$!
	bench_tap_up benchtap 192.168.90.1/24
	wait "$pid" || true
	rm -f "$tools" "$data"
	res=$(tr -d '\r' <"$TEST_TMP/io.out" | sed -n 's/^stdvmm-test: bench //p' | tail -n 1)
	echo "workload: ${res:-no result line}"
	[ -n "$res" ]
}

# where_split DATA SCRATCH: every sample of `perf script` put in one place:
# KVM_RUN (a kernel frame under kvm_vcpu_ioctl, or the ioctl's own entry and
# exit from the vCPU loop): the guest, which the sampling timer's interrupt
# catches in KVM's entry/exit path, and KVM's handling of its exits; the
# VMM's user space (stdvmm, its libraries); or the kernel for any other
# system call, page fault or signal, named by thread, system call (else the
# libc entry) and the stdvmm function that made it (with frame pointers the unwinder skips the frame
# that called a libc leaf, so this is often that function's caller).
where_split() { # PERF-DATA SCRATCH
	: >"$2"
	perf script -i "$1" -F comm,tid,ip,sym,dso 2>/dev/null | awk '
	function flush(   cat, key) {
		if (nf == 0) return
		total++
		thread[comm]++
		if (!kern[1]) {
			cat = (dso[1] ~ /stdvmm$/) ? "VMM user space: stdvmm" : "VMM user space: libraries"
		} else if (inrun || (wrapper == "ioctl" && caller ~ /^(hv_vcpu_run|vcpu_run_loop)$/)) {
			cat = "KVM_RUN: the guest and KVM"
		} else {
			cat = "kernel: other syscalls, faults"
			key = comm ": " (sysc != "" ? sysc : wrapper == "" ? "(no user frame)" : wrapper) \
				" <- " (caller == "" ? "?" : caller)
			other[key]++
		}
		cats[cat]++
		nf = 0
	}
	/^[^ \t]/ { flush(); comm = $1; inrun = 0; wrapper = ""; caller = ""; sysc = ""; next }
	/^[ \t]*$/ { flush(); next }
	{
		nf++
		d = $NF; gsub(/^\(|\)$/, "", d)
		s = $2
		dso[nf] = d; sym[nf] = s
		kern[nf] = (d ~ /^\[.*\]$/) && d != "[unknown]" && d != "[vdso]"
		if (kern[nf] && s ~ /^(kvm_vcpu_ioctl|kvm_arch_vcpu_ioctl_run)$/) inrun = 1
		# The system call itself, where the libc entry has no symbol.
		if (kern[nf] && s ~ /^__x64_sys_/) { sysc = s; sub(/^__x64_sys_/, "", sysc) }
		if (!kern[nf] && d != "[unknown]") {
			if (wrapper == "" && kern[1]) wrapper = s
			if (caller == "" && d ~ /stdvmm$/) caller = s
		}
	}
	END {
		flush()
		if (total == 0) { print "  no samples"; exit }
		printf "  %-40s %8s %7s\n", "where", "samples", "%"
		n = split("KVM_RUN: the guest and KVM|VMM user space: stdvmm|VMM user space: libraries|kernel: other syscalls, faults", order, "|")
		for (i = 1; i <= n; i++)
			printf "  %-40s %8d %6.1f%%\n", order[i], cats[order[i]], 100 * cats[order[i]] / total
		printf "  %-40s %8d\n", "all samples", total
		print "  by thread:"
		for (t in thread) printf "    %-38s %8d %6.1f%%\n", t, thread[t], 100 * thread[t] / total
		for (k in other) printf "%6.1f%%  %s\n", 100 * other[k] / total, k >out
	}' out="$2"
	echo "  other kernel time by thread: system call <- stdvmm caller (top 12):"
	sort -rn "$2" | head -n 12 | sed 's/^/  /'
}

report() { # PHASE
	echo
	echo "== phase $1: perf report --no-children --sort dso,symbol (top $TOP) =="
	perf report -i "$TEST_TMP/$1.data" --no-children --sort dso,symbol --stdio -g none \
		2>/dev/null | grep -v '^#' | grep -v '^[[:space:]]*$' | head -n "$TOP"
	echo
	echo "== phase $1: where the samples are =="
	where_split "$TEST_TMP/$1.data" "$TEST_TMP/$1.other"
	echo
	echo "== phase $1: stdvmm's own exit counts =="
	grep -i 'exits' "$TEST_TMP/$1.err" | tail -n 4 || true
}

echo "profile: phases '$PHASES', perf $(perf --version | awk '{ print $3 }'), cpu-clock at $FREQ Hz, call graph $GRAPH"
fails=0
for ph in $PHASES; do
	start=$(date +%s)
	if "phase_$ph"; then
		echo "phase $ph: ran in $(($(date +%s) - start)) s"
	else
		echo "phase $ph: did not complete; last output:"
		tail -n 20 "$TEST_TMP/$ph.out" "$TEST_TMP/$ph.err" 2>/dev/null || true
		fails=$((fails + 1))
	fi
	[ -s "$TEST_TMP/$ph.data" ] && report "$ph"
	rm -f "$TEST_TMP/$ph.data"
done
[ "$fails" -eq 0 ]
