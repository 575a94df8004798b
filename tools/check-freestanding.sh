#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The portable layers (core, firmware, arch, devices) must build without an
# operating system, so that the seL4 port can reuse them. This compiles each
# of their files with the aarch64 cross compiler in freestanding mode and
# refuses any include of a POSIX or Linux header.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cc=${CROSS_CC:-aarch64-linux-gnu-gcc}
if ! command -v "$cc" >/dev/null; then
    echo "check-freestanding: $cc not found (Debian package gcc-aarch64-linux-gnu)"
    [[ ${STDVMM_REQUIRE_KVM:-0} == 1 ]] && exit 1
    exit 77
fi
cd "$top"
mapfile -t files < <(find src/core src/firmware src/arch src/devices -name '*.c' | sort)
# libfdt (freestanding C itself) is the one outside library the portable
# code may use (src/firmware/fdt). Only its three headers are made visible,
# never the build machine's /usr/include as a whole.
fdt_inc=$(mktemp -d)
trap 'rm -rf "$fdt_inc"' EXIT
for h in libfdt.h libfdt_env.h fdt.h; do
    if [[ -e /usr/include/$h ]]; then ln -s "/usr/include/$h" "$fdt_inc/$h"; fi
done
forbidden='^[[:space:]]*#[[:space:]]*include[[:space:]]*<(unistd|pthread|errno|fcntl|signal|time|stdio|stdlib|poll|termios|linux/|sys/|asm/)'
status=0
for f in "${files[@]}"; do
    if grep -En "$forbidden" "$f" /dev/null; then
        echo "check-freestanding: $f includes a hosted/POSIX header" >&2
        status=1
    fi
    if ! "$cc" -std=c17 -ffreestanding -Wall -Wextra -Werror -Wno-unused-parameter \
        -I include -I src -I "$fdt_inc" -c "$f" -o /dev/null; then
        echo "check-freestanding: $f does not build freestanding" >&2
        status=1
    fi
done
# Headers the portable code sees must not pull in POSIX either.
for h in include/stdvmm/*.h include/stdvmm/devices/*.h; do
    [[ -e $h ]] || continue
    case $h in */hv_*|*/host/*|*/vmm.h) continue ;; esac
    if grep -En "$forbidden" "$h" /dev/null; then status=1; fi
done
echo "check-freestanding: ${#files[@]} portable files checked with $cc -ffreestanding"
exit $status
