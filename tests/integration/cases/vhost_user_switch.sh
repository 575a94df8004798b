#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# stdvmm-switch: VMs a and b on network lan, c on network wan, each
# stdvmm's virtio-net a port of one stdvmm-switch over vhost-user. a and
# b ping each other, b fetches 16 MiB from a's httpd (checksums must
# match); b cannot reach c and c cannot reach a (the networks are the
# allow-list). The switch's report at SIGTERM shows its table (static MACs
# of the ports) and the frames it forwarded and refused. With QEMU in the
# test host (run-suite.sh --with-qemu), a QEMU VM q on lan (-netdev
# vhost-user, RAM in a shared memfd) also fetches a's 16 MiB through the
# switch, alongside b; a, b and q ping each other, and q cannot reach c.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
SWITCH=${STDVMM%/*}/stdvmm-switch
[ -x "$SWITCH" ] || fail "no stdvmm-switch next to $STDVMM"
slog=$TEST_TMP/switch.log
rm -f "$slog" "$TEST_TMP"/*.sock
mac_a=02:00:00:00:06:0a mac_b=02:00:00:00:06:0b mac_c=02:00:00:00:06:0c mac_q=02:00:00:00:06:0e
"$SWITCH" --log-level info \
	--port "name=a,socket=$TEST_TMP/a.sock,mac=$mac_a,networks=lan" \
	--port "name=b,socket=$TEST_TMP/b.sock,mac=$mac_b,networks=lan" \
	--port "name=c,socket=$TEST_TMP/c.sock,mac=$mac_c,networks=wan" \
	--port "name=q,socket=$TEST_TMP/q.sock,mac=$mac_q,networks=lan" 2>"$slog" &
sw_pid=$!
n=0
until [ -S "$TEST_TMP/c.sock" ]; do
	kill -0 "$sw_pid" 2>/dev/null || { cat "$slog"; fail "stdvmm-switch exited"; }
	n=$((n + 1))
	[ $n -lt 30 ] || fail "stdvmm-switch did not listen"
	sleep 1
done

# bg NAME MAC [CMDLINE]: one VM in the background, its own logs; sets BG_PID.
bg() {
	"$STDVMM" run --kernel "$GUEST_KERNEL" --initramfs "$GUEST_INITRD" \
		--cmdline "$GUEST_BASE_CMDLINE stdvmm.test=vswitch_$1 ${3:-}" --memory 256M --no-reboot \
		--name "$1" --serial "file=$TEST_TMP/$1.serial" --net "vhost-user=$TEST_TMP/$1.sock,mac=$2" \
		</dev/null 2>"$TEST_TMP/$1.err" &
	BG_PID=$!
}
has() { # NAME LINE
	[ -e "$TEST_TMP/$1.serial" ] && tr -d '\r' <"$TEST_TMP/$1.serial" | grep -qxF "$2"
}
value() { # NAME KEY
	tr -d '\r' <"$TEST_TMP/$1.serial" | sed -n "s/^stdvmm-test: $2=//p" | tail -n 1
}
dump() {
	for v in a c q; do
		echo "--- VM $v stderr:"
		# q exists only with QEMU in the host: a missing log is no failure
		cat "$TEST_TMP/$v.err" 2>/dev/null || true
		echo "--- VM $v serial:"
		cat "$TEST_TMP/$v.serial" 2>/dev/null || true
	done
	echo "--- stdvmm-switch log:"
	cat "$slog"
}
wait_for() { # NAME LINE
	n=0
	until has "$1" "$2"; do
		n=$((n + 1))
		[ $n -lt 200 ] || { dump; fail "VM $1 did not print '$2'"; }
		sleep 1
	done
}
# a serves b, and q too when QEMU is here.
peers=1 with_q=""
[ -z "${QEMU:-}" ] || { peers=2 with_q=vswitch.qemu=1; }
bg a "$mac_a" "vswitch.peers=$peers"
PID_a=$BG_PID
bg c "$mac_c"
PID_c=$BG_PID
wait_for a "stdvmm-test: serving"
wait_for c "stdvmm-test: ready"
# QEMU's VM q fetches from a while b does (in the background, its own logs).
if [ -n "${QEMU:-}" ]; then
	timeout 200 "$QEMU" -L "$QEMU_FIRMWARE" -enable-kvm -M microvm,memory-backend=mem -cpu host \
		-m 256 -object memory-backend-memfd,id=mem,size=256M,share=on \
		-nodefaults -no-user-config -display none -no-reboot -serial "file:$TEST_TMP/q.serial" \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
		-append "$GUEST_BASE_CMDLINE stdvmm.test=vswitch_q" \
		-chardev "socket,id=sw,path=$TEST_TMP/q.sock" -netdev vhost-user,id=n0,chardev=sw \
		-device "virtio-net-device,netdev=n0,mac=$mac_q" 2>"$TEST_TMP/q.err" &
	PID_q=$!
fi
VM_MEMORY=256M run_vm "stdvmm.test=vswitch_b $with_q" --name b \
	--net "vhost-user=$TEST_TMP/b.sock,mac=$mac_b"
if [ -n "${QEMU:-}" ]; then
	qrc=0
	wait "$PID_q" || qrc=$?
	has q "stdvmm-test: vswitch_q ok" || { dump; fail "the QEMU VM did not finish (status $qrc)"; }
	[ "$(value q ping_a)" = ok ] || { dump; fail "the QEMU VM could not ping a"; }
	[ "$(value q ping_b)" = ok ] || { dump; fail "the QEMU VM could not ping b"; }
	[ "$(value q sha256)" = "$(value a sha256)" ] || { dump; fail "the QEMU VM received other bytes"; }
	[ "$(value q ping_c)" = unreachable ] || { dump; fail "the QEMU VM (lan) reached c (wan)"; }
	echo "QEMU $("$QEMU" --version | head -n 1 | awk '{ print $4 }') VM q on the switch: pings a and b, 16 MiB from a intact, c unreachable"
else
	echo "no QEMU in this test host (run-suite.sh --with-qemu): the QEMU frontend part is not run"
fi
# a powers off once b (and q) said done; c is stopped from here.
n=0
while kill -0 "$PID_a" 2>/dev/null && [ $n -lt 60 ]; do
	n=$((n + 1))
	sleep 1
done
rc_a=0
if kill -0 "$PID_a" 2>/dev/null; then
	kill "$PID_a"
	rc_a=killed
fi
wait "$PID_a" 2>/dev/null || [ "$rc_a" = killed ] || rc_a=$?
kill "$PID_c" 2>/dev/null || true
wait "$PID_c" 2>/dev/null || true
kill "$sw_pid" 2>/dev/null || true
wait "$sw_pid" 2>/dev/null || true
dump
expect_rc 0 "VM b powered off"
expect_line "stdvmm-test: vswitch_b ok"
has a "stdvmm-test: vswitch_a ok" || fail "VM a did not hear b's done"
[ "$rc_a" = 0 ] || fail "VM a ended with $rc_a"
[ "$(serial_value ping_a)" = ok ] || fail "b could not ping a"
[ "$(value a ping_b)" = ok ] || fail "a could not ping b"
if [ -n "$with_q" ]; then
	[ "$(value a ping_q)" = ok ] || fail "a could not ping the QEMU VM q"
	[ "$(serial_value ping_q)" = ok ] || fail "b could not ping the QEMU VM q"
fi
[ "$(serial_value ping_a_count)" = 10 ] || fail "$(serial_value ping_a_count) of 10 pings b -> a came back"
want=$(value a sha256) got=$(serial_value sha256)
echo "a served sha256 $want, b received $got in $(serial_value seconds)s"
if [ -z "$want" ] || [ "$want" != "$got" ]; then
	fail "b received other bytes than a served"
fi
[ "$(serial_value ping_c)" = unreachable ] || fail "b (lan) reached c (wan)"
[ "$(value c ping_a)" = unreachable ] || fail "c (wan) reached a (lan)"
grep -q "table: $mac_a port a static" "$slog" || fail "the switch's table lacks a's MAC"
grep -q "table: $mac_b port b static" "$slog" || fail "the switch's table lacks b's MAC"
unicast=$(sed -n 's/.*unicast \([0-9]*\) flooded.*/\1/p' "$slog")
nodest=$(sed -n 's/.*no-dest \([0-9]*\).*/\1/p' "$slog")
echo "switch: $unicast frames forwarded to one port, $nodest floods refused (no port of their network)"
[ "${unicast:-0}" -ge 1000 ] || fail "the switch forwarded only ${unicast:-no} unicast frames"
[ "${nodest:-0}" -ge 1 ] || fail "c's frames were not refused for want of a port on wan"
echo "PASS: a <-> b${with_q:+ <-> q (QEMU)} on lan through stdvmm-switch (pings each way, 16 MiB over TCP intact); c on wan isolated"
