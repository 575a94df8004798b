#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The I/O benchmark's guest half (bench/io/run.sh builds a guest kit with
# it): fio on the disk with serial "benchdata", iperf3 to 192.168.90.1 over
# eth0, both from the disk with serial "benchtools". One result line:
#   stdvmm-test: bench randread_iops=N seqread_mib=N seqwrite_mib=N tx_mbit=N rx_mbit=N
set -u
dmesg -n 1
secs=5
for arg in $(cat /proc/cmdline); do
	case $arg in bench.seconds=*) secs=${arg#bench.seconds=} ;; esac
done
tools="" data=""
for d in /sys/block/vd*; do
	case $(cat "$d/serial" 2>/dev/null) in
	benchtools) tools=/dev/${d##*/} ;;
	benchdata) data=/dev/${d##*/} ;;
	esac
done
[ -n "$tools" ] && [ -n "$data" ] || { echo "stdvmm-test: bench disks missing"; exit 1; }
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
iops=$(fio_job randread randread 4k 32 8)
rd=$(fio_job seqread read 1M 8 7)
wr=$(fio_job seqwrite write 1M 8 48)

ip link set lo up
ip link set eth0 up
ip addr add 192.168.90.2/24 dev eth0
n=0
until ping -c 1 -W 1 192.168.90.1 >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 60 ] || break
done
# iperf3 -f m: the receiver line's bit rate in Mbit/s is field 7.
tx=$(run iperf3 -c 192.168.90.1 -t "$secs" -f m 2>/dev/null | awk '/receiver/ { print $7 }')
sleep 1
rx=$(run iperf3 -c 192.168.90.1 -t "$secs" -f m -R 2>/dev/null | awk '/receiver/ { print $7 }')
echo "stdvmm-test: bench randread_iops=${iops:-0} seqread_mib=$(awk -v k="${rd:-0}" 'BEGIN { printf "%.1f", k / 1024 }') seqwrite_mib=$(awk -v k="${wr:-0}" 'BEGIN { printf "%.1f", k / 1024 }') tx_mbit=${tx:-0} rx_mbit=${rx:-0}"
umount /opt/bench
