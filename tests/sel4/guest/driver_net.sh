#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 driver-VM network check (run-demo.py --scenario
# driver-net). The role comes from the command line (stdvmm.role=ROLE):
#   server  the driver VM: it owns the board's NIC (eth0, passthrough, on
#           QEMU's user network) and puts the other VMs' frames on it with
#           stdvmm-netserve (src/driver_vm), reached by its VMM over vsock
#   client  a user VM whose eth0 is served by the driver VM: on QEMU's user
#           network as 10.0.2.16, it fetches stdvmm.url (a server on the
#           machine running QEMU), prints the data's SHA-256 and rate, then
#           fetches stdvmm.url.small in a loop, printing each round's result
#           (ok, or error while the driver VM is away), until powered off
# Every line the host waits for starts with "stdvmm-test:".
dmesg -n 1
role="" url=""
for arg in $(cat /proc/cmdline); do
	case $arg in
	stdvmm.role=*) role=${arg#stdvmm.role=} ;;
	stdvmm.url=*) url=${arg#stdvmm.url=} ;;
	esac
done
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/class/net/eth0 ] && break; sleep 1; done
[ -e /sys/class/net/eth0 ] || { echo "stdvmm-test: $role: no eth0"; exit 0; }
echo "stdvmm-test: $role eth0 $(cat /sys/class/net/eth0/address) device=$(basename "$(readlink -f /sys/class/net/eth0/device/..)")"
now() { cut -d' ' -f1 /proc/uptime; }

case $role in
server)
	# Its own round trip on the NIC it owns, to set the clients' beside.
	ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
	echo "stdvmm-test: server ping $(ping -c 5 10.0.2.2 2>&1 | tail -1)"
	exec /usr/bin/stdvmm-netserve eth0
	;;
client)
	ifconfig eth0 10.0.2.16 netmask 255.255.255.0 up
	route add default gw 10.0.2.2
	# The driver VM may still be booting: its server attaches when it is up.
	# (timeout, not wget -T: busybox 1.35's wget -q -T crashes.)
	tries=0
	until timeout 5 wget -q -O /tmp/small "$url.small"; do
		tries=$((tries + 1))
		[ $tries -ge 60 ] && { echo "stdvmm-test: client fetch $url.small failed"; exit 0; }
		sleep 1
	done
	echo "stdvmm-test: client first fetch ok after $tries failed tries"
	echo "stdvmm-test: client ping $(ping -c 5 10.0.2.2 2>&1 | tail -1)"
	tries=0
	while :; do
		start=$(now)
		if timeout 600 wget -q -O /tmp/data "$url"; then
			break
		fi
		echo "stdvmm-test: client fetch failed: $(grep '^Tcp:' /proc/net/snmp | tail -1)"
		tries=$((tries + 1))
		if [ $tries -ge 3 ]; then
			echo "stdvmm-test: client fetch $url failed"
			exit 0
		fi
		sleep 1
	done
	end=$(now)
	bytes=$(wc -c </tmp/data)
	echo "stdvmm-test: client sha256=$(sha256sum /tmp/data | cut -d' ' -f1) bytes=$bytes after $tries failed tries"
	echo "$start $end $bytes" |
		awk '{ s = $2 - $1; if (s <= 0) s = 0.01; printf "stdvmm-test: client tcp %d bytes in %.2f s: %.2f MB/s\n", $3, s, $3 / s / 1000000 }'
	i=0
	while :; do
		i=$((i + 1))
		t0=$(now)
		if timeout 3 wget -q -O /tmp/small "$url.small" && [ -s /tmp/small ]; then
			echo "stdvmm-test: client round $i ok $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }') s"
			sleep 1
		else
			echo "stdvmm-test: client round $i error $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }') s"
			sleep 1
		fi
	done
	;;
esac
