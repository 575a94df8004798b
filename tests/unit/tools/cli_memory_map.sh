#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# --memory-map on the command line: malformed lists, maps the arch refuses
# and a --memory that disagrees with the map are bad usage (exit 2) saying
# why, before any VM exists; a good map passes (the missing kernel is
# refused next, exit 1).
#
#   cli_memory_map.sh STDVMM ARCH WORKDIR
set -eu
stdvmm=$1 arch=$2 work=$3
mkdir -p "$work"
kernel=$work/no-kernel
# shellcheck source=tests/unit/tools/cli_check.sh
. "${0%/*}/cli_check.sh"
check 2 "expected 1 to 8 regions SIZE@GPA" --memory-map 192M
check 2 "expected 1 to 8 regions SIZE@GPA" --memory-map 192M@0,
check 2 "expected 1 to 8 regions SIZE@GPA" --memory-map 192M@0xg
check 2 "expected 1 to 8 regions SIZE@GPA" --memory-map 2M@0,2M@2M,2M@4M,2M@6M,2M@8M,2M@10M,2M@12M,2M@14M,2M@16M
case $arch in
x86_64)
	check 1 "no-kernel: cannot open" --memory-map 192M@0,256M@1G
	check 1 "no-kernel: cannot open" --memory-map 0xc000000@0x0,256M@0x40000000 --memory 448M
	check 2 "overlaps the 32-bit MMIO hole" --memory-map 192M@0,256M@3G
	check 2 "x86_64 guests need one at 0x0" --memory-map 192M@16M
	check 2 "overlaps region 0 [0x0, 0xc000000)" --memory-map 192M@0,64M@64M
	check 2 "differs from the memory map's total of 448M" --memory-map 192M@0,256M@1G --memory 512M
	;;
aarch64)
	check 1 "no-kernel: cannot open" --memory-map 128M@1G,256M@4G
	check 2 "overlaps the device area" --memory-map 128M@1G,64M@128M
	check 2 "2048 KiB) boundaries" --memory-map 128M@1G,1M@4G
	check 2 "describe at most 4" --memory-map 128M@1G,2M@2G,2M@3G,2M@4G,2M@5G
	;;
esac
exit $status
