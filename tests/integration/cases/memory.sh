#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --memory 256M: the guest's MemTotal lies in [200, 256] MiB (the kernel
# keeps some for itself, but it may never see more than it was given).
set -eu
VM_MEMORY=256M
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
run_vm "stdvmm.test=memory"
kib=$(serial_value memtotal_kib)
[ -n "$kib" ] || fail "the guest did not report MemTotal"
mib=$((kib / 1024))
# Debian's riscv64 kernel keeps more for itself (measured: 188 MiB left of
# 256; its image alone is about 30 MiB with BSS).
lo=200
[ "$(uname -m)" = riscv64 ] && lo=180
if [ "$mib" -lt $lo ] || [ "$mib" -gt 256 ]; then
	fail "MemTotal is $mib MiB, expected $lo..256"
fi
expect_rc 0 "guest powered off"
echo "PASS: MemTotal $mib MiB"
