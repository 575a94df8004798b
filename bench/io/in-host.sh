#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The I/O benchmark's inside half, run by the test host's /init like a test
# (bench/io/run.sh stages it with ./measure, ./tools.img.gz, ./iperf3-root
# and ./bench.conf). Boots the bench guest under stdvmm and under QEMU
# microvm, alternating (ABBA), and kvmtool after each pair when
# bench/io/run.sh staged one (--kvmtool), each with the tools disk, a
# 512 MiB data disk and a TAP; the guest runs fio and iperf3 and prints its
# results.
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

# measured [MEASURE-OPTIONS] -- VMM ARGS...: runs the VMM under measure, in
# the background; its "ready" is the guest's work done (the guest kit's
# line after the test), for every VMM.
measured() {
	"$here/measure" -r "stdvmm-guest: test bench_io exited" -m 512 -o "$TEST_TMP/out.log" "$@" \
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
one() { # VMM RUN
	rm -f "$TEST_TMP/out.log"
	"start_$1"
	pid=$!
	bench_tap_up benchtap 192.168.90.1/24
	wait "$pid" || true
	line=$(cat "$TEST_TMP/measure.out")
	res=$(tr -d '\r' <"$TEST_TMP/out.log" | sed -n 's/^stdvmm-test: bench //p' | tail -n 1)
	echo "DATA vmm=$1 run=$2 $line $res"
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
fails=$(awk '$2 == 0 || $5 == 0 { n++ } END { print n + 0 }' "$data_file")
echo
echo "runs without complete results: $fails"
[ "$fails" -eq 0 ]
