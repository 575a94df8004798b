#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A VMM started by a root stdvmmd is jailed (docs/security.md): its
# supervisor and the VMM itself (pid 1 of a new pid namespace) run with a
# seccomp filter on every thread, no_new_privs, no capabilities and a uid
# other than 0; the VMM's root is a tmpfs holding only /dev/kvm (and the
# directory of its vsock socket, bound at the same path), with no other
# mount; its cgroup caps memory and tasks. The guest still boots, uses
# virtio-rng, -blk and -vsock, a second one reboots (rebuilding its VM in
# the jail) under a uid of its own, and one stops cleanly.
set -eu
# shellcheck source=tests/integration/cases/lib/manager.sh
. "${0%/*}/lib/manager.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: not root: stdvmmd does not jail"; exit 77; }

CMD=$GUEST_BASE_CMDLINE
dd if=/dev/zero of="$TEST_TMP/disk.img" bs=1M count=8 2>/dev/null
mkdir -p "$TEST_TMP/vsock"
write_system <<EOF2
system: {memory: 320M, vcpus: 3}
vms:
  - {name: bouncer, kernel: $K, initramfs: $I, cmdline: "$CMD stdvmm.test=reboot", memory: 128M,
     autostart: true}
  - {name: boxed, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 128M, cpus: 2,
     rng: true, disks: [{path: $TEST_TMP/disk.img}],
     vsock: {cid: 3, socket: $TEST_TMP/vsock/v.sock}, autostart: true}
EOF2
mgr_start
wait_field boxed state running 30
sup=$(vm_field boxed pid)
[ -n "$sup" ] || fail "no pid for boxed"
end=$(($(date +%s) + 30))
vmm=""
while [ -z "$vmm" ] && [ "$(date +%s)" -le $end ]; do
	vmm=$(cat /proc/"$sup"/task/"$sup"/children 2>/dev/null | tr -d ' ')
	[ -n "$vmm" ] || sleep 0.2
done
[ -n "$vmm" ] || fail "the supervisor $sup has no child"
field() { sed -n "s/^$2:[[:space:]]*//p" /proc/"$1"/status; }
for p in "$sup" "$vmm"; do
	echo "pid $p: Seccomp $(field "$p" Seccomp), NoNewPrivs $(field "$p" NoNewPrivs)," \
		"CapEff $(field "$p" CapEff), CapBnd $(field "$p" CapBnd), Uid $(field "$p" Uid)," \
		"NSpid $(field "$p" NSpid)"
	[ "$(field "$p" Seccomp)" = 2 ] || fail "pid $p: Seccomp is not 2"
	[ "$(field "$p" NoNewPrivs)" = 1 ] || fail "pid $p: NoNewPrivs is not 1"
	[ "$(field "$p" CapEff)" = 0000000000000000 ] || fail "pid $p: has capabilities"
	[ "$(field "$p" CapPrm)" = 0000000000000000 ] || fail "pid $p: has permitted capabilities"
	[ "$(field "$p" CapBnd)" = 0000000000000000 ] || fail "pid $p: bounding set not empty"
	set -- $(field "$p" Uid)
	[ "$1" != 0 ] && [ "$2" != 0 ] && [ "$3" != 0 ] || fail "pid $p: runs as uid 0"
