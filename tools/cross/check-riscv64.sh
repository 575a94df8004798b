#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The riscv64 build as far as it goes without a riscv64 sysroot (issue #17):
#  1. the portable layers' freestanding check (tools/check-freestanding.sh)
#     with the riscv64 cross compiler and picolibc, as seL4 would build them;
#  2. every C file of a riscv64 KVM build that needs no library besides
#     libfdt's headers: the riscv64 arch hooks and device tree, and the whole
#     KVM port with its riscv64 half, compiled (not linked) against the
#     cross compiler's glibc and Linux uapi headers (linux-libc-dev-riscv64-cross).
# Linking a riscv64 stdvmm needs Debian 13's riscv64 libfdt, libyaml and
# libjansson: tools/cross/build.sh --arch riscv64 fetches them.
#
#   tools/cross/check-riscv64.sh        exit 77 (skip) when the cross tools are missing
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CROSS_CC:-riscv64-linux-gnu-gcc}
picolibc=${PICOLIBC_DIR:-/usr/lib/picolibc/riscv64-unknown-elf}

skip() { # as check-freestanding.sh: a skip, or a failure under CI
    echo "check-riscv64: $1"
    [[ ${STDVMM_REQUIRE_KVM:-0} == 1 ]] && exit 1
    exit 77
}
command -v "$cc" >/dev/null || skip "$cc not found (Debian package gcc-riscv64-linux-gnu)"
[[ -f $picolibc/include/string.h ]] ||
    skip "no picolibc in $picolibc (Debian package picolibc-riscv64-unknown-elf)"
cd "$top"

status=0
echo "check-riscv64: portable layers, freestanding"
CROSS_CC=$cc PICOLIBC_DIR=$picolibc tools/check-freestanding.sh layers || status=1

fdt_inc=$(mktemp -d)
trap 'rm -rf "$fdt_inc"' EXIT
for h in libfdt.h libfdt_env.h fdt.h; do
    [[ -e /usr/include/$h ]] || skip "no /usr/include/$h (Debian package libfdt-dev)"
    ln -s "/usr/include/$h" "$fdt_inc/$h"
done
cflags=(-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
        -Wmissing-prototypes -Wno-unused-parameter -fno-strict-aliasing
        -idirafter "$fdt_inc" -I include -I src -I src/port/kvm)
echo "check-riscv64: arch hooks, device tree and the KVM port, hosted"
for f in src/arch/riscv64/*.c src/firmware/fdt/dtb_riscv64.c src/port/kvm/*.c \
         src/port/kvm/riscv64/*.c; do
    if ! "$cc" "${cflags[@]}" -c "$f" -o /dev/null; then
        echo "check-riscv64: $f does not build for riscv64" >&2
        status=1
    fi
done
exit $status
