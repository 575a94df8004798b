#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 network check (run-demo.py --scenario net): eth0 is
# a virtio-net whose frames go through the switch protection domain. The
# role comes from the command line:
#   stdvmm.net=server,IP      serve 16 MiB (stdvmm.net_mib=N: N MiB) of random data over HTTP (busybox
#                             httpd) and print its SHA-256, then answer pings
#                             and print the NIC's interrupts per CPU every 5 s
#   stdvmm.net=client,IP,PEER ping PEER, fetch the data over TCP and print the
#                             SHA-256 and the rate, then ping PEER once a second
#   stdvmm.net=probe,IP,PEER,OWN  try to reach PEER (it must not be reachable)
#                             and OWN, a VM of its own network (it must be)
#   stdvmm.net=peer,IP        only answer pings
# The host compares the checksums; every line the host waits for starts
# with "stdvmm-test:".
dmesg -n 1
spec=""
mib=16 # --scenario colour: 4, its small coloured VMs have no room for 16
for arg in $(cat /proc/cmdline); do
	case $arg in
	stdvmm.net=*) spec=${arg#stdvmm.net=} ;;
	stdvmm.net_mib=*) mib=${arg#stdvmm.net_mib=} ;;
	esac
done
IFS=, read -r role ip peer own <<EOT
$spec
EOT
if ! ifconfig eth0 "$ip" netmask 255.255.255.0 up; then
	echo "stdvmm-test: no eth0"
	exit 0
fi
echo "stdvmm-test: eth0 $(cat /sys/class/net/eth0/address) $ip"

# TCP segments this guest retransmitted (RetransSegs of /proc/net/snmp): lost frames show here.
tcp_retrans() {
	awk '/^Tcp:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == "RetransSegs") c = i } else print $c }' /proc/net/snmp
}

# Pings PEER once a second, forever, numbering the answers the host counts.
keep_pinging() {
	n=0
	while :; do
		n=$((n + 1))
		if ping -c 1 -W 2 "$1" >/dev/null 2>&1; then
			echo "stdvmm-test: tick $n reply from $1"
		else
			echo "stdvmm-test: tick $n no reply from $1"
		fi
		sleep 1
	done
}

case $role in
server)
	mkdir -p /tmp/www
	dd if=/dev/urandom of=/tmp/www/data bs=1M count="$mib" 2>/dev/null
	echo "stdvmm-test: server sha256=$(sha256sum /tmp/www/data | cut -d' ' -f1)"
	httpd -p 80 -h /tmp/www
	echo "stdvmm-test: serving"
	# The NIC's interrupts per CPU, so the host can check where irq_vcpu sent them.
	cpus=$(grep -c ^processor /proc/cpuinfo)
	while :; do
		echo "stdvmm-test: server irqs=$(awk -v n="$cpus" '/virtio/ { s = $2; for (i = 3; i <= n + 1; i++) s = s "," $i; print s; exit }' /proc/interrupts)"
		echo "stdvmm-test: server retransmitted $(tcp_retrans) segments"
		sleep 5
	done
	;;
client)
	tries=0
	until ping -c 1 -W 2 "$peer" >/dev/null 2>&1; do
		tries=$((tries + 1))
		if [ $tries -ge 60 ]; then
			echo "stdvmm-test: ping $peer failed"
			exit 0
		fi
	done
	echo "stdvmm-test: ping $peer ok after $tries lost"
	ping -c 5 "$peer" | grep -E "transmitted|round-trip" | sed 's/^/stdvmm-test: /'
	# Wait for the server's httpd: it starts after writing its data.
	tries=0
	while :; do
		start=$(cut -d' ' -f1 /proc/uptime)
		if wget -q -O /tmp/data "http://$peer/data"; then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 30 ]; then
			echo "stdvmm-test: fetch from $peer failed"
			exit 0
		fi
		sleep 1
	done
	end=$(cut -d' ' -f1 /proc/uptime)
	bytes=$(wc -c </tmp/data)
	echo "stdvmm-test: client sha256=$(sha256sum /tmp/data | cut -d' ' -f1) bytes=$bytes"
	echo "stdvmm-test: client retransmitted $(tcp_retrans) segments"
	echo "$start $end $bytes" |
		awk '{ s = $2 - $1; if (s <= 0) s = 0.01; printf "stdvmm-test: tcp %d bytes in %.2f s: %.2f MB/s\n", $3, s, $3 / s / 1000000 }'
	keep_pinging "$peer"
	;;
probe)
	if ping -c 3 -W 2 "$peer" >/dev/null 2>&1; then
		echo "stdvmm-test: probe reached $peer"
	else
		echo "stdvmm-test: probe cannot reach $peer"
	fi
	# Its own network's peer boots beside it: give it a minute to answer.
	tries=0
	until ping -c 1 -W 2 "$own" >/dev/null 2>&1; do
		tries=$((tries + 1))
		[ $tries -lt 30 ] || break
	done
	if [ $tries -lt 30 ]; then
		echo "stdvmm-test: probe reached its own peer $own"
	else
		echo "stdvmm-test: probe cannot reach its own peer $own"
	fi
	keep_pinging "$peer"
	;;
peer)
	echo "stdvmm-test: peer up"
	while :; do sleep 60; done
	;;
*)
	echo "stdvmm-test: no stdvmm.net= role"
	;;
esac
