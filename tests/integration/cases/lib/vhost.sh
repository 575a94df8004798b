# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# Third-party vhost-user backends for the vhost_user_* cases, as the test
# host has them (tools/testhost/arch/x86_64.sh HOST_PROGRAMS).
QSD=/usr/bin/qemu-storage-daemon
# shellcheck disable=SC2034 # used by the cases that source this
VIRTIOFSD=/usr/lib/qemu/virtiofsd

# wait_socket PATH PID: until the backend listens, or fail when it died.
wait_socket() {
	n=0
	until [ -S "$1" ]; do
		kill -0 "$2" 2>/dev/null || fail "the backend for $1 exited before listening"
		n=$((n + 1))
		[ $n -lt 60 ] || fail "no socket $1 after 60 s"
		sleep 1
	done
}

# start_qsd IMAGE SOCKET LOG: qemu-storage-daemon exporting a raw image as
# vhost-user-blk; sets QSD_PID.
start_qsd() {
	rm -f "$2"
	"$QSD" --blockdev "driver=file,node-name=file0,filename=$1,cache.direct=off" \
		--export "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=$2,writable=on" \
		>>"$3" 2>&1 &
	QSD_PID=$!
	wait_socket "$2" "$QSD_PID"
}

stop_backend() { # PID
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# dpdk-testpmd without hugepages or PCI devices, its vhost PMD listening at
# SOCKET (stdvmm connects), forwarding with addresses swapped. The PMDs are
# plugins, loaded by path from where the test host has them. Sets TESTPMD_PID.
TESTPMD=/usr/bin/dpdk-testpmd
DPDK_PMDS=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0
# TESTPMD_VDEV_EXTRA (",iommu-support=1") and TESTPMD_EAL_EXTRA (more EAL
# options, e.g. a log level) are added when set.
start_testpmd() { # SOCKET LOG
	rm -f "$1"
	# EAL keeps its runtime files under /var/run/dpdk (--in-memory, which
	# would not, is refused with --no-huge); the test host's root has no /var.
	mkdir -p /var/run
	# --stats-period keeps it running without a terminal (else it waits on stdin).
	# shellcheck disable=SC2086 # TESTPMD_EAL_EXTRA is words
	"$TESTPMD" -l 0,1 --no-huge -m 256 --no-pci --file-prefix="tp$$" \
		-d "$DPDK_PMDS/librte_mempool_ring.so.23.0" -d "$DPDK_PMDS/librte_net_vhost.so.23.0" \
		${TESTPMD_EAL_EXTRA:-} \
		--vdev "net_vhost0,iface=$1,client=0${TESTPMD_VDEV_EXTRA:-}" -- --forward-mode=5tswap --auto-start \
		--stats-period 1 --total-num-mbufs=4096 </dev/null >>"$2" 2>&1 &
	TESTPMD_PID=$!
	n=0
	until [ -S "$1" ]; do
		kill -0 "$TESTPMD_PID" 2>/dev/null || { cat "$2"; fail "dpdk-testpmd exited before listening"; }
		n=$((n + 1))
		[ $n -lt 60 ] || { cat "$2"; fail "dpdk-testpmd: no socket $1 after 60 s"; }
		sleep 1
	done
}

# SIGINT: testpmd stops forwarding and prints its final port statistics.
stop_testpmd() {
	kill -INT "$TESTPMD_PID" 2>/dev/null || true
	wait "$TESTPMD_PID" 2>/dev/null || true
}

# expect_testpmd_echo LOG: the guest half of vhost_user_net (which
# vhost_user_iommu runs too) got all its pings back through testpmd's
# 5tswap echo, and testpmd's final statistics in LOG show them: each ping is
# two frames into its port and two out (the request, then the guest's
# answer), a fragmented one six.
expect_testpmd_echo() {
	small=$(serial_value small) full=$(serial_value full) frag=$(serial_value frag)
	echo "replies: $small/20 small, $full/10 full-size, $frag/5 fragmented"
	[ "$small" = 20 ] || fail "$small of 20 small pings came back"
	[ "$full" = 10 ] || fail "$full of 10 full-size pings came back"
	[ "$frag" = 5 ] || fail "$frag of 5 fragmented pings came back"
	rx=$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' "$1" | sort -n | tail -n 1)
	tx=$(sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' "$1" | sort -n | tail -n 1)
	echo "testpmd port 0: RX-packets $rx, TX-packets $tx; guest rx $(serial_value rx_packets) tx $(serial_value tx_packets)"
	[ "${rx:-0}" -ge 90 ] || fail "testpmd received ${rx:-no} packets, expected 90 or more"
	[ "${tx:-0}" -ge 90 ] || fail "testpmd sent ${tx:-no} packets, expected 90 or more"
}
