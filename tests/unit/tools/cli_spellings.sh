#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# One spelling of a size and of a MAC address (src/core/spelling.c) for
# every reader: the same texts are accepted, and the same refused, by
# `stdvmm run`'s flags and by the system description (`stdvmmd --check`).
# No VM is created: a valid command line stops at the missing kernel.
#
#   cli_spellings.sh STDVMM STDVMMD WORKDIR
set -eu
stdvmm=$1 stdvmmd=$2 work=$3
mkdir -p "$work"
: >"$work/kernel"
kernel=$work/no-kernel
. "$(dirname "$0")/cli_check.sh"
describe() { # WANT_RC WANT_TEXT MEMORY MAC: stdvmmd --check on one VM with them
	cat >"$work/system.yaml" <<YAML
system: {memory: 8G, vcpus: 2}
vms:
  - {name: a, kernel: kernel, memory: "$3", nets: [{user: {}, mac: "$4"}]}
YAML
	rc=0
	"$stdvmmd" --system "$work/system.yaml" --check >"$work/err" 2>&1 || rc=$?
	if [ "$rc" -ne "$1" ] || ! grep -qF -e "$2" "$work/err"; then
		echo "stdvmmd --check with memory $3, mac $4: exit $rc (want $1):"
		cat "$work/err"
		echo "(want it to say: $2)"
		status=1
	fi
}
good_mac=52:54:00:AB:cd:01
for size in 512M 512m 1GiB 1Gi 1GB 536870912; do
	check 1 "no-kernel: cannot open" --memory "$size"
	describe 0 "valid" "$size" "$good_mac"
done
for size in 1.5G " 1G" 1B 1P 0x 0x1G -1 18446744073709551616; do
	check 2 "expected a size such as 512M or 2G" --memory "$size"
	describe 2 "vms[0].memory: expected a size" "$size" "$good_mac"
done
check 1 "no-kernel: cannot open" --net "user,mac=$good_mac"
for mac in 01:00:5e:00:00:01 00:00:00:00:00:00 5:54:00:12:34:56 52:54:00:12:34:56:78 \
	52-54-00-12-34-56 "52:54:00:12:34:5g"; do
	check 2 "expected a unicast MAC such as 52:54:00:12:34:56" --net "user,mac=$mac"
	describe 2 "is not a unicast MAC address" 512M "$mac"
done
exit $status
