#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The I/O benchmark's inside half, run by the test host's /init like a test
# (bench/io/run.sh stages it with ./measure, ./tools.img.gz, ./iperf3-root
# and ./bench.conf). Boots the bench guest under stdvmm and under QEMU
# microvm, alternating (ABBA), and kvmtool after each pair when
# bench/io/run.sh staged one (--kvmtool), each with the tools disk, a
# 512 MiB data disk and a TAP; the guest runs fio and iperf3 and prints its
# results. The guest's phase lines around each job make measure snapshot
# the VM's KVM counters (measure -j), so that the exits are also reported
# per job and per unit of work. Where the host kernel has tracing, a
# histogram of the kvm_mmio tracepoint by address, type and value is copied
# at the same marks (measure -t), and the MMIO accesses of each job are
# split by virtio-mmio register, the same way for every VMM.
set -eu
here=${0%/*}
# shellcheck source=bench/lib/in-host.sh
. "$here/lib/bench.sh"
# shellcheck source=/dev/null
. "$here/bench.conf" # RUNS SECONDS_PER_JOB VHOST
: "${STDVMM:?} ${QEMU:?} ${QEMU_FIRMWARE:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 77; }

tools=$TEST_TMP/tools.img
data=$TEST_TMP/data.img
gunzip -c "$here/tools.img.gz" >"$tools"
# Real pages, not holes: both VMMs then read and write memory-backed data.
dd if=/dev/zero of="$data" bs=1048576 count=512 2>/dev/null
cmdline="console=ttyS0 panic=-1 stdvmm.test=bench_io bench.seconds=$SECONDS_PER_JOB"

ip link set lo up
# The host end of iperf3: one daemon serves every run, each VM's TAP in turn.
i3=$here/iperf3-root
"$i3/lib64/ld-linux-x86-64.so.2" --library-path "$i3/lib/x86_64-linux-gnu" \
	"$i3/usr/bin/iperf3" -s -D >/dev/null 2>&1

phases=$TEST_TMP/phases.log
# The kvm_mmio tracepoint fires in KVM's x86 emulator for every MMIO access
# a vCPU makes to an emulated device (also the writes an ioeventfd takes in
# the kernel, which are no MMIO exit to the VMM), with its guest-physical
# address and value, so it splits both VMMs' accesses the same way without
# asking either. A histogram trigger keeps the counts in the kernel: no
# reader process competes with the VM for the host's CPU.
tracing=""
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	[ -d "$d/events/kvm/kvm_mmio" ] || mount -t tracefs tracefs "$d" 2>/dev/null || true
	if [ -w "$d/events/kvm/kvm_mmio/trigger" ]; then
		tracing=$d
		break
	fi
done
mmio_hist="hist:keys=gpa,type,val:size=8192"
# mmio_hist_reset: a histogram that starts at zero for the next VM.
mmio_hist_reset() {
	[ -n "$tracing" ] || return 0
	_t=$tracing/events/kvm/kvm_mmio/trigger
	echo "$mmio_hist" >>"$_t" 2>/dev/null || true # EEXIST after the first VM
	echo "$mmio_hist:clear" >>"$_t"
}
hist_file=""
[ -z "$tracing" ] || hist_file=$tracing/events/kvm/kvm_mmio/hist
# measured [MEASURE-OPTIONS] -- VMM ARGS...: runs the VMM under measure, in
# the background; its "ready" is the guest's work done (the guest kit's
# line after the test), for every VMM; its counters are snapshot at each
# of the guest's phase lines.
measured() {
	"$here/measure" -r "stdvmm-guest: test bench_io exited" -m 512 -o "$TEST_TMP/out.log" \
		-j "$phases" ${hist_file:+-t "$hist_file"} "$@" \
		>"$TEST_TMP/measure.out" &
}
start_stdvmm() {
	measured -- "$STDVMM" run --kernel "$GUEST_KERNEL" \
		--initramfs "$GUEST_INITRD" --cmdline "$cmdline" --memory 512M --serial tty \
		--no-reboot --disk "path=$tools,readonly=on,id=benchtools" \
		--disk "path=$data,id=benchdata" --net "tap=benchtap,vhost=$VHOST,mac=02:00:00:00:00:02"
}
start_qemu() {
	measured -- "$QEMU" -L "$QEMU_FIRMWARE" -enable-kvm \
		-M microvm -cpu host -m 512 -smp 1 -nodefaults -no-user-config -display none \
		-no-reboot -serial stdio -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
		-append "$cmdline" \
		-drive "id=tools,file=$tools,format=raw,if=none,readonly=on" \
		-device virtio-blk-device,drive=tools,serial=benchtools \
		-drive "id=data,file=$data,format=raw,if=none,cache=writeback,aio=threads" \
		-device virtio-blk-device,drive=data,serial=benchdata \
		-netdev "tap,id=n0,ifname=benchtap,script=no,downscript=no,vhost=$VHOST" \
		-device virtio-net-device,netdev=n0,mac=02:00:00:00:00:02
}
# kvmtool: virtio-pci (x86 has no virtio-mmio in kvmtool), no disk serials
# (the guest takes the read-only disk for the tools); it cannot power an x86
# guest off (no ACPI), so measure kills it (-k) once the work is done. lkvm
# keeps its control sockets under $HOME/.lkvm (env execs it: same PID).
start_kvmtool() {
	_vhost=0
	[ "$VHOST" = off ] || _vhost=1
	measured -k -- env HOME="$TEST_TMP" "$KVMTOOL" run --kernel "$GUEST_KERNEL" \
		--initrd "$GUEST_INITRD" --params "$cmdline" --cpus 1 --mem 512 \
		--console serial --disk "$tools,ro" --disk "$data" \
		--network "mode=tap,tapif=benchtap,vhost=$_vhost,guest_mac=02:00:00:00:00:02"
}

data_file=$TEST_TMP/data
: >"$data_file"
jobs="randread seqread seqwrite tx rx"
for j in $jobs; do : >"$TEST_TMP/phase.$j" && : >"$TEST_TMP/split.$j"; done
# The columns of split.JOB after "VMM kib", then the same per unit of work.
split_names="net_kick_rx net_kick_tx net_kick_ctl net_isr net_isr_empty net_ack blk_kick blk_isr blk_isr_empty blk_ack virtio_other other_gpa"
split_labels="net QueueNotify rxq|net QueueNotify txq|net QueueNotify ctl|net InterruptStatus rd|  of which read 0|net InterruptACK wr|blk QueueNotify|blk InterruptStatus rd|  of which read 0|blk InterruptACK wr|virtio other regs|not virtio-mmio"
# mmio_split VMM RUN: the kvm_mmio histogram's change over each job, by
# virtio-mmio register, appended to split.JOB (columns: split_names). A
# device is known by the guest's "device gpa=… id=…" line (its window and
# DeviceID: 1 net, 2 block), or else by what the guest read from its
# DeviceID register (0x008) while probing it, which the histogram, counting
# from the VM's start, holds (a VMM that serves reads from memory leaves
# none); QueueNotify (0x050) writes carry the queue index,
# InterruptStatus (0x060) reads their value (0: the driver found nothing),
# InterruptACK is 0x064. Reads are counted once, when they complete (KVM
# traces a read that goes to the VMM twice).
mmio_split() {
	[ -n "$tracing" ] || return 0
	awk -v vmm="$1" -v run="$2" -v dir="$TEST_TMP" -v names="$split_names" '
	$1 == "begin" || $1 == "end" { cur = $1; job = $2; if ($1 == "end") { kv(); kib[job] = v["kib"] + 0 } next }
	$1 == "device" {
		for (i = 2; i <= NF; i++) { split($i, p, "="); w[p[1]] = p[2] }
		if (w["gpa"] != "") known[w["gpa"] + 0] = w["id"] + 0
		next
	}
	$1 == "hist" && $2 == "Drops:" {
		if ($3 + 0 > 0 && !warned) print "  (" vmm " run " run ": the kvm_mmio histogram was full and dropped " $3 " accesses; its split is short)"
		warned = $3 + 0 > 0
		next
	}
	$1 == "hist" && cur != "" {
		l = $0; gsub(/[{}:,]/, " ", l); n = split(l, t, " ")
		delete f; for (i = 2; i < n; i += 2) f[t[i]] = t[i + 1]
		if (f["type"] + 0 == 0) next # the first half of a read that went to the VMM
		off = f["gpa"] % 512
		if (f["type"] + 0 == 1 && off == 8) devid[f["gpa"] - off] = f["val"] + 0
		k = f["gpa"] " " f["type"] " " f["val"]
		if (cur == "begin") b[job, k] = f["hitcount"]; else { e[job, k] = f["hitcount"]; keys[job, k] = 1 }
		next
	}
	function kv(   i, p) { delete v; for (i = 3; i <= NF; i++) { split($i, p, "="); v[p[1]] = p[2] } }
	function cat(gpa, type, val,   off, d, p) {
		off = gpa % 512; d = (gpa - off) in known ? known[gpa - off] : devid[gpa - off]
		p = d == 1 ? "net" : d == 2 ? "blk" : ""
		if (p == "") return "other_gpa"
		if (off == 80 && type == 2) return p == "blk" ? "blk_kick" : val == 0 ? "net_kick_rx" : val == 1 ? "net_kick_tx" : "net_kick_ctl"
		if (off == 96 && type == 1) return p "_isr"
		if (off == 100 && type == 2) return p "_ack"
		return "virtio_other"
	}
	END {
		nn = split(names, nm, " ")
		for (jk in keys) {
			split(jk, q, SUBSEP); j = q[1]; split(q[2], g, " ")
			d = e[jk] - b[jk]; c = cat(g[1] + 0, g[2] + 0, g[3] + 0)
			cnt[j, c] += d
			if (c ~ /_isr$/ && g[3] + 0 == 0) cnt[j, c "_empty"] += d
		}
		for (j in kib) {
			unit = j == "randread" ? kib[j] / 4 / 1000 : kib[j] / 1048576
			line = vmm " " kib[j]; per = ""; msg = "MMIO vmm=" vmm " run=" run " job=" j
			for (i = 1; i <= nn; i++) {
				x = cnt[j, nm[i]] + 0
				line = line " " x
				per = per " " (unit > 0 ? sprintf("%.2f", x / unit) : -1)
				msg = msg " " nm[i] "=" x
			}
			print line per >>(dir "/split." j)
			print msg
		}
	}' "$phases"
}
# phase_deltas VMM RUN: the counters' change over each job, from measure's
# snapshots, appended to phase.JOB as "VMM kib exits io mmio halt irq" then
# the same five per unit of work: per 1000 I/Os for randread (4 KiB each),
# per GiB moved for the others; -1 where a counter was unreadable.
phase_deltas() {
	awk -v vmm="$1" -v run="$2" -v dir="$TEST_TMP" '
	function kv(   i, p) { delete v; for (i = 3; i <= NF; i++) { split($i, p, "="); v[p[1]] = p[2] } }
	$1 == "begin" { kv(); for (k in v) b[$2, k] = v[k]; seen[$2] = 1; next }
	$1 == "end" && seen[$2] {
		kv()
		n = split("exits io_exits mmio_exits halt_exits irq_injections", names, " ")
		unit = $2 == "randread" ? v["kib"] / 4 / 1000 : v["kib"] / 1048576
		line = vmm " " v["kib"] + 0; per = ""; msg = "PHASE vmm=" vmm " run=" run " job=" $2 " kib=" v["kib"] + 0
		for (i = 1; i <= n; i++) {
			k = names[i]
			d = (v[k] < 0 || b[$2, k] < 0 || v[k] == "" || b[$2, k] == "") ? -1 : v[k] - b[$2, k]
			line = line " " d
			per = per " " ((d < 0 || unit <= 0) ? -1 : sprintf("%.2f", d / unit))
			msg = msg " " k "=" d
		}
		print line per >>(dir "/phase." $2)
		print msg
	}' "$phases"
}
one() { # VMM RUN
	rm -f "$TEST_TMP/out.log"
	: >"$phases"
	mmio_hist_reset
	"start_$1"
	pid=$!
	bench_tap_up benchtap 192.168.90.1/24
	wait "$pid" || true
	line=$(cat "$TEST_TMP/measure.out")
	res=$(tr -d '\r' <"$TEST_TMP/out.log" | sed -n 's/^stdvmm-test: bench //p' | tail -n 1)
	echo "DATA vmm=$1 run=$2 $line $res"
	phase_deltas "$1" "$2"
	mmio_split "$1" "$2"
	# Columns: vmm randread_iops seqread_mib seqwrite_mib tx_mbit rx_mbit exit_ms utime stime exits io mmio halt ready_ms
	echo "$1 $res $line" | awk '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print $1, v["randread_iops"] + 0, v["seqread_mib"] + 0, v["seqwrite_mib"] + 0,
		      v["tx_mbit"] + 0, v["rx_mbit"] + 0, v["exit_ms"] + 0, v["utime_ms"] + 0,
		      v["stime_ms"] + 0, v["kvm_exits"] + 0, v["kvm_io_exits"] + 0,
		      v["kvm_mmio_exits"] + 0, v["kvm_halt_exits"] + 0, v["ready_ms"] + 0 }' >>"$data_file"
	[ -n "$res" ] || { echo "  ($1 run $2: no results; last output:)"; tail -n 30 "$TEST_TMP/out.log"; }
}

echo "io benchmark: $RUNS runs each, $SECONDS_PER_JOB s per job, 1 vCPU, 512 MiB"
abba "$RUNS" one

# 0 is what a missing figure became.
if have_kvmtool; then
	row() {
		ratio_row '| %-34s | %12s | %12s | %6s |' "$data_file" 0 "$@"
		kvmtool_cols ' %12s | %6s |\n' "$data_file" 0 "$2"
	}
	title="| %-34s | %12s | %12s | %6s | %12s | %6s |\n"
	rule="|------------------------------------|--------------|--------------|--------|--------------|--------|"
else
	row() { ratio_row '| %-34s | %12s | %12s | %6s |\n' "$data_file" 0 "$@"; }
	title="| %-34s | %12s | %12s | %6s |\n"
	rule="|------------------------------------|--------------|--------------|--------|"
fi
echo
echo "medians of $RUNS runs; whole-run figures include the boot (same guest, same host boot)"
echo "QEMU: $("$QEMU" --version | head -n 1), -M microvm, virtio-mmio; TAPs vhost=$VHOST"
! have_kvmtool || echo "kvmtool: virtio-pci, killed once the guest's work is done (its exit and CPU figures stop there)"
# shellcheck disable=SC2059 # the format is the table's
printf "$title" metric stdvmm qemu ratio kvmtool k/qemu
echo "$rule"
row "fio randread 4K QD32 (IOPS)" 2
row "fio seq read 1M QD8 (MiB/s)" 3
row "fio seq write 1M QD8 (MiB/s)" 4
row "iperf3 guest->host (Mbit/s)" 5
row "iperf3 host->guest (Mbit/s)" 6
row "VMM launch->work done (ms)" 14
row "VMM launch->exit (ms)" 7
row "VMM user CPU (ms)" 8
row "VMM system CPU (ms)" 9
row "KVM exits" 10
row "  port I/O exits" 11
row "  MMIO exits" 12
row "  HLT exits" 13

# Per job: each KVM counter over the job's window (median over runs), then
# the same per unit of work, each with stdvmm/QEMU.
phase_row() { # FILE LABEL COLUMN [PER-UNIT-COLUMN, default COLUMN + 5]
	_s=$(median "$1" "$3" stdvmm -1)
	_q=$(median "$1" "$3" qemu -1)
	_su=$(median "$1" "${4:-$(($3 + 5))}" stdvmm -1)
	_qu=$(median "$1" "${4:-$(($3 + 5))}" qemu -1)
	awk -v l="$2" -v s="$_s" -v q="$_q" -v su="$_su" -v qu="$_qu" '
	function r(a, b) { return (a != "-" && b != "-" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
	BEGIN { printf "| %-24s | %9s | %9s | %5s | %9s | %9s | %5s |\n", l, s, q, r(s, q), su, qu, r(su, qu) }'
}
echo
echo "KVM counters per job (medians of $RUNS runs; window: the job, without its first"
echo "milliseconds, plus as much idle after it); per unit: per 1000 I/Os (randread),"
echo "per GiB moved (seqread, seqwrite, tx, rx)"
printf '| %-24s | %9s | %9s | %5s | %9s | %9s | %5s |\n' "job: counter" stdvmm qemu ratio \
	"stdvmm/u" "qemu/u" ratio
echo "|--------------------------|-----------|-----------|-------|-----------|-----------|-------|"
for j in $jobs; do
	f=$TEST_TMP/phase.$j
	_gs=$(median "$f" 2 stdvmm 0)
	_gq=$(median "$f" 2 qemu 0)
	awk -v j="$j" -v s="$_gs" -v q="$_gq" 'BEGIN {
		r = (s != "-" && q != "-" && q + 0 > 0) ? sprintf("%.2f", s / q) : "-"
		printf "| %-24s | %9s | %9s | %5s | %9s | %9s | %5s |\n", j ": KiB moved", s, q, r, "", "", "" }'
	phase_row "$f" "  exits" 3
	phase_row "$f" "  port I/O exits" 4
	phase_row "$f" "  MMIO exits" 5
	phase_row "$f" "  HLT exits" 6
	phase_row "$f" "  IRQ injections" 7
done
if [ -n "$tracing" ]; then
	nsplit=$(echo "$split_names" | wc -w)
	echo
	echo "MMIO accesses per job by virtio-mmio register (kvm_mmio tracepoint, $tracing;"
	echo "medians of $RUNS runs; QueueNotify writes end in the kernel's ioeventfd for both"
	echo "VMMs, the other registers are MMIO exits to the VMM); per unit as above"
	printf '| %-24s | %9s | %9s | %5s | %9s | %9s | %5s |\n' "job: register" stdvmm qemu ratio \
		"stdvmm/u" "qemu/u" ratio
	echo "|--------------------------|-----------|-----------|-------|-----------|-----------|-------|"
	for j in $jobs; do
		echo "| $j |           |           |       |           |           |       |" |
			awk '{ printf "| %-24s | %9s | %9s | %5s | %9s | %9s | %5s |\n", $2 ":", "", "", "", "", "", "" }'
		i=1
		while [ "$i" -le "$nsplit" ]; do
			_l=$(echo "$split_labels" | cut -d'|' -f"$i")
			f=$TEST_TMP/split.$j
			# Rows where neither VMM touched the register say nothing.
			if awk -v c=$((i + 2)) '($1 == "stdvmm" || $1 == "qemu") && $c > 0 { found = 1 } END { exit !found }' "$f"; then
				phase_row "$f" "  $_l" $((i + 2)) $((i + 2 + nsplit))
			fi
			i=$((i + 1))
		done
	done
else
	echo
	echo "no kvm_mmio tracepoint in the test host: MMIO accesses not split by register"
fi
fails=$(awk '$2 == 0 || $5 == 0 { n++ } END { print n + 0 }' "$data_file")
echo
echo "runs without complete results: $fails"
[ "$fails" -eq 0 ]
