#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The manager's networks against a stand-in VMM (fake_vmm.c) and the real
# stdvmm-switch: a switch per network with a port per member NIC, the
# ports and the MAC table through the API and `stdvmm ctl`, a killed
# switch restarted (a root manager's switch is jailed, and dies with its
# supervisor), one a previous manager left adopted when its command line is
# the description's, and replaced when it is not. No guest: the
# traffic itself is the test host's (tests/integration/cases/manager_network.sh).
#
#   manager-networks-local.sh STDVMMD STDVMM FAKE_VMM STDVMM_SWITCH WORKDIR
set -euo pipefail

stdvmmd=$1 stdvmm=$2 fake=$3 vswitch=$4 work=$5
if [[ ${STDVMM_TEST_AS_NOBODY:-} != 1 ]]; then
  rm -rf "$work"
  mkdir -p "$work"
fi
# A root manager jails every switch, and a jail needs a root that is a mount
# point (pivot_root, or a mount moved over it). A chroot whose root is not
# one (the fresh machine CI runs in) cannot make a jail: there the test runs
# as an unprivileged user, whom the manager does not jail. The jail itself is
# tested wherever root can make one, and by the integration case
# manager_network in the test host.
if ((EUID == 0)) && ! mountpoint -q /; then
  echo "== / is not a mount point (a chroot): no jail can be made here; running as nobody"
  chown nobody: "$work"
  exec setpriv --reuid=nobody --regid=nogroup --clear-groups env STDVMM_TEST_AS_NOBODY=1 \
    bash "$0" "$@"
fi
work=$(cd "$work" && pwd)
short=$(mktemp -d /tmp/stdvmm-net.XXXXXX) # socket paths are limited to 107 bytes
state=$short/state
export STDVMM_SOCKET=$short/api.sock
net_field() { # NETWORK FIELD
  ctl --json network "$1" 2>/dev/null |
    python3 -c "import json,sys; print(json.load(sys.stdin).get('$2', ''))" 2>/dev/null || true
}
# shellcheck source=tests/manager/lib.sh
. "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $mgr_pid ]] && kill "$mgr_pid" 2>/dev/null || true
  local f
  for f in "$state"/net-*.pid; do
    [[ -e $f ]] && kill "$(cut -d' ' -f1 "$f")" 2>/dev/null
  done
  rm -rf "$short"
}
trap cleanup EXIT

cat >"$work/system.yaml" <<'EOF2'
system: {memory: 512M, vcpus: 4}
networks:
  - {name: lan, members: [a, b]}
  - {name: empty}
vms:
  - {name: a, kernel: /bin/true, memory: 64M, jail: false,
     nets: [{network: lan, mac: "02:00:00:00:00:0a"}, {user: {}}]}
  - {name: b, kernel: /bin/true, memory: 64M, nets: [{network: lan}]}
EOF2
start_manager --switch "$vswitch" --no-autostart

echo "== a switch per network with members, a port per member NIC"
ctl networks
ctl networks | grep -q "^lan  *running " || fail "lan's switch is not running"
ctl networks | grep -q "^empty  *stopped " || fail "a network without NICs has a switch"
ctl network lan
[[ -S $state/sw/a/0.sock && -S $state/sw/b/0.sock ]] || fail "no port sockets in STATE/sw/VM"
[[ ! -e $state/sw/a/1.sock ]] || fail "a's user-mode NIC got a port"
# A root manager opens the port of a jailed VMM (b) to its jail's uid: the
# socket to all, its directory searchable only, inside the private state.
perms() { stat -c %a "$@" | tr '\n' ' '; }
if ((EUID == 0)); then
  [[ $(perms "$state/sw/a/0.sock" "$state/sw/b/0.sock" "$state/sw/b" "$state/sw" "$state") == "700 666 711 700 700 " ]] ||
    fail "port permissions (a's socket, b's socket, b's directory, sw, state): $(perms "$state/sw/a/0.sock" "$state/sw/b/0.sock" "$state/sw/b" "$state/sw" "$state")"
else
  [[ $(perms "$state/sw/b/0.sock") == "700 " ]] || fail "an unprivileged manager opened b's port: $(perms "$state/sw/b/0.sock")"
fi
ctl network lan | grep -q "^a  *down  *0$" || fail "port a is not listed, down"
ctl network lan | grep -q "^02:00:00:00:00:0a  *a  *static " || fail "a's MAC is not static on port a"
[[ $(ctl network lan | grep -c "learned") == 0 ]] || fail "learnt MACs without traffic"
rc=0
ctl network empty 2>"$work/err" || rc=$?
[[ $rc == 1 ]] && grep -q "not running (stopped) (HTTP 503)" "$work/err" || fail "no 503 for a network without a switch"
rc=0
ctl network nope 2>"$work/err" || rc=$?
[[ $rc == 1 ]] && grep -q "unknown network 'nope' (HTTP 404)" "$work/err" || fail "no 404 for an unknown network"
grep -q '"name": "a"' <(ctl --json info a) || fail "info a failed"

