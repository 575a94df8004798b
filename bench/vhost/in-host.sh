#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The pluggable-backend benchmark's inside half, run by the test host's
# /init like a test (bench/vhost/run.sh stages it with ./measure,
# ./tools.img.gz, ./bridge/ and ./bench.conf). Each run goes through every
# configuration, the order rotated by one per run:
#   blk: stdvmm-blk (stdvmm's own virtio-blk), stdvmm-qsd (stdvmm, vhost-user
#        to qemu-storage-daemon), qemu-qsd (QEMU microvm, the same export);
#   net: stdvmm-switch (two stdvmm VMs on stdvmm-switch), qemu-bridge (two
#        QEMU VMs on a Linux bridge, TAPs with vhost-net), and with a kvmtool
#        staged (bench/vhost/run.sh --kvmtool) kvmtool-bridge (two kvmtool
#        VMs on the same bridge, TAPs with vhost=1, virtio-pci).
# kvmtool has no blk configuration: it has no vhost-user client.
set -eu
here=${0%/*}
# shellcheck source=bench/lib/in-host.sh
. "$here/lib/bench.sh"
# shellcheck source=/dev/null
. "$here/bench.conf" # RUNS SECONDS_PER_JOB PARTS
: "${STDVMM:?} ${QEMU:?} ${QEMU_FIRMWARE:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 77; }
SWITCH=${STDVMM%/*}/stdvmm-switch
QSD=/usr/bin/qemu-storage-daemon
T=$TEST_TMP

tools=$T/tools.img
data=$T/data.img
gunzip -c "$here/tools.img.gz" >"$tools"
# Real pages, not holes: every backend then reads and writes memory-backed data.
dd if=/dev/zero of="$data" bs=1048576 count=512 2>/dev/null
for m in "$here"/bridge/*.ko; do insmod "$m" 2>/dev/null || true; done
ip link set lo up
cmd="console=ttyS0 panic=-1 stdvmm.test=bench_io bench.seconds=$SECONDS_PER_JOB"
DATA=$T/data
: >"$DATA"

# The VMM's own figures (./measure: launch to exit, CPU time, KVM exits) in
# MEASURE, its serial output in OUT. MEASURE "-": no ./measure (it does not
# pass signals on, and the iperf3 server's VMM is stopped with one).
# Every VM is killed after VM_LIMIT seconds (busybox timeout execs the
# program itself, so the pid stays the program's): a guest that hangs costs
# one configuration's figures, not the benchmark.
VM_LIMIT=240
measured() { # OUT MEASURE [MEASURE-OPTIONS] -- PROGRAM ARGS...
	o=$1 m=$2
	shift 2
	if [ "$m" = - ]; then
		while [ "$1" != -- ]; do shift; done
		shift
		exec timeout -s KILL "$VM_LIMIT" "$@" >"$o"
	else
		exec timeout -s KILL "$VM_LIMIT" "$here/measure" -o "$o" "$@" >"$m"
	fi
}
start_stdvmm() { # NAME OUT MEASURE CMDLINE ARGS...
	n=$1 out=$2 meas=$3 c=$4
	shift 4
	measured "$out" "$meas" -- "$STDVMM" run --kernel "$GUEST_KERNEL" \
		--initramfs "$GUEST_INITRD" --cmdline "$cmd $c" --memory 384M --serial tty \
		--no-reboot --name "$n" --disk "path=$tools,readonly=on,id=benchtools" "$@" &
}
# QEMU's microvm makes its virtio-mmio devices legacy (version 1) unless told
# otherwise; stdvmm's are version 2, and libvhost-user (qemu-storage-daemon)
# refuses legacy devices ("virtio legacy devices aren't supported").
start_qemu() { # OUT MEASURE CMDLINE ARGS...
	out=$1 meas=$2 c=$3
	shift 3
	measured "$out" "$meas" -- "$QEMU" -L "$QEMU_FIRMWARE" -enable-kvm \
		-M microvm,memory-backend=mem -cpu host -m 384 -smp 1 \
		-global virtio-mmio.force-legacy=false \
		-object memory-backend-memfd,id=mem,size=384M,share=on -nodefaults -no-user-config \
		-display none -no-reboot -serial stdio -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
		-append "$cmd $c" -drive "id=tools,file=$tools,format=raw,if=none,readonly=on" \
		-device virtio-blk-device,drive=tools,serial=benchtools "$@" &
}
# kvmtool: virtio-pci (no virtio-mmio on x86), the tools disk without a
# serial (the guest takes the read-only disk); it cannot power an x86 guest
# off (no ACPI), so measure kills it (-k) at the guest's line after its work.
start_kvmtool() { # OUT MEASURE CMDLINE TAP MAC
	measured "$1" "$2" -k -r "stdvmm-guest: test bench_io exited" -- \
		env HOME="$T" "$KVMTOOL" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--params "$cmd $3" --cpus 1 --mem 384 --console serial --disk "$tools,ro" \
		--network "mode=tap,tapif=$4,vhost=1,guest_mac=$5" &
}
result() { # OUT: the guest's result line, without its prefix
	tr -d '\r' <"$1" | sed -n 's/^stdvmm-test: bench //p' | tail -n 1
}
# CPU time of a process that ran beside a VMM (a backend), from /proc.
cpu_ms() { # PID
	awk -v hz=100 '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
record() { # CONFIG RUN MEASURE-LINE RESULT BACKEND_CPU_MS
	echo "DATA config=$1 run=$2 $3 $4 backend_cpu_ms=$5"
	# Columns: config randread_iops seqread_mib seqwrite_mib tx_mbit rx_mbit utime stime backend_ms
	echo "$1 $4 $3 backend_cpu_ms=$5" | awk '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print $1, v["randread_iops"] + 0, v["seqread_mib"] + 0, v["seqwrite_mib"] + 0,
		      v["tx_mbit"] + 0, v["rx_mbit"] + 0, v["utime_ms"] + 0, v["stime_ms"] + 0,
		      v["backend_cpu_ms"] + 0 }' >>"$DATA"
}
qsd_start() {
	rm -f "$T/qsd.sock"
	"$QSD" --blockdev "driver=file,node-name=file0,filename=$data,cache.direct=off" \
		--export "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=$T/qsd.sock,writable=on" \
		>>"$T/qsd.log" 2>&1 &
	QSD_PID=$!
	n=0
	until [ -S "$T/qsd.sock" ] || [ $n -ge 100 ]; do n=$((n + 1)); sleep 0.1; done
}
stop() { # PID: SIGTERM, then SIGKILL a second later
	kill "$1" 2>/dev/null
	(sleep 1 && kill -9 "$1" 2>/dev/null) &
	wait "$1" 2>/dev/null || true
}
qsd_stop() { # prints its CPU time
	cpu_ms "$QSD_PID"
	stop "$QSD_PID"
}

blk() { # CONFIG RUN
	echo "  $(cut -d' ' -f1 /proc/uptime) s: $1 run $2"
	rm -f "$T/out.log"
	b=0
	case $1 in
	stdvmm-blk) start_stdvmm blk "$T/out.log" "$T/m.out" bench.mode=blk --disk "path=$data,id=benchdata" ;;
	stdvmm-qsd)
		qsd_start
		start_stdvmm blk "$T/out.log" "$T/m.out" bench.mode=blk --disk "vhost-user=$T/qsd.sock"
		;;
	qemu-qsd)
		qsd_start
		start_qemu "$T/out.log" "$T/m.out" bench.mode=blk \
			-chardev "socket,id=c0,path=$T/qsd.sock" -device vhost-user-blk,chardev=c0
		;;
	esac
	wait $! || true
	case $1 in *-qsd) b=$(qsd_stop) ;; esac
	res=$(result "$T/out.log")
	record "$1" "$2" "$(cat "$T/m.out")" "$res" "$b"
	[ -n "$res" ] || { echo "  ($1 run $2: no result; last output:)"; tail -n 20 "$T/out.log"; tail -n 5 "$T/qsd.log" 2>/dev/null; }
}

MAC_S=02:00:00:00:09:01 MAC_C=02:00:00:00:09:02
# bridge_taps: the TAPs bts and btc appear when the VMMs open them; each
# joins br0 (the guests ping until they meet).
bridge_taps() {
	n=0
	until ip link show bts >/dev/null 2>&1 && ip link show btc >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt 300 ] || break
		sleep 0.1
	done
	for t in bts btc; do
		ip link set "$t" master br0 2>/dev/null || brctl addif br0 "$t"
		ip link set "$t" up
	done
}
srv="bench.mode=server bench.ip=10.0.9.1"
cli="bench.mode=client bench.ip=10.0.9.2 bench.peer=10.0.9.1"
net() { # CONFIG RUN
	echo "  $(cut -d' ' -f1 /proc/uptime) s: $1 run $2"
	rm -f "$T/srv.log" "$T/out.log"
	b=0
	case $1 in
	stdvmm-switch)
		rm -f "$T"/s.sock "$T"/c.sock
		"$SWITCH" --port "name=s,socket=$T/s.sock,mac=$MAC_S,networks=lan" \
			--port "name=c,socket=$T/c.sock,mac=$MAC_C,networks=lan" 2>>"$T/switch.log" &
		SW_PID=$!
		n=0
		until [ -S "$T/c.sock" ] || [ $n -ge 100 ]; do n=$((n + 1)); sleep 0.1; done
		start_stdvmm srv "$T/srv.log" - "$srv" --net "vhost-user=$T/s.sock,mac=$MAC_S"
		SRV=$!
		start_stdvmm cli "$T/out.log" "$T/m.out" "$cli" --net "vhost-user=$T/c.sock,mac=$MAC_C"
		;;
	qemu-bridge)
		start_qemu "$T/srv.log" - "$srv" \
			-netdev tap,id=n0,ifname=bts,script=no,downscript=no,vhost=on \
			-device "virtio-net-device,netdev=n0,mac=$MAC_S"
		SRV=$!
		start_qemu "$T/out.log" "$T/m.out" "$cli" \
			-netdev tap,id=n0,ifname=btc,script=no,downscript=no,vhost=on \
			-device "virtio-net-device,netdev=n0,mac=$MAC_C"
		bridge_taps
		;;
	kvmtool-bridge)
		start_kvmtool "$T/srv.log" - "$srv" bts "$MAC_S"
		SRV=$!
		start_kvmtool "$T/out.log" "$T/m.out" "$cli" btc "$MAC_C"
		bridge_taps
		;;
	esac
	wait $! || true
	stop "$SRV"
	if [ "$1" = stdvmm-switch ]; then
		b=$(cpu_ms "$SW_PID")
		stop "$SW_PID"
	fi
	res=$(result "$T/out.log")
	record "$1" "$2" "$(cat "$T/m.out")" "$res" "$b"
	[ -n "$res" ] || { echo "  ($1 run $2: no result; last output, client then server:)"; tail -n 20 "$T/out.log"; tail -n 10 "$T/srv.log"; tail -n 5 "$T/switch.log" 2>/dev/null; }
}

ip link add br0 type bridge 2>/dev/null || brctl addbr br0
brctl stp br0 off 2>/dev/null || true
brctl setfd br0 0 2>/dev/null || true # no forwarding delay for a new port
ip link set br0 up
echo "vhost benchmark: $RUNS runs each, $SECONDS_PER_JOB s per job, 1 vCPU and 384 MiB per VM"
blks="stdvmm-blk stdvmm-qsd qemu-qsd" nets="stdvmm-switch qemu-bridge"
! have_kvmtool || nets="$nets kvmtool-bridge"
case " $PARTS " in *" blk "*) ;; *) blks="" ;; esac
case " $PARTS " in *" net "*) ;; *) nets="" ;; esac
i=1
while [ "$i" -le "$RUNS" ]; do
	# Rotated by one each run: no configuration always goes first.
	for c in $blks; do blk "$c" "$i"; done
	[ -z "$blks" ] || blks="${blks#* } ${blks%% *}"
	for c in $nets; do net "$c" "$i"; done
	[ -z "$nets" ] || nets="${nets#* } ${nets%% *}"
	i=$((i + 1))
done

cell() { median "$DATA" "$2" "$1" 0; }
ratio() { # A B COLUMN: A's median over B's
	awk -v a="$(cell "$1" "$3")" -v b="$(cell "$2" "$3")" 'BEGIN {
		if (a != "-" && b != "-" && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}
echo
echo "medians of $RUNS runs (same guest, same host boot); CPU: the VMM's user+system, whole run"
echo "QEMU: $("$QEMU" --version | head -n 1), -M microvm, virtio-mmio; $("$QSD" --version | head -n 1)"
echo
if [ -n "$blks" ]; then
	printf '| %-28s | %10s | %10s | %10s | %13s | %13s |\n' "blk metric" stdvmm-blk stdvmm-qsd qemu-qsd "qsd: stdvmm/qemu" "stdvmm: qsd/own"
	echo "|------------------------------|------------|------------|------------|---------------|---------------|"
	brow() { # LABEL COLUMN
		printf '| %-28s | %10s | %10s | %10s | %13s | %13s |\n' "$1" "$(cell stdvmm-blk "$2")" \
			"$(cell stdvmm-qsd "$2")" "$(cell qemu-qsd "$2")" "$(ratio stdvmm-qsd qemu-qsd "$2")" \
			"$(ratio stdvmm-qsd stdvmm-blk "$2")"
	}
	brow "fio randread 4K QD32 (IOPS)" 2
	brow "fio seq read 1M QD8 (MiB/s)" 3
	brow "fio seq write 1M QD8 (MiB/s)" 4
	brow "VMM user CPU (ms)" 7
	brow "VMM system CPU (ms)" 8
	brow "qemu-storage-daemon CPU (ms)" 9
fi
! have_kvmtool || echo "kvmtool: no blk configuration (it has no vhost-user client)"
if [ -n "$nets" ]; then
	echo
	if have_kvmtool; then
		echo "kvmtool-bridge: virtio-pci, vhost=1; the client VM is killed once its work is done (its CPU figures stop there)"
		printf '| %-30s | %13s | %13s | %6s | %14s | %6s |\n' "net metric (VM to VM)" stdvmm-switch qemu-bridge ratio kvmtool-bridge k/qemu
		echo "|--------------------------------|---------------|---------------|--------|----------------|--------|"
	else
		printf '| %-30s | %13s | %13s | %6s |\n' "net metric (VM to VM)" stdvmm-switch qemu-bridge ratio
		echo "|--------------------------------|---------------|---------------|--------|"
	fi
	nrow() { # LABEL COLUMN
		printf '| %-30s | %13s | %13s | %6s |' "$1" "$(cell stdvmm-switch "$2")" \
			"$(cell qemu-bridge "$2")" "$(ratio stdvmm-switch qemu-bridge "$2")"
		! have_kvmtool ||
			printf ' %14s | %6s |' "$(cell kvmtool-bridge "$2")" "$(ratio kvmtool-bridge qemu-bridge "$2")"
		echo
	}
	nrow "iperf3 client->server (Mbit/s)" 5
	nrow "iperf3 server->client (Mbit/s)" 6
	nrow "client VMM user CPU (ms)" 7
	nrow "client VMM system CPU (ms)" 8
	nrow "stdvmm-switch CPU (ms)" 9
fi
fails=$(awk '($1 ~ /blk|qsd/ && $2 == 0) || ($1 ~ /switch|bridge/ && $5 == 0) { n++ } END { print n + 0 }' "$DATA")
echo
echo "runs without complete results: $fails"
[ "$fails" -eq 0 ]
