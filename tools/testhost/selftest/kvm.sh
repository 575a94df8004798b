#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Self-test of the test host: KVM must be there (the host's /init already
# reports a missing /dev/kvm as a skip; this checks the module side too).
set -eu
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 1; }
ls -l /dev/kvm
for m in kvm kvm_amd; do
	[ -d "/sys/module/$m" ] || { echo "module $m not loaded"; exit 1; }
done
echo "kvm modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