if ((EUID == 0)); then
  echo "== a root manager jails the switch; killing its supervisor ends it"
  sup=$(net_field lan switch_pid)
  inner=$(tr -d ' ' <"/proc/$sup/task/$sup/children")
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$inner/status")
  ((uid >= 900000000)) || fail "the switch runs as uid $uid, not a jail's"
  grep -q "jail: root $state/net-lan.root" "$state/net-lan.log" || fail "the switch did not say it is jailed"
fi

echo "== a killed switch is restarted"
old=$(net_field lan switch_pid)
kill -9 "$old"
for _ in $(seq 50); do
  [[ $(net_field lan restarts) == 1 && $(net_field lan switch_pid) != "$old" && $(net_field lan state) == running ]] && break
  sleep 0.1
done
[[ $(net_field lan restarts) == 1 ]] || fail "restarts is '$(net_field lan restarts)', not 1"
if [[ -n ${inner:-} ]]; then
  # Its parent-death signal: the jailed switch must not keep the VMs' ports.
  state_of_inner=$(awk '/^State:/ { print $2 }' "/proc/$inner/status" 2>/dev/null || true)
  [[ -z $state_of_inner || $state_of_inner == Z ]] || fail "the jailed switch $inner outlived its supervisor ($state_of_inner)"
fi
new=$(net_field lan switch_pid)
[[ -n $new && $new != "$old" ]] && kill -0 "$new" || fail "no new switch after pid $old was killed"
ctl network lan | grep -q "^02:00:00:00:00:0a  *a  *static " || fail "the new switch lacks a's MAC"
[[ $(net_field lan last_exit) == 137 ]] || fail "last_exit is '$(net_field lan last_exit)', not 137 (SIGKILL)"

echo "== a new manager adopts the switch the last one left (the same command line)"
kill "$mgr_pid"
wait "$mgr_pid" || true
mgr_pid=""
kill -0 "$new" || fail "the switch died with the manager"
start_manager --switch "$vswitch" --no-autostart
[[ $(net_field lan switch_pid) == "$new" ]] || fail "the new manager's switch is '$(net_field lan switch_pid)', not the adopted $new"
[[ $(net_field lan adopted) == True && $(net_field lan state) == running ]] ||
  fail "lan: adopted '$(net_field lan adopted)', state '$(net_field lan state)'"
ctl network lan | grep -q "^02:00:00:00:00:0a  *a  *static " || fail "the adopted switch does not answer with a's MAC"
grep -q "network lan: adopting the switch a previous manager left (pid $new)" "$work/manager.log" ||
  fail "the manager did not say it adopted pid $new"

echo "== an adopted switch that dies is restarted"
kill -9 "$new"
for _ in $(seq 50); do
  [[ $(net_field lan restarts) == 1 && $(net_field lan switch_pid) != "$new" && $(net_field lan state) == running ]] && break
  sleep 0.1
done
adoptee_new=$(net_field lan switch_pid)
[[ $(net_field lan restarts) == 1 && $adoptee_new != "$new" && $(net_field lan adopted) == False ]] ||
  fail "after the adopted switch died: restarts '$(net_field lan restarts)', pid '$adoptee_new', adopted '$(net_field lan adopted)'"
kill -0 "$adoptee_new" || fail "no new switch after the adopted pid $new was killed"

echo "== a new manager with another description replaces the switch"
kill "$mgr_pid"
wait "$mgr_pid" || true
mgr_pid=""
sed -i 's/02:00:00:00:00:0a/02:00:00:00:00:1a/' "$work/system.yaml"
start_manager --switch "$vswitch" --no-autostart
newer=$(net_field lan switch_pid)
[[ -n $newer && $newer != "$adoptee_new" && $(net_field lan adopted) == False ]] ||
  fail "the new manager's switch is '$newer' (adopted '$(net_field lan adopted)'), not a new one"
for _ in $(seq 20); do kill -0 "$adoptee_new" 2>/dev/null || break; sleep 0.1; done
kill -0 "$adoptee_new" 2>/dev/null && fail "the old switch $adoptee_new still runs"
grep -q "network lan: stopping the switch a previous manager left (pid $adoptee_new): its command line differs" "$work/manager.log" ||
  fail "the manager did not say why it replaced pid $adoptee_new"
ctl network lan | grep -q "^02:00:00:00:00:1a  *a  *static " || fail "the new switch lacks a's new MAC"

if ((failures)); then
  echo "--- manager log:"
  cat "$work/manager.log"
  for f in "$state"/net-*.log; do echo "--- $f"; cat "$f"; done
  echo "$failures check(s) failed"
  exit 1
fi
echo "PASS"
