#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# A budget carried by a cgroup v1 CPU controller (docs/multicore.md), which
# `placement` (cgroup v2) does not reach: budget 80ms/100ms at boot, then
# 20ms/100ms set at run time, on a pinned vCPU, with stdvmm in a mount
# namespace where the host's only CPU controller is a v1 hierarchy
# (cpu.cfs_quota_us / cpu.cfs_period_us). The second budget must hold the
# vCPU thread to 15-25% of one CPU over 6 s: its CPU time (/proc stat)
# against the host's elapsed time (/proc/uptime), both from the clock the
# scheduler replenishes budgets with. The VM's device thread (virtio-rng)
# sits in a v1 cgroup of its own whose quota follows the vCPU's budget
# (issue #15: device workers inside the VM's CPU budget).
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/background.sh
. "${0%/*}/lib/background.sh"
SOCK=$TEST_TMP/vm.sock
CG1=$TEST_TMP/cg-v1
# shellcheck source=tests/integration/cases/lib/budget.sh
. "${0%/*}/lib/budget.sh"
trap cleanup EXIT

# The CPU controller can move to a v1 hierarchy only while no
# v2 cgroup uses it, so take it out of the v2 root's subtree first.
echo -cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
mkdir -p "$CG1"
cat >"$TEST_TMP/stdvmm-v1-inner" <<EOS
#!/bin/sh
umount /sys/fs/cgroup || exit 1
mount -t cgroup -o cpu cpu "$CG1" || exit 1
exec "$STDVMM" "\$@"
EOS
# stdvmm where the only CPU controller is cgroup v1: a private mount
# namespace (one process all along: unshare and sh exec, VM_PID stays).
cat >"$TEST_TMP/stdvmm-v1" <<EOS
#!/bin/sh
exec unshare -m --propagation private "$TEST_TMP/stdvmm-v1-inner" "\$@"
EOS
chmod +x "$TEST_TMP/stdvmm-v1" "$TEST_TMP/stdvmm-v1-inner"
REAL_STDVMM=$STDVMM
STDVMM=$TEST_TMP/stdvmm-v1
start_vm "stdvmm.test=busy" --api-socket "$SOCK" --placement "pcpus=1,budget=$BOOT_BUDGET" \
	--rng
STDVMM=$REAL_STDVMM
measure "cgroup v1" cgroup
# Inside the VMM's namespace: its vCPU's v1 cgroup carries the quota.
quota=$(nsenter -t "$VM_PID" -m sh -c "cat $CG1/stdvmm-*-vcpu0/cpu.cfs_quota_us $CG1/stdvmm-*-vcpu0/cpu.cfs_period_us" | tr '\n' ' ')
echo "v1 quota/period: $quota"
[ "$quota" = "20000 100000 " ] || fail "vcpu0's v1 cgroup has quota/period '$quota', expected 20000 100000"
nsenter -t "$VM_PID" -m sh -c "grep -qx $tid $CG1/stdvmm-*-vcpu0/tasks" ||
	fail "vcpu0's thread $tid is not in its v1 cgroup"
dcg=$(rng_cgroup "$VM_PID")
echo "rng device thread's v1 cgroup: $dcg"
case $dcg in */stdvmm-*-devices) ;; *) fail "the rng device thread is in '$dcg', not the VM's devices cgroup" ;; esac
dquota=$(nsenter -t "$VM_PID" -m sh -c "cat $CG1$dcg/cpu.cfs_quota_us $CG1$dcg/cpu.cfs_period_us" | tr '\n' ' ')
echo "devices v1 quota/period: $dquota"
[ "$dquota" = "20000 100000 " ] || fail "the devices cgroup has quota/period '$dquota', expected 20000 100000"
stop_vm
# The v1 hierarchy lives on until it has no cgroup and no mount. Mount it
# here to see that stdvmm removed its cgroups, then let it go: later cases
# need the controller back in cgroup v2.
mount -t cgroup -o cpu cpu "$CG1" || fail "cannot mount the v1 cpu hierarchy to check it"
left=$(ls -d "$CG1"/stdvmm-* 2>/dev/null || true)
[ -z "$left" ] || rmdir $left 2>/dev/null
umount "$CG1"
[ -z "$left" ] || fail "stdvmm left its v1 cgroups behind: $left"
i=0
until grep -qw cpu /sys/fs/cgroup/cgroup.controllers; do
	i=$((i + 1))
	[ "$i" -lt 20 ] || fail "the cpu controller did not return to cgroup v2"
	sleep 1
done
trap - EXIT
echo "PASS: budget 20ms/100ms as a cgroup v1 quota, on vcpu0 and on the device threads"
