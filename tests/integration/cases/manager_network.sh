#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# networks: under stdvmmd (docs/networking.md). Three VMs from one system
# description: net-a and net-b on network lan, net-c on network wan, same
# subnet. stdvmmd starts a stdvmm-switch per network; the VMs' NICs are
# ports of it. The guests' own output must show: a and b ping each other,
# b fetches 16 MiB from a with the checksum a computed, c reaches neither.
# The manager API shows lan's MAC table: a's MAC static (pinned in the
# description) on port net-a, b's (not in the description: the switch
# learnt it) on port net-b, c's nowhere. lan's uplink, the TAP swup0 its
# switch makes, puts this host on lan: it pings net-a, not net-c, and its
# MAC shows up learnt on port tap.swup0. Then the lan switch is killed:
# the manager starts a new one, the VMMs reconnect, and b fetches the
# 16 MiB again, intact, through the new switch. Last, a new manager adopts
# the running switch and the host still reaches net-a. Every VMM is jailed (the
# test host's stdvmmd is root): each dials its port again, after the
# restart, from inside its jail.
set -eu
# shellcheck source=tests/integration/cases/lib/manager.sh
. "${0%/*}/lib/manager.sh"
[ -x "${STDVMM%/*}/stdvmm-switch" ] || fail "no stdvmm-switch next to $STDVMM"
CMD=$GUEST_BASE_CMDLINE
MAC_A=02:00:00:00:07:0a
MAC_C=02:00:00:00:07:0c
write_system <<EOF2
system: {memory: 640M, vcpus: 3, max_vms: 3}
networks:
  - {name: lan, members: [net-a, net-b], uplink: swup0}
  - {name: wan, members: [net-c]}
vms:
  - {name: net-a, kernel: $K, initramfs: $I, cmdline: "$CMD stdvmm.test=lan_a", memory: 256M,
     autostart: true, nets: [{network: lan, mac: "$MAC_A"}]}
  - {name: net-b, kernel: $K, initramfs: $I, cmdline: "$CMD stdvmm.test=lan_b", memory: 256M,
     autostart: true, nets: [{network: lan}]}
  - {name: net-c, kernel: $K, initramfs: $I, cmdline: "$CMD stdvmm.test=lan_c", memory: 128M,
     autostart: true, nets: [{network: wan, mac: "$MAC_C"}]}
EOF2
start=$(date +%s)
mgr_start
ctl networks

# A value the guest printed: "stdvmm-test: KEY=VALUE", the last one.
value() { # VM KEY
	tr -d '\r' <"$STATE/vms/$1/serial.log" | sed -n "s/.*stdvmm-test: $2=//p" | tail -n 1
}
# A field of `ctl --json network lan` at the top level (two spaces deep).
net_field() { # FIELD (503 while the switch restarts: the field is then empty)
	ctl --json network lan 2>/dev/null | sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"
}
# One MAC-table row of lan as `ctl network lan` prints it: "MAC PORT TYPE".
table_row() { # MAC
	ctl network lan | awk -v mac="$1" '$1 == mac { print $1, $2, $3 }'
}

wait_serial net-c "stdvmm-test: ready" 1 240
wait_serial net-b "stdvmm-test: phase1 done" 1 240
wait_serial net-a "stdvmm-test: ping_b=" 1 60
echo "phase 1 done $(($(date +%s) - start)) s after the manager started"
ctl network lan
ctl network wan

[ "$(value net-a ping_b)" = ok ] || fail "net-a could not ping net-b"
[ "$(value net-b ping_a)" = ok ] || fail "net-b could not ping net-a"
[ "$(value net-b a_serving)" = ok ] || fail "net-a's HTTP server never answered net-b"
[ "$(value net-b ping_a_count)" = 10 ] || fail "$(value net-b ping_a_count) of 10 pings net-b -> net-a came back"
want=$(value net-a sha256)
got=$(value net-b sha256_1)
echo "net-a served sha256 $want; net-b received $got in $(value net-b seconds_1) s"
[ -n "$want" ] && [ "$want" = "$got" ] || fail "net-b received other bytes than net-a served"
[ "$(value net-b ping_c)" = unreachable ] || fail "net-b (lan) reached net-c (wan)"
[ "$(value net-c ping_a)" = unreachable ] || fail "net-c (wan) reached net-a (lan)"
[ "$(value net-c ping_b)" = unreachable ] || fail "net-c (wan) reached net-b (lan)"

# The MAC table through the manager: the guests' own MACs.
mac_a=$(value net-a mac)
mac_b=$(value net-b mac)
mac_c=$(value net-c mac)
[ "$mac_a" = "$MAC_A" ] || fail "net-a's guest has MAC $mac_a, not the description's $MAC_A"
[ "$(table_row "$mac_a")" = "$mac_a net-a static" ] || fail "lan's table lacks $mac_a static on net-a"
[ "$(table_row "$mac_b")" = "$mac_b net-b learned" ] || fail "lan's table lacks net-b's $mac_b, learnt"
[ -z "$(table_row "$mac_c")" ] || fail "net-c's MAC $mac_c is in lan's table"
ctl network lan | grep -q "^net-a  *up " || fail "port net-a is not up"
ctl network lan | grep -q "^net-b  *up " || fail "port net-b is not up"
echo "MAC table via the manager: $mac_a static on net-a, $mac_b learnt on net-b, $mac_c not on lan"

