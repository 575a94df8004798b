# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# What the guest halves of the network cases share (sourced from /tests):
# an interface brought up with an address, and a peer pinged until it
# answers (the peer may still be booting, or its port still coming up).

# net_if_up IF ADDR/PREFIX: lo and IF up, IF addressed.
net_if_up() {
	ip link set lo up
	ip link set "$1" up
	ip addr add "$2" dev "$1"
}

# net_ping_until NAME PEER [TRIES]: up to TRIES (default 60) pings of PEER,
# one second each, until one is answered; prints "stdvmm-test: NAME=ok" or
# "=no".
net_ping_until() {
	net_ok=no
	for _ in $(seq "${3:-60}"); do
		if ping -c 1 -W 1 "$2" >/dev/null 2>&1; then
			net_ok=ok
			break
		fi
	done
	echo "stdvmm-test: $1=$net_ok"
}

# net_guest_up IF ADDR/PREFIX PEER NAME [TRIES]: IF up and addressed, then
# PEER pinged until it answers, as above.
net_guest_up() {
	net_if_up "$1" "$2"
	net_ping_until "$4" "$3" "${5:-60}"
}
