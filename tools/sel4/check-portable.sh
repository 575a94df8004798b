#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The seL4 port's portable files (src/port/sel4/portable) run inside a VMM
# protection domain with no operating system: compile each with the aarch64
# cross compiler in freestanding mode, with the same rules as
# tools/check-freestanding.sh applies to core, arch and devices.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CROSS_CC:-aarch64-linux-gnu-gcc}
if ! command -v "$cc" >/dev/null; then
    echo "check-portable: $cc not found (Debian package gcc-aarch64-linux-gnu)"
    [[ ${STDVMM_REQUIRE_KVM:-0} == 1 ]] && exit 1
    exit 77
fi
cd "$top"
forbidden='^[[:space:]]*#[[:space:]]*include[[:space:]]*<(unistd|pthread|errno|fcntl|signal|time|stdio|stdlib|poll|termios|linux/|sys/|asm/|sel4/)'
status=0 n=0
for f in src/port/sel4/portable/*.c src/port/sel4/portable/*.h; do
    if grep -En "$forbidden" "$f" /dev/null; then
        echo "check-portable: $f includes a hosted, POSIX or libsel4 header" >&2
        status=1
    fi
    [[ $f == *.c ]] || continue
    n=$((n + 1))
    if ! "$cc" -std=c17 -ffreestanding -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
        -Wstrict-prototypes -I include -I src -c "$f" -o /dev/null; then
        echo "check-portable: $f does not build freestanding" >&2
        status=1
    fi
done
echo "check-portable: $n seL4 portable files checked with $cc -ffreestanding"
exit $status