# The uplink: the host joins lan through the TAP lan's switch made.
ip addr add 10.0.7.254/24 dev swup0
ip link set swup0 up
ping -c 3 -W 2 10.0.7.1 >/dev/null || fail "the host could not ping net-a through lan's uplink"
if ping -c 2 -W 1 10.0.7.3 >/dev/null 2>&1; then
	fail "the host reached net-c (wan) through lan's uplink"
fi
mac_up=$(cat /sys/class/net/swup0/address)
ctl network lan
[ "$(table_row "$mac_up")" = "$mac_up tap.swup0 learned" ] || fail "lan's table lacks the host's $mac_up on tap.swup0"
ctl network lan | grep -q "^tap.swup0  *up " || fail "the uplink port is not up"
echo "uplink swup0: the host pings net-a on lan, not net-c on wan; its MAC $mac_up learnt on tap.swup0"

# Kill lan's switch: the manager restarts it, the VMMs reconnect.
old=$(net_field switch_pid)
[ -n "$old" ] && [ "$old" -gt 0 ] || fail "no switch pid for lan"
# net-b's pings across the restart must still be running: its second fetch is after the kill.
[ "$(serial_count net-b "ping_restart_received=")" = 0 ] || fail "net-b's pings ended before the switch was killed"
killed=$(date +%s)
kill -9 "$old"
n=0
until [ "$(net_field restarts)" = 1 ] && [ "$(net_field state)" = running ] &&
	[ "$(net_field switch_pid)" != "$old" ]; do
	n=$((n + 1))
	[ $n -lt 40 ] || fail "the manager did not restart lan's switch"
	sleep 0.5
done
echo "lan's switch pid $old killed; the manager started pid $(net_field switch_pid) within $(($(date +%s) - killed)) s"
wait_serial net-b "stdvmm-test: lan_b ok" 1 180
echo "net-b: $(value net-b ping_restart_received) of 60 pings answered across the restart, second fetch in $(value net-b seconds_2) s"
[ "$(value net-b back)" = ok ] || fail "net-a did not answer net-b again after the switch restart"
[ "$(value net-b sha256_2)" = "$want" ] || fail "after the restart net-b received other bytes"
ctl network lan
[ "$(table_row "$mac_b")" = "$mac_b net-b learned" ] || fail "the new switch did not learn $mac_b on net-b"
grep -q "reconnected to the vhost-user backend" "$STATE/vms/net-b/vmm.log" ||
	fail "net-b's VMM did not say it reconnected"
grep -q "jail: root $STATE/vms/net-b/root" "$STATE/vms/net-b/vmm.log" ||
	fail "net-b's VMM was not jailed"

# A new manager while lan's switch runs: it adopts the switch (the same
# command line) as it adopts the VMs, so lan sees no outage: the uplink
# TAP keeps its address and the host still reaches net-a through it.
# The restarted switch made its TAP anew: the host's address goes on again.
ip addr add 10.0.7.254/24 dev swup0 2>/dev/null || true
ip link set swup0 up
ping -c 3 -W 2 10.0.7.1 >/dev/null || fail "the host could not ping net-a through the restarted switch's uplink"
pid=$(net_field switch_pid)
kill "$MGR_PID"
wait "$MGR_PID" 2>/dev/null || true
MGR_PID=""
mgr_start
ctl networks
[ "$(net_field switch_pid)" = "$pid" ] && [ "$(net_field adopted)" = true ] ||
	fail "the new manager did not adopt lan's switch $pid (pid $(net_field switch_pid), adopted $(net_field adopted))"
[ "$(vm_field net-a state)" = running ] || fail "the new manager did not adopt net-a"
ping -c 3 -W 2 10.0.7.1 >/dev/null || fail "the host could not ping net-a through the adopted switch's uplink"
[ "$(table_row "$mac_a")" = "$mac_a net-a static" ] || fail "the adopted switch's table lacks $mac_a"
echo "a new manager adopted lan's switch (pid $pid) and its VMs; the host pings net-a through it"
for n in lan wan; do
	echo "--- stdvmm-switch $n:"
	cat "$STATE/net-$n.log"
done
echo "PASS: lan (net-a, net-b, uplink to the host) and wan (net-c) under stdvmmd, VMMs jailed: pings, 16 MiB intact twice, wan isolated, MAC table via the API, switch restarted and the jailed VMMs reconnected, the switch adopted by a new manager ($(($(date +%s) - start)) s)"
