#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The I/O benchmarks' guest half (bench/io/run.sh and bench/vhost/run.sh
# build a guest kit with it): fio on the data disk, iperf3 over eth0, both
# from the disk with serial "benchtools", else the one read-only disk
# (kvmtool gives its disks serials of its own). The data disk is the one with
# serial "benchdata", else the one disk that is not the tools disk (a
# vhost-user backend may give it no serial). bench.mode on the command line:
#   (none)  fio, then iperf3 to 192.168.90.1 (the test host's end of a TAP)
#   blk     fio only
#   server  an iperf3 server at bench.ip until the VM is stopped
#   client  iperf3 from bench.ip to bench.peer, both directions
# One result line:
#   stdvmm-test: bench randread_iops=N seqread_mib=N seqwrite_mib=N tx_mbit=N rx_mbit=N
# Around each job, phase lines for bench/boot/measure -j (which snapshots the
# VM's KVM counters as each arrives):
#   stdvmm-phase: begin JOB
#   stdvmm-phase: end JOB kib=N   (KiB the job moved: read, written or received)
# A second of idle before each begin keeps the last job's tail out; the
# snapshot follows the line by the console's latency (tens of ms at most),
# so a window loses the job's first moments and gains as much idle after it.
set -u
dmesg -n 1
secs=5 mode=all ip=192.168.90.2 peer=192.168.90.1
for arg in $(cat /proc/cmdline); do
	case $arg in
	bench.seconds=*) secs=${arg#bench.seconds=} ;;
	bench.mode=*) mode=${arg#bench.mode=} ;;
	bench.ip=*) ip=${arg#bench.ip=} ;;
	bench.peer=*) peer=${arg#bench.peer=} ;;
	esac
done
tools="" data="" other="" ro=""
for d in /sys/block/vd*; do
	[ -e "$d" ] || continue
	case $(cat "$d/serial" 2>/dev/null) in
	benchtools) tools=/dev/${d##*/} ;;
	benchdata) data=/dev/${d##*/} ;;
	*) if [ "$(cat "$d/ro")" = 1 ]; then ro=/dev/${d##*/}; else other=/dev/${d##*/}; fi ;;
	esac
done
[ -n "$tools" ] || tools=$ro
[ -n "$data" ] || data=$other
[ -n "$tools" ] || { echo "stdvmm-test: bench tools disk missing"; exit 1; }
mkdir -p /opt/bench
mount -t ext4 -o ro "$tools" /opt/bench || exit 1
B=/opt/bench
run() { # PROGRAM ARGS: through the tools disk's own loader and libraries
	p=$1
	shift
	"$B/lib64/ld-linux-x86-64.so.2" \
		--library-path "$B/lib/x86_64-linux-gnu:$B/usr/lib/x86_64-linux-gnu:$B/usr/lib/x86_64-linux-gnu/ceph" \
		"$B/usr/bin/$p" "$@"
}
begin() { # JOB
	sleep 1
	echo "stdvmm-phase: begin $1"
}
# fio --minimal (terse v3): field 6 read KiB, 7 read KiB/s, 8 read IOPS,
# 47 write KiB, 48 write KiB/s. Sets $out to the terse line.
fio_job() { # NAME RW BS DEPTH
	begin "$1"
	out=$(run fio --name="$1" --filename="$data" --direct=1 --ioengine=libaio --thread \
		--rw="$2" --bs="$3" --iodepth="$4" --time_based --runtime="$secs" --size=512M \
		--minimal 2>/dev/null)
	echo "stdvmm-phase: end $1 kib=$(echo "$out" | awk -F';' '{ print $6 + $47 }')"
}
field() { echo "$out" | awk -F';' -v f="$1" '{ print $f }'; }
# iperf3 -f m, the receiver line: field 7 the bit rate in Mbit/s, 5 and 6
# the amount and its unit. Sets $out to iperf3's output.
iperf_job() { # NAME ARGS
	n=$1
	shift
	begin "$n"
	out=$(run iperf3 -c "$peer" -t "$secs" -f m "$@" 2>/dev/null)
	echo "stdvmm-phase: end $n kib=$(echo "$out" | awk '/receiver/ {
		m = $6 ~ /^G/ ? 1048576 : $6 ~ /^M/ ? 1024 : $6 ~ /^K/ ? 1 : 1 / 1024
		printf "%.0f", $5 * m }')"
}
mbit() { echo "$out" | awk '/receiver/ { print $7 }'; }
# Each virtio-mmio window's address (decimal) and device ID, for the host's
# split of MMIO accesses by register: a VMM that serves register reads from
# memory leaves no traced DeviceID read to tell a disk from a NIC by.
for d in /sys/bus/virtio/devices/virtio*; do
	id=$(cat "$d/device" 2>/dev/null) || continue
	owner=$(basename "$(readlink -f "$d/..")")
	base=$(grep -m1 " : $owner\$" /proc/iomem | sed 's/^ *//; s/-.*//')
	[ -n "$base" ] && echo "stdvmm-phase: device gpa=$((0x$base)) id=$((id))"
done
iops=0 rd=0 wr=0 tx=0 rx=0
if [ "$mode" = all ] || [ "$mode" = blk ]; then
	[ -n "$data" ] || { echo "stdvmm-test: bench data disk missing"; exit 1; }
	fio_job randread randread 4k 32
	iops=$(field 8)
	fio_job seqread read 1M 8
	rd=$(field 7)
	fio_job seqwrite write 1M 8
	wr=$(field 48)
fi
if [ "$mode" != blk ]; then
	ip link set lo up
	ip link set eth0 up
	ip addr add "$ip/24" dev eth0
fi
if [ "$mode" = server ]; then
	run iperf3 -s -D
	echo "stdvmm-test: bench serving"
	sleep 3600
fi
if [ "$mode" = all ] || [ "$mode" = client ]; then
	n=0
	until ping -c 1 -W 1 "$peer" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt 120 ] || break
	done
	# The server may still be starting iperf3 after it answers pings.
	n=0
	until run iperf3 -c "$peer" -t 1 >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt 30 ] || break
		sleep 1
	done
	iperf_job tx
	tx=$(mbit)
	iperf_job rx -R
	rx=$(mbit)
fi
echo "stdvmm-test: bench randread_iops=${iops:-0} seqread_mib=$(awk -v k="${rd:-0}" 'BEGIN { printf "%.1f", k / 1024 }') seqwrite_mib=$(awk -v k="${wr:-0}" 'BEGIN { printf "%.1f", k / 1024 }') tx_mbit=${tx:-0} rx_mbit=${rx:-0}"
umount /opt/bench
