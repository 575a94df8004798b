#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The portable layers must build without an operating system, so that the
# seL4 port can reuse them. This compiles each of their files with the
# aarch64 cross compiler exactly as the seL4 build does (src/port/sel4/
# stdvmm_sel4.cmake): -nostdinc, then picolibc's headers and the compiler's
# own (stddef.h, stdint.h, ...), then libfdt's three headers. The build
# machine's /usr/include is never on the search list, so a file that needs
# something a freestanding target lacks fails here, not on seL4. A grep also
# refuses any include of a POSIX or Linux header (picolibc has stdio.h and
# friends, but the portable code must not use them).
#
#   tools/check-freestanding.sh [layers|sel4]
#     layers  src/core, src/firmware, src/arch, src/devices, src/machine and the
#             backends' shared cores src/vswitch, src/channel, src/blkserver, src/drivers (default)
#     sel4    src/port/sel4/portable (also refuses libsel4 headers)
#   tools/check-freestanding.sh --print-search-list   show the include search list
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cc=${CROSS_CC:-aarch64-linux-gnu-gcc}
picolibc=${PICOLIBC_DIR:-/usr/lib/picolibc/aarch64-linux-gnu}
set_name=${1:-layers}

skip() { # MESSAGE: a missing tool is a skip (77), or a failure under CI
    echo "check-freestanding: $1"
    [[ ${STDVMM_REQUIRE_KVM:-0} == 1 ]] && exit 1
    exit 77
}
command -v "$cc" >/dev/null || skip "$cc not found (Debian package gcc-aarch64-linux-gnu)"
[[ -f $picolibc/include/string.h ]] || skip "no picolibc in $picolibc (Debian package picolibc-aarch64-linux-gnu)"
cd "$top"

# libfdt (freestanding C itself) is the one outside library the portable
# code may use (src/firmware/fdt). Only its three headers are made visible;
# they are architecture-independent.
fdt_inc=$(mktemp -d)
trap 'rm -rf "$fdt_inc"' EXIT
for h in libfdt.h libfdt_env.h fdt.h; do
    [[ -e /usr/include/$h ]] || skip "no /usr/include/$h (Debian package libfdt-dev)"
    ln -s "/usr/include/$h" "$fdt_inc/$h"
done
cflags=(-std=c17 -ffreestanding -nostdinc -isystem "$picolibc/include"
        -isystem "$("$cc" -print-file-name=include)" -isystem "$fdt_inc"
        -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
        -Wmissing-prototypes -I include -I src)

if [[ $set_name == --print-search-list ]]; then
    "$cc" "${cflags[@]}" -E -v -x c /dev/null -o /dev/null 2>&1 |
        sed -n '/search starts here/,/End of search list/p'
    exit 0
fi

forbidden='unistd|pthread|errno|fcntl|signal|time|stdio|stdlib|poll|termios|linux/|sys/|asm/'
case $set_name in
    layers)
        mapfile -t files < <(find src/core src/firmware src/arch src/devices src/machine src/vswitch src/channel src/blkserver src/drivers -name '*.c' | sort)
        # Headers the portable code sees must not pull in POSIX either.
        mapfile -t headers < <(ls include/stdvmm/*.h include/stdvmm/devices/*.h |
            grep -Ev '/hv_|/vmm\.h$') ;;
    sel4)
        forbidden+='|sel4/'
        mapfile -t files < <(ls src/port/sel4/portable/*.c)
        mapfile -t headers < <(ls src/port/sel4/portable/*.h) ;;
    *) echo "usage: $0 [layers|sel4|--print-search-list]" >&2; exit 2 ;;
esac
forbidden="^[[:space:]]*#[[:space:]]*include[[:space:]]*<($forbidden)"

status=0
for f in "${files[@]}" "${headers[@]}"; do
    if grep -En "$forbidden" "$f" /dev/null; then
        echo "check-freestanding: $f includes a hosted, POSIX or libsel4 header" >&2
        status=1
    fi
done
for f in "${files[@]}"; do
    if ! "$cc" "${cflags[@]}" -c "$f" -o /dev/null; then
        echo "check-freestanding: $f does not build freestanding against picolibc" >&2
        status=1
    fi
done
echo "check-freestanding: ${#files[@]} $set_name files checked with $cc -ffreestanding -nostdinc (picolibc)"
exit $status
