#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: x86_64
# The default guest as the README's run command boots it (interactive
# shell, user-mode networking with restrict=off): the guest configured eth0 by DHCP before its
# prompt, wget typed there reaches a web server on the host's loopback
# through the gateway, and `poweroff` ends the VM with status 0. (x86_64
# only: the static aarch64 build has no libslirp, so --net user is refused
# there; shell_poweroff covers the shell on both.)
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
# shellcheck source=tests/integration/cases/lib/console.sh
. "${0%/*}/lib/console.sh"

ip link set lo up
# A web server on the host's loopback for the guest's wget (busybox httpd).
mkdir -p "$TEST_TMP/www"
echo hello-from-the-host >"$TEST_TMP/www/hello"
httpd -f -p 127.0.0.1:5557 -h "$TEST_TMP/www" &
httpd_pid=$!
trap 'kill "$httpd_pid" 2>/dev/null; true' EXIT

console_start --net user,restrict=off # as tools/run-default-guest.sh
# /init prints the lease just before the prompt.
console_wait '^stdvmm-guest: eth0'
sleep 2
console_type 'wget -q -O - http://10.0.2.2:5557/hello | sed s/^/got-/'
console_wait '^got-'
console_type poweroff
console_end
grep -q '^stdvmm-guest: eth0 10.0.2.15/24, gateway 10.0.2.2' "$SERIAL_LOG" ||
	fail "the default guest did not configure eth0 by DHCP before its prompt"
tr -d '\r' <"$SERIAL_LOG" | grep -q '^got-hello-from-the-host$' ||
	fail "wget in the guest did not reach the host's web server through the gateway"
expect_rc 0 "poweroff typed in the guest shell"
echo "PASS: eth0 by DHCP before the prompt, wget to the host's server, poweroff with status 0"
