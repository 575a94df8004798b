#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The manager (stdvmmd) and `stdvmm ctl` against a stand-in VMM
# (fake_vmm.c): life cycle, restart policy, stop escalation, bounds,
# adoption after kill -9, and API robustness. Runs anywhere in seconds; the
# same behaviours with real guests run inside the test host.
#
#   manager-local.sh STDVMMD STDVMM FAKE_VMM WORKDIR
set -euo pipefail

stdvmmd=$1 stdvmm=$2 fake=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
# Sockets live below the state dir, and socket paths are limited to 107 bytes:
# a build tree can be deeper than that.
short=$(mktemp -d /tmp/stdvmm-mgr.XXXXXX)
sock=$short/api.sock
state=$short/state
export STDVMM_SOCKET=$sock
field() { # NAME FIELD: one field of a VM's JSON
  ctl --json info "$1" | python3 -c "import json,sys; v=json.load(sys.stdin).get('$2'); print('' if v is None else v)"
}
state_of() { field "$1" state; }
wait_state() { # NAME STATE SECONDS
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [[ $(state_of "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  fail "$1 is $(state_of "$1"), not $2 after $3 s"
}
# shellcheck source=tests/manager/lib.sh
. "$(dirname "$0")/lib.sh"
cleanup() {
  [[ -n $mgr_pid ]] && kill "$mgr_pid" 2>/dev/null || true
  local f
  for f in "$state"/vms/*/vmm.pid; do
    [[ -e $f ]] && kill -9 "$(cut -d' ' -f1 "$f")" 2>/dev/null
  done
  rm -rf "$short"
}
trap cleanup EXIT

echo "== an invalid description is refused whole, every problem listed"
cat >"$work/bad.yaml" <<'EOF'
system: {memory: 256M, vcpus: 2}
vms:
  - {name: a, kernel: /nonexistent, memory: 512M}
  - {name: a, kernel: /bin/true, cpus: 4, restart: sometimes}
EOF
rc=0
"$stdvmmd" --system "$work/bad.yaml" --state-dir "$state" --api-socket "$sock" \
  --stdvmm "$fake" >"$work/bad.log" 2>&1 || rc=$?
cat "$work/bad.log"
[[ $rc == 2 ]] || fail "invalid description: exit $rc, expected 2"
for want in "vms[0].kernel: /nonexistent" "vms[0].memory: 512M exceeds system.memory 256M" \
  "vms[1].name: 'a' is already" "vms[1].cpus: 4 exceeds system.vcpus 2" "vms[1].restart:"; do
  grep -qF "$want" "$work/bad.log" || fail "no '$want' in the error report"
done
[[ ! -e $sock ]] || fail "the API socket exists although nothing may start"

cat >"$work/system.yaml" <<'EOF'
system: {memory: 640M, vcpus: 6, max_vms: 5}
vms:
  - {name: web, kernel: /bin/true, memory: 128M, autostart: true}
  - {name: db, kernel: /bin/true, memory: 128M, autostart: true}
  - {name: crashy, kernel: /bin/true, memory: 64M, restart: "on-failure:2",
     cmdline: "fake.exit=3 fake.after=200"}
  - {name: stubborn, kernel: /bin/true, memory: 64M, cmdline: "fake.noshutdown"}
  - {name: hard, kernel: /bin/true, memory: 64M, cmdline: "fake.noshutdown fake.ignoreterm"}
  - {name: worker, kernel: /bin/true, memory: 64M, instances: {max: 2}}
  - {name: mapped, kernel: /bin/true, memory_map: [{gpa: MAP_GPA, size: 64M}], instances: {max: 1}}
EOF
# The map must suit the build's arch: x86_64 wants its low memory at 0.
map_gpa=0
[[ $(uname -m) == x86_64 ]] || map_gpa=1G
sed -i "s/MAP_GPA/$map_gpa/" "$work/system.yaml"

echo "== a state directory others can write, or a symlink, is refused (issue #15)"
mkdir -m 0777 "$short/loose"
mkdir -m 0700 "$short/real"
ln -s "$short/real" "$short/linked"
for dir in loose linked; do
  rc=0
  timeout 10 "$stdvmmd" --system "$work/system.yaml" --state-dir "$short/$dir" \
    --api-socket "$short/$dir.sock" --stdvmm "$fake" >"$work/$dir.log" 2>&1 || rc=$?
  cat "$work/$dir.log"
  [[ $rc != 0 ]] || fail "state dir $dir: the manager started"
  grep -q "refusing the state directory" "$work/$dir.log" || fail "state dir $dir: no reason given"
  [[ ! -e $short/$dir.sock ]] || fail "state dir $dir: the API socket exists"
  for f in "$short/$dir"/vms/*/vmm.pid; do # VMMs a manager that wrongly started left behind
    [[ -e $f ]] && kill -9 "$(cut -d' ' -f1 "$f")" 2>/dev/null
  done
done

echo "== autostart"
start_manager
ctl list
[[ $(state_of web) == running && $(state_of db) == running ]] || fail "autostart VMs not running"
[[ $(state_of crashy) == stopped ]] || fail "crashy started without autostart"

echo "== on-failure:2 restarts exactly twice, then gives up"
ctl start crashy
wait_state crashy failed 15
[[ $(field crashy restarts) == 2 ]] || fail "crashy restarted $(field crashy restarts) times, not 2"
n=$(grep -c "stdvmm-guest: ready" "$state/vms/crashy/serial.log")
[[ $n == 3 ]] || fail "crashy booted $n times, not 3"

echo "== ctl serial on a terminal shows the guest's escape sequences instead of playing them (issue #15)"
printf 'evil \033]0;owned\007 \033[2J done\r\n' >>"$state/vms/crashy/serial.log"
script -qec "$stdvmm ctl serial crashy --lines 1" /dev/null >"$work/tty.out" </dev/null ||
  fail "ctl serial on a terminal failed"
cat -v "$work/tty.out"
grep -qF 'evil ^[]0;owned^G ^[[2J done' "$work/tty.out" || fail "escape sequences not shown as ^["
! grep -q $'\033' "$work/tty.out" || fail "a raw ESC reached the terminal"
ctl serial crashy --lines 1 | grep -q $'\033\\[2J' || fail "a pipe did not get the raw bytes"

if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
  echo "== another uid is refused by SO_PEERCRED even when the socket's mode lets it in (issue #15)"
  chmod 0711 "$short"
  chmod 0666 "$sock"
  rc=0
  setpriv --reuid=65534 --regid=65534 --clear-groups "$stdvmm" ctl list >"$work/nobody.log" 2>&1 ||
    rc=$?
  cat "$work/nobody.log"
  chmod 0600 "$sock"
  chmod 0700 "$short"
  [[ $rc != 0 ]] || fail "uid 65534 could list the VMs"
  grep -q "uid 65534 may not use this manager" "$work/nobody.log" || fail "no reason for uid 65534"
fi

echo "== graceful stop (power button), forced stop, escalation"
ctl stop web
grep -q "power button" "$state/vms/web/serial.log" || fail "web did not see the power button"
[[ $(ctl --json info web | grep -c '"status": 0') == 1 ]] || fail "web did not exit 0"
ctl stop db --force
ctl --json info db | grep -q '"status": 5' || fail "forced stop of db is not exit 5"
ctl start stubborn
ctl stop stubborn --timeout 1
ctl --json info stubborn | grep -q '"status": 5' || fail "stubborn was not SIGTERMed"
ctl start hard
ctl stop hard --timeout 1
ctl --json info hard | grep -q 'killed by signal 9' || fail "hard was not SIGKILLed"

echo "== restart, pause, resume"
ctl start web
old=$(field web pid)
ctl restart web --timeout 5
new=$(field web pid)
[[ -n $new && $new != "$old" ]] || fail "restart kept pid $old"
# "running" means the VMM process runs; its guest prints a moment later.
for _ in $(seq 50); do
  (($(grep -c "stdvmm-guest: ready" "$state/vms/web/serial.log") >= 3)) && break
  sleep 0.1
done
[[ $(grep -c "stdvmm-guest: ready" "$state/vms/web/serial.log") -ge 3 ]] || fail "web did not boot again"
ctl pause web
[[ $(state_of web) == paused ]] || fail "web not paused"
ctl resume web
[[ $(state_of web) == running ]] || fail "web not resumed"

echo "== bounds: instances.max, memory; running VMs untouched"
ctl start db
pids_before="$(field web pid) $(field db pid)"
ctl create worker
ctl create worker --name big --memory 1G && fail "1G instance accepted" || true
ctl create worker --name w9 --memory 384M && fail "instance past system.memory accepted" || true
ctl create worker
ctl create worker && fail "a third instance of worker (instances.max 2) accepted" || true
ctl create worker --name web && fail "duplicate name accepted" || true
ctl create nonesuch && fail "unknown definition accepted" || true
ctl create mapped --memory 128M 2>"$work/mapped.err" && fail "memory changed under a memory_map" || true
grep -q "places its RAM with a memory_map" "$work/mapped.err" || fail "no reason given: $(cat "$work/mapped.err")"
ctl system
[[ "$(field web pid) $(field db pid)" == "$pids_before" ]] || fail "running VMs changed"
ctl stop worker-2 --force
ctl delete worker-2
ctl delete web && fail "deleted a VM of the description" || true

echo "== kill -9 the manager: VMs keep running; a new manager adopts them"
web_pid=$(field web pid)
kill -9 "$mgr_pid"
wait "$mgr_pid" 2>/dev/null || true
sleep 0.3
kill -0 "$web_pid" || fail "web died with the manager"
# A pid file naming an unrelated process must not be adopted.
sleep 300 &
decoy=$!
echo "$decoy $(awk '{print $22}' /proc/$decoy/stat)" >"$state/vms/stubborn/vmm.pid"
start_manager
ctl list
[[ $(state_of web) == running && $(field web pid) == "$web_pid" ]] || fail "web not adopted"
[[ $(field web adopted) == True ]] || fail "web not marked adopted"
[[ $(state_of worker-1) == running ]] || fail "instance worker-1 not recovered"
[[ $(state_of stubborn) == stopped ]] || fail "the decoy pid was adopted"
kill "$decoy"
ctl stop web
ctl --json info web | grep -q '"status": 0' || fail "the exit status of an adopted VM was lost"

echo "== API robustness: bad requests get 4xx with a message, the manager stays up"
req() { # EXPECTED METHOD PATH [BODY]
  local out code
  # curl's own status is not the verdict: when the manager refuses a body
  # (413) and closes while curl still sends it, curl exits non-zero though
  # it read the answer, and set -e would end the script without a word.
  out=$(curl -s --max-time 10 --unix-socket "$sock" -X "$2" ${4+--data-binary "$4"} \
    -H 'Content-Type: application/json' -w '\n%{http_code}' "http://stdvmmd$3") || true
  code=${out##*$'\n'}
  if [[ $code != "$1" ]] || ! grep -q '"error"' <<<"$out"; then
    fail "$2 $3 ${4:0:40}: HTTP $code, expected $1 with an error message: ${out:0:200}"
  else
    printf '%s %-6s %-28s %s\n' "$code" "$2" "$3" "$(head -c 110 <<<"$out" | head -n1)"
  fi
}
req 400 POST /v1/vms '{"definition": "worker",'
req 400 POST /v1/vms '[1, 2]'
req 400 POST /v1/vms '{"definition": 7}'
req 400 POST /v1/vms '{"definition": "worker", "cpus": "two"}'
req 400 POST /v1/vms '{"definition": "worker", "colour": "red"}'
req 400 POST /v1/vms '{"definition": "worker", "name": "../etc"}'
req 400 POST /v1/vms/db/stop '{"timeout": -1}'
req 400 POST /v1/vms/db/stop '{"force": "yes"}'
req 400 POST /v1/vms/db/pause '{"unexpected": true}'
req 404 GET /v1/vms/nosuchvm
req 404 POST /v1/vms/nosuchvm/start
req 404 GET /v1/nothing
req 404 POST /v1/vms/db/explode
req 405 DELETE /v1/system
req 409 POST /v1/vms/web/stop
req 409 POST /v1/vms/web/resume
req 400 GET "/v1/vms/db/serial?lines=zero"
head -c 200000 /dev/zero | tr '\0' 'x' >"$work/big.json"
req 413 POST /v1/vms "@$work/big.json"
# Slow clients: twenty connections that never finish their request must not
# delay anyone else. The manager drops a stalled connection after 5 s; if a
# request had waited for them, they would be gone by the time it is answered.
# So the check is that all twenty are still open when `list` has its answer
# (SIGUSR1 asks the script; no wall-clock bound, which a loaded host breaks).
python3 - "$sock" "$work/slow.ready" <<'EOF' &
import signal, socket, sys, time
conns = []
for _ in range(20):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.send(b"POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    conns.append(s)
def check(*_):
    dropped = 0
    for s in conns:
        try:
            s.recv(1, socket.MSG_DONTWAIT)  # an answer (408) or the end: it was dropped
            dropped += 1
        except BlockingIOError:
            pass
    print(f"slow clients still stalled: {len(conns) - dropped} of {len(conns)}")
    sys.exit(1 if dropped else 0)
signal.signal(signal.SIGUSR1, check)
open(sys.argv[2], "w").close()
time.sleep(60)
sys.exit(2)
EOF
slow=$!
for _ in $(seq 100); do [[ -e $work/slow.ready ]] && break; sleep 0.1; done
[[ -e $work/slow.ready ]] || fail "the slow clients did not connect"
ctl list >/dev/null || fail "list failed while slow clients were connected"
kill -USR1 "$slow"
wait "$slow" || fail "list was answered only after the stalled connections were dropped"
kill -0 "$mgr_pid" || fail "the manager died"

echo "== the manager exits on SIGTERM and leaves VMs running"
db_pid=$(field db pid)
kill "$mgr_pid"
wait "$mgr_pid" || true
mgr_pid=""
kill -0 "$db_pid" || fail "db died with the manager"
kill "$db_pid"

if ((failures)); then
  echo "--- manager log:"
  cat "$work/manager.log"
  echo "$failures check(s) failed"
  exit 1
fi
echo "PASS"
