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
# fio --minimal (terse v3): field 7 read KiB/s, 8 read IOPS, 48 write KiB/s.
fio_job() { # NAME RW BS DEPTH FIELD
	run fio --name="$1" --filename="$data" --direct=1 --ioengine=libaio --thread \
		--rw="$2" --bs="$3" --iodepth="$4" --time_based --runtime="$secs" --size=512M \
		--minimal 2>/dev/null | awk -F';' -v f="$5" '{ print $f }'
}
iops=0 rd=0 wr=0 tx=0 rx=0
if [ "$mode" = all ] || [ "$mode" = blk ]; then
	[ -n "$data" ] || { echo "stdvmm-test: bench data disk missing"; exit 1; }
	iops=$(fio_job randread randread 4k 32 8)
	rd=$(fio_job seqread read 1M 8 7)
	wr=$(fio_job seqwrite write 1M 8 48)
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
	# iperf3 -f m: the receiver line's bit rate in Mbit/s is field 7.
	tx=$(run iperf3 -c "$peer" -t "$secs" -f m 2>/dev/null | awk '/receiver/ { print $7 }')
	sleep 1
	rx=$(run iperf3 -c "$peer" -t "$secs" -f m -R 2>/dev/null | awk '/receiver/ { print $7 }')
fi
echo "stdvmm-test: bench randread_iops=${iops:-0} seqread_mib=$(awk -v k="${rd:-0}" 'BEGIN { printf "%.1f", k / 1024 }') seqwrite_mib=$(awk -v k="${wr:-0}" 'BEGIN { printf "%.1f", k / 1024 }') tx_mbit=${tx:-0} rx_mbit=${rx:-0}"
umount /opt/bench