done
[ "$(field "$sup" Uid | cut -f1)" = "$(field "$vmm" Uid | cut -f1)" ] || fail "the supervisor's uid differs"
set -- $(field "$vmm" NSpid)
[ "${2:-}" = 1 ] || fail "the VMM is not pid 1 of a pid namespace of its own (NSpid $*)"
# Every thread of the VMM is filtered.
end=$(($(date +%s) + 60))
while [ "$(ls /proc/"$vmm"/task | wc -l)" -lt 5 ] && [ "$(date +%s)" -le $end ]; do sleep 0.5; done
threads=0
for t in /proc/"$vmm"/task/*; do
	grep -q '^Seccomp:[[:space:]]*2$' "$t/status" || fail "thread $(cat "$t/comm"): not filtered"
	threads=$((threads + 1))
done
[ "$threads" -ge 5 ] || fail "only $threads threads"
echo "threads of the VMM, all Seccomp 2: $(cat /proc/"$vmm"/task/*/comm | tr '\n' ' ')"
# Its mounts: the jail's tmpfs as /, its own /proc and the vsock directory, nothing else.
echo "--- mountinfo of the VMM:"
cat /proc/"$vmm"/mountinfo
mounts=$(awk '{ print $5 }' /proc/"$vmm"/mountinfo | sort | tr '\n' ' ')
[ "$mounts" = "/ /proc $TEST_TMP/vsock " ] || fail "the VMM's mount points are '$mounts'"
awk '$5 == "/" { for (i = 7; $i != "-"; i++); print $(i + 1), $(i + 2) }' /proc/"$vmm"/mountinfo |
	grep -qx "tmpfs stdvmm-jail" || fail "the VMM's root is not the jail's tmpfs"
# Its root: /dev/kvm, /proc, and the way down to the vsock directory (whose
# own contents are the host's, bound).
files=$(cd /proc/"$vmm"/root && find . -path ".$TEST_TMP/vsock/*" -prune -o -path "./proc/*" -prune -o -print | sort | tr '\n' ' ')
want=". ./dev ./dev/kvm ./proc"
d=""
for c in $(echo "$TEST_TMP/vsock" | tr '/' ' '); do
	d="$d/$c"
	want="$want .$d"
done
want=$(echo "$want" | tr ' ' '\n' | sort | tr '\n' ' ')
echo "the VMM's root holds: $files"
[ "$files" = "$want" ] || fail "the VMM's root holds '$files', expected '$want'"
# Its /proc is its pid namespace's: the VMM alone.
procs=$(cd /proc/"$vmm"/root/proc && ls -d [0-9]* | tr '\n' ' ')
[ "$procs" = "1 " ] || fail "the jail's /proc shows processes '$procs', not the VMM alone"
cg=$(sed -n 's/^0:://p' /proc/"$vmm"/cgroup)
[ "$cg" = /stdvmm/boxed ] || fail "the VMM's cgroup is '$cg'"
mem=$(cat /sys/fs/cgroup/stdvmm/boxed/memory.max)
pids=$(cat /sys/fs/cgroup/stdvmm/boxed/pids.max)
[ "$mem" != max ] && [ "$pids" != max ] || fail "memory.max $mem, pids.max $pids: not capped"
echo "cgroup $cg: memory.max $mem, pids.max $pids"
grep -q "Max open files *4096 *4096" /proc/"$vmm"/limits || fail "RLIMIT_NOFILE is not 4096"
uid=$(field "$vmm" Uid | cut -f1)
buid=$(field "$(vm_field bouncer pid)" Uid | cut -f1)
[ "$uid" != "$buid" ] || fail "two jailed VMs share uid $uid"

echo "== a jailed guest reboots (the VMM builds the VM again: /dev/kvm inside the jail)"
wait_serial bouncer "stdvmm-test: rebooting" 2 150
[ "$(vm_field bouncer state)" = running ] || fail "bouncer is $(vm_field bouncer state)"
ctl stop bouncer --force
echo "== and one stops cleanly"
ctl stop boxed
wait_field boxed state stopped 60
# A graceful stop: the power button through the control socket, the guest powers off.
[ "$(vm_exit_status boxed)" = 0 ] || fail "boxed stopped with $(vm_exit_status boxed), not 0"
echo "PASS: supervisor and VMM: Seccomp 2, NoNewPrivs 1, no capabilities, uids $uid and $buid, root = jail tmpfs with /dev/kvm and its /proc only, cgroup memory.max $mem pids.max $pids, $threads threads filtered"
