# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# What the guest halves on a TAP share (sourced from /tests): the guest end
# at 192.168.77.2/24.

# tap_guest_up: lo and eth0 up, eth0 addressed, then up to 60 pings of the
# host end (192.168.77.1); prints "stdvmm-test: ping=ok" or "=no".
tap_guest_up() {
	ip link set lo up
	ip link set eth0 up
	ip addr add 192.168.77.2/24 dev eth0
	ok=no
	for _ in $(seq 60); do
		if ping -c 1 -W 1 192.168.77.1 >/dev/null 2>&1; then
			ok=ok
			break
		fi
	done
	echo "stdvmm-test: ping=$ok"
}
