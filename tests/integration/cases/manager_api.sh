#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# stdvmmd's bounds and its API's refusals, with real VMMs running: creating
# instances past instances.max or past system.memory is refused (4xx, the
# message names the bound) and the running VMs are untouched; bad requests
# (malformed JSON, wrong types, unknown fields and VMs, oversized bodies,
# wrong states) all get 4xx with a message and the manager stays up.
set -eu
# shellcheck source=tests/integration/cases/lib/manager.sh
. "${0%/*}/lib/manager.sh"
CMD=$GUEST_BASE_CMDLINE
write_system <<EOF
system: {memory: 384M, vcpus: 3, max_vms: 3}
vms:
  - {name: base, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 128M, autostart: true}
  - {name: worker, kernel: $K, initramfs: $I, cmdline: "$CMD", memory: 128M,
     instances: {max: 2}}
EOF
mgr_start
ctl create worker || fail "the first instance was refused"
refused() { # EXPECTED-TEXT ARGS...: the request must fail and say why
	want=$1
	shift
	if out=$(ctl "$@" 2>&1); then
		fail "ctl $* succeeded: $out"
	fi
	echo "refused: ctl $*: $out"
	echo "$out" | grep -qF "$want" || fail "ctl $*: the message lacks '$want'"
}
refused "system.memory" create worker --memory 192M   # 256M + 192M > 384M
ctl create worker || fail "the second instance was refused"
refused "instances.max 2" create worker
refused "no definition" create nosuch
ctl stop worker-2 --force
ctl delete worker-2
refused "system.memory" create worker --memory 160M   # 256M + 160M > 384M
refused "duplicate name" create worker --name base
before="$(vm_field base pid) $(vm_field worker-1 pid)"
ctl system

echo "== bad requests"
status_of() { # METHOD PATH [BODY]: the HTTP status, flagged when the answer has no message
	out=$(ctl raw "$@" 2>&1) || true
	code=$(echo "$out" | sed -n '1s/^HTTP //p')
	echo "$out" | grep -q '"error"' || code="$code-without-message"
	echo "$code"
}
expect() { # STATUS METHOD PATH [BODY]
	want=$1
	shift
	got=$(status_of "$@")
	printf '%s %-6s %-26s %.40s\n' "$got" "$1" "$2" "${3:-}"
	[ "$got" = "$want" ] || fail "$1 $2 ${3:-}: got $got, expected $want: $(ctl raw "$@" 2>&1)"
}
expect 400 POST /v1/vms '{"definition": "worker",'
expect 400 POST /v1/vms '{"definition": "worker"}}'
expect 400 POST /v1/vms '"worker"'
expect 400 POST /v1/vms '{"definition": 42}'
expect 400 POST /v1/vms '{"definition": "worker", "memory": true}'
expect 400 POST /v1/vms '{"definition": "worker", "cpus": 1.5}'
expect 400 POST /v1/vms '{"definition": "worker", "size": 1}'
expect 400 POST /v1/vms '{"definition": "worker", "name": "a/b"}'
expect 400 POST /v1/vms/base/stop '{"timeout": "soon"}'
expect 400 POST /v1/vms/base/pause '{"now": true}'
expect 404 GET /v1/vms/ghost
expect 404 POST /v1/vms/ghost/stop
expect 404 GET /v2/vms
expect 405 PUT /v1/vms/base
expect 409 POST /v1/vms/base/start
expect 409 POST /v1/vms/base/resume
dd if=/dev/zero bs=1024 count=200 2>/dev/null | tr '\000' 'x' >"$TEST_TMP/big.json"
expect 413 POST /v1/vms "@$TEST_TMP/big.json"

kill -0 "$MGR_PID" || fail "the manager died"
after="$(vm_field base pid) $(vm_field worker-1 pid)"
[ "$before" = "$after" ] || fail "running VMs changed: $before -> $after"
[ "$(vm_field base state)" = running ] || fail "base is not running"
[ "$(vm_field worker-1 state)" = running ] || fail "worker-1 is not running"
echo "PASS"
