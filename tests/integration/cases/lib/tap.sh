# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# The host half of the TAP cases (virtio_net_tap, virtio_net_vhost), whose
# guest half is tests/integration/guest/virtio_net_tap.sh: the test puts an
# address on the TAP stdvmm opened, the guest pings it, then 4 MiB go each
# way over TCP (host httpd -> guest wget, guest httpd -> host wget) with
# sha256 sums. Source after lib/guest.sh and lib/background.sh.
#
# tap_run TAP NET_OPTION [HOOK]: runs it with --net NET_OPTION on TAP and
# checks everything; HOOK (a function name) runs while the guest serves.
# TAP_LOG_LEVEL, if set, is stdvmm's --log-level.
# tap_up TAP: waits for the VM started with start_vm to open TAP, then
# gives the host end 192.168.77.1/24 (the guest takes .2).
tap_up() {
	n=0
	until [ -e "/sys/class/net/$1" ]; do
		n=$((n + 1))
		[ $n -lt 60 ] && kill -0 "$VM_PID" 2>/dev/null || { vm_dump; fail "no $1 appeared"; }
		sleep 1
	done
	ip addr add 192.168.77.1/24 dev "$1"
	ip link set "$1" up
}

tap_run() {
	tap=$1
	www=$TEST_TMP/www
	mkdir -p "$www"
	dd if=/dev/urandom of="$www/down.bin" bs=1048576 count=4 2>/dev/null
	down_sum=$(sha256sum "$www/down.bin" | cut -d' ' -f1)
	start_vm "stdvmm.test=virtio_net_tap" --net "$2" ${TAP_LOG_LEVEL:+--log-level "$TAP_LOG_LEVEL"}
	tap_up "$tap"
	httpd -f -p 192.168.77.1:8000 -h "$www" &
	httpd_pid=$!
	wait_line "stdvmm-test: serving"
	[ -z "${3:-}" ] || "$3"
	rc=0
	timeout 60 wget -q -O "$TEST_TMP/up.bin" http://192.168.77.2:8000/up.bin || rc=$?
	echo done | timeout 20 nc 192.168.77.2 5560 >/dev/null || true
	wait_vm
	kill "$httpd_pid" 2>/dev/null || true
	expect_rc 0 "guest powered off"
	expect_line "stdvmm-test: virtio_net_tap ok"
	[ "$(serial_value ping)" = ok ] || fail "the guest could not ping the TAP's address"
	[ "$(serial_value down_sha256)" = "$down_sum" ] || fail "the guest downloaded other bytes"
	[ $rc = 0 ] || fail "wget from the guest failed ($rc)"
	[ "$(sha256sum "$TEST_TMP/up.bin" | cut -d' ' -f1)" = "$(serial_value up_sha256)" ] ||
		fail "the host downloaded other bytes from the guest"
	echo "guest virtio features: $(serial_value features)"
}
